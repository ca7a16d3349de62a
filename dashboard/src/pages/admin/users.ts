/**
 * The users page's state in the URL (?q=...&page=...), so that a search survives a reload and can
 * be shared, and what each account action does, said before it is done.
 */

export const USERS_PAGE_SIZE = 50;
// The API's limits (admin/routes/users.py): q at most 254 characters, page at most 1,000,000.
const MAX_QUERY_LENGTH = 254;
const MAX_PAGE = 1_000_000;

export type UsersParams = { q: string; page: number };

export function usersParamsFrom(search: URLSearchParams): UsersParams {
  const q = (search.get("q") ?? "").trim().slice(0, MAX_QUERY_LENGTH);
  const page = Number(search.get("page"));
  return { q, page: Number.isInteger(page) && page >= 1 && page <= MAX_PAGE ? page : 1 };
}

export function usersSearchFrom({ q, page }: UsersParams): URLSearchParams {
  const search = new URLSearchParams();
  if (q) search.set("q", q);
  if (page > 1) search.set("page", String(page));
  return search;
}

export type UserAction = "disable" | "enable" | "make-admin" | "make-user";

export type ActionText = { title: string; body: string; confirm: string; danger: boolean };

export function actionText(action: UserAction, email: string): ActionText {
  switch (action) {
    case "disable":
      return {
        title: `Disable ${email}?`,
        body: "They can no longer sign in, their sessions and API keys stop working and their links stop redirecting, until you enable the account again.",
        confirm: "Disable account",
        danger: true,
      };
    case "enable":
      return { title: `Enable ${email}?`, body: "They can sign in again and their links redirect again.", confirm: "Enable account", danger: false };
    case "make-admin":
      return {
        title: `Make ${email} an admin?`,
        body: "Admins manage users, read the audit log, and see and change every link, from their next request on.",
        confirm: "Make admin",
        danger: true,
      };
    case "make-user":
      return {
        title: `Make ${email} a user?`,
        body: "They keep their own links but can no longer manage users, read the audit log or see other people's links.",
        confirm: "Make user",
        danger: false,
      };
  }
}
