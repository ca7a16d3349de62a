/**
 * The reset mail links to `/reset-password#token=...`: the token rides in the fragment, which
 * browsers send neither to the server nor in a Referer header. The page reads it once, then
 * takes it out of the address bar, so it stays out of history, screenshots and shared URLs.
 */

// The API takes at most 200 characters (admin/routes/auth.py, ResetConfirmIn).
const MAX_TOKEN_LENGTH = 200;

/** The token of a `#token=...` fragment, or null when there is none worth sending. */
export function resetTokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  const token = params.get("token")?.trim();
  if (!token || token.length > MAX_TOKEN_LENGTH) return null;
  return token;
}

/** Take the fragment out of the address bar without a navigation or a history entry. */
export function clearHash(history: Pick<History, "replaceState" | "state">, location: Pick<Location, "pathname" | "search" | "hash">): void {
  if (!location.hash) return;
  // The router's own state is kept, so that back and forward still work.
  history.replaceState(history.state, "", `${location.pathname}${location.search}`);
}
