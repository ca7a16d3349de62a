/**
 * The signed-in user's own account. Both calls end every session of the account, this browser's
 * included: afterwards the page leaves a notice for the sign-in page and forgets the session here.
 */
import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { PASSWORD_CHANGED_NOTICE, SIGNED_OUT_EVERYWHERE_NOTICE } from "../auth/signInNotice";
import { useSessionEnded } from "../auth/useSessionEnded";

export function useChangePassword() {
  const sessionEnded = useSessionEnded();
  return useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) => unwrap(api.POST("/api/v1/users/me/password", { body })),
    onSuccess: () => sessionEnded(PASSWORD_CHANGED_NOTICE),
  });
}

export function useSignOutEverywhere() {
  const sessionEnded = useSessionEnded();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/users/me/sessions/revoke")),
    onSuccess: () => sessionEnded(SIGNED_OUT_EVERYWHERE_NOTICE),
  });
}
