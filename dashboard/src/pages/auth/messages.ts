/**
 * What the account pages say when the API refuses: its problem codes turned into sentences a
 * person can act on. The API's own details are lower-case phrases ("the current password is
 * wrong"); `sentence` makes them read as sentences.
 */
import { ApiError, errorMessage } from "../../api/problem";

const MINUTE = 60;

/** "Try again in 42 seconds." / "... in 3 minutes." for a 429's Retry-After. */
export function retryAfterMessage(seconds: number | null, what = "Too many attempts."): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds <= 0) return `${what} Try again later.`;
  const whole = Math.ceil(seconds);
  if (whole < 2 * MINUTE) return `${what} Try again in ${whole} ${whole === 1 ? "second" : "seconds"}.`;
  return `${what} Try again in ${Math.ceil(whole / MINUTE)} minutes.`;
}

/** "the password is wrong" -> "The password is wrong." */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const capitalised = trimmed[0]?.toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/** An Error whose message is what the page should say about `error`. */
export function explain(error: unknown, messages: Partial<Record<string, string>> = {}): Error {
  if (error instanceof ApiError) {
    if (error.status === 429) return new Error(retryAfterMessage(error.retryAfter));
    const known = messages[error.code];
    if (known) return new Error(known);
    return new Error(sentence(error.message));
  }
  return new Error(errorMessage(error));
}

export const SIGN_IN_MESSAGES = {
  invalid_credentials: "The e-mail address or password is wrong.",
  account_disabled: "This account is disabled. Ask an admin of this Hop instance to enable it.",
} as const;

/** Where to go after signing in: a path of this site only, never another origin. */
export function safeNext(next: string | null | undefined, fallback = "/links"): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return fallback;
  return next;
}
