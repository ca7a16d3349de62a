/**
 * What the account forms can check before asking the server: filled in, an e-mail address that
 * looks like one, a new password of an acceptable length, typed the same way twice. Everything
 * else (is the password guessable, does the account exist) is the server's to say.
 */
import { z } from "zod";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./passwordPolicy";

const MAX_EMAIL_LENGTH = 254;

export const emailSchema = z
  .string()
  .trim()
  .min(1, "Enter an e-mail address.")
  .max(MAX_EMAIL_LENGTH, `Use at most ${MAX_EMAIL_LENGTH} characters.`)
  .pipe(z.email("Enter a valid e-mail address, like name@example.com."));

/** A password being chosen: the server's length rule, checked here to save a round trip. */
export const newPasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH, `Use at most ${MAX_PASSWORD_LENGTH} characters.`);

/** A password being typed from memory: any non-empty one (a wrong one is the server's to say). */
const existingPasswordSchema = z.string().min(1, "Enter your password.").max(MAX_PASSWORD_LENGTH, `Use at most ${MAX_PASSWORD_LENGTH} characters.`);

const MISMATCH = "The passwords do not match.";

export const signInSchema = z.object({
  // Not checked for shape: the server answers a malformed address as it answers a wrong password.
  email: z.string().trim().min(1, "Enter your e-mail address."),
  password: existingPasswordSchema,
});

/** Register and first-run setup: an address and a new password typed twice. */
export const accountSchema = z
  .object({ email: emailSchema, password: newPasswordSchema, confirm: z.string() })
  .refine((values) => values.password === values.confirm, { message: MISMATCH, path: ["confirm"] });

export const forgotPasswordSchema = z.object({ email: emailSchema });

export const resetPasswordSchema = z
  .object({ new_password: newPasswordSchema, confirm: z.string() })
  .refine((values) => values.new_password === values.confirm, { message: MISMATCH, path: ["confirm"] });

export const changePasswordSchema = z
  .object({ current_password: existingPasswordSchema, new_password: newPasswordSchema, confirm: z.string() })
  .refine((values) => values.new_password === values.confirm, { message: MISMATCH, path: ["confirm"] })
  .refine((values) => values.new_password !== values.current_password, {
    message: "Choose a password different from the current one.",
    path: ["new_password"],
  });

/** An admin creating someone's account: no confirmation, they will hand the password over. */
export const createUserSchema = z.object({ email: emailSchema, password: newPasswordSchema });

export type SignInValues = z.output<typeof signInSchema>;
export type AccountValues = z.output<typeof accountSchema>;
export type ResetPasswordValues = z.output<typeof resetPasswordSchema>;
export type ChangePasswordValues = z.output<typeof changePasswordSchema>;
export type CreateUserValues = z.output<typeof createUserSchema>;
