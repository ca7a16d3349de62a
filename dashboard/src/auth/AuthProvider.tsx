import { useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useCallback, useEffect, useMemo, useState } from "react";
import { api, unwrap } from "../api/client";
import { CSRF_HEADERS, SESSION_PATH, type Session, endSession, onSessionEnd, resumeSession, startSession } from "../api/session";
import { AuthContext, type AuthState, type User } from "./context";

async function loadUser(): Promise<User> {
  return unwrap(api.GET("/api/v1/users/me"));
}

/**
 * Who is signed in. On start it spends the refresh cookie (if any) for a session, so a reload
 * keeps the user signed in without the token ever touching storage a script can read.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<AuthState>({ status: "loading", user: null });

  const becomeSignedOut = useCallback(() => {
    queryClient.clear();
    setState({ status: "signed-out", user: null });
  }, [queryClient]);

  useEffect(() => {
    let active = true;
    void (async () => {
      const user = (await resumeSession()) ? await loadUser().catch(() => null) : null;
      if (active) setState(user ? { status: "signed-in", user } : { status: "signed-out", user: null });
    })();
    const unsubscribe = onSessionEnd(becomeSignedOut);
    return () => {
      active = false;
      unsubscribe();
    };
  }, [becomeSignedOut]);

  const adopt = useCallback(async (session: Session) => {
    startSession(session);
    setState({ status: "signed-in", user: await loadUser() });
  }, []);

  const signIn = useCallback(
    async (email: string, password: string) => adopt(await unwrap(api.POST("/api/v1/auth/session", { body: { email, password } }))),
    [adopt],
  );

  const signOut = useCallback(async () => {
    await fetch(SESSION_PATH, { method: "DELETE", headers: CSRF_HEADERS, credentials: "same-origin" }).catch(() => undefined);
    endSession();
    becomeSignedOut();
  }, [becomeSignedOut]);

  // The server already ended the session: forget its token here too, then show signed-out pages.
  const signedOutLocally = useCallback(() => {
    endSession();
    becomeSignedOut();
  }, [becomeSignedOut]);

  const reloadUser = useCallback(async () => {
    setState({ status: "signed-in", user: await loadUser() });
  }, []);

  const value = useMemo(
    () => ({ ...state, signIn, signOut, adopt, reloadUser, signedOutLocally }),
    [state, signIn, signOut, adopt, reloadUser, signedOutLocally],
  );
  return <AuthContext value={value}>{children}</AuthContext>;
}
