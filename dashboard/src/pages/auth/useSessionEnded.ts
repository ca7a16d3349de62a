import { useCallback } from "react";
import { useAuth } from "../../auth/context";
import { leaveSignInNotice } from "./signInNotice";

/**
 * After the server ended this browser's session (password changed or reset, signed out
 * everywhere): sign out here too, and leave the sign-in page a word on why.
 */
export function useSessionEnded(): (notice?: string) => void {
  const auth = useAuth();
  return useCallback(
    (notice?: string) => {
      if (notice) leaveSignInNotice(notice);
      auth.signedOutLocally();
    },
    [auth],
  );
}
