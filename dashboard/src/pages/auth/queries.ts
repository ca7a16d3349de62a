/** The signed-out account calls: register, ask for a reset link, set a new password with it. */
import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

export type Credentials = { email: string; password: string };

/** POST /auth/register: 202 whether or not the address had an account (the API's detail says so). */
export function useRegister() {
  return useMutation({
    mutationFn: (body: Credentials) => unwrap(api.POST("/api/v1/auth/register", { body })),
  });
}

/** POST /auth/password-reset: always 202, so it never tells who has an account. */
export function useRequestPasswordReset() {
  return useMutation({
    mutationFn: (email: string) => unwrap(api.POST("/api/v1/auth/password-reset", { body: { email } })),
  });
}

/** POST /auth/password-reset/confirm: 204, then every session of the account has ended. */
export function useConfirmPasswordReset() {
  return useMutation({
    mutationFn: (body: { token: string; new_password: string }) => unwrap(api.POST("/api/v1/auth/password-reset/confirm", { body })),
  });
}
