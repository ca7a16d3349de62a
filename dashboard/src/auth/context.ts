import { createContext, use } from "react";
import type { components } from "../api/schema";
import type { Session } from "../api/session";

export type User = components["schemas"]["UserPublic"];

export type AuthState =
  | { status: "loading"; user: null }
  | { status: "signed-out"; user: null }
  | { status: "signed-in"; user: User };

export type Auth = AuthState & {
  /** Sign in with e-mail and password; throws ApiError (401 invalid_credentials, 429 ...). */
  signIn(email: string, password: string): Promise<void>;
  /** End this browser's session (the refresh cookie's family is revoked). */
  signOut(): Promise<void>;
  /** Take a session the API just handed out (first-run setup signs the new admin in). */
  adopt(session: Session): Promise<void>;
  /** Read the signed-in user again (after a change of their own account). */
  reloadUser(): Promise<void>;
  /** Forget the session here, after the server ended it (sign out everywhere, password change). */
  signedOutLocally(): void;
};

export const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const auth = use(AuthContext);
  if (!auth) throw new Error("useAuth outside <AuthProvider>");
  return auth;
}

/** The signed-in user; for pages behind <RequireAuth> only. */
export function useUser(): User {
  const auth = useAuth();
  if (auth.status !== "signed-in") throw new Error("useUser on a page that does not require sign-in");
  return auth.user;
}
