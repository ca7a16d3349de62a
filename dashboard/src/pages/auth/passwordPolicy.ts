/**
 * What the browser can say about a new password before the server judges it. The server's policy
 * (admin/auth/passwords.py) is the authority: 15 to 256 characters and not guessable by zxcvbn,
 * which is too heavy to ship to the browser. Here only the length is checked, as a hint.
 */

export const MIN_PASSWORD_LENGTH = 15;
export const MAX_PASSWORD_LENGTH = 256;
// Past this length a passphrase of ordinary words is usually out of reach of guessing.
const COMFORTABLE_LENGTH = 20;

export type PasswordLevel = "empty" | "short" | "ok" | "good" | "long";

export type PasswordHint = { level: PasswordLevel; message: string };

export function passwordHint(length: number): PasswordHint {
  if (length === 0) {
    return { level: "empty", message: `Use at least ${MIN_PASSWORD_LENGTH} characters: a few unrelated words make a strong password that is easy to remember.` };
  }
  if (length > MAX_PASSWORD_LENGTH) return { level: "long", message: `Too long: use at most ${MAX_PASSWORD_LENGTH} characters.` };
  if (length < MIN_PASSWORD_LENGTH) {
    const missing = MIN_PASSWORD_LENGTH - length;
    return { level: "short", message: `Too short: ${missing} more ${missing === 1 ? "character" : "characters"} needed.` };
  }
  if (length < COMFORTABLE_LENGTH) return { level: "ok", message: "Long enough. Hop also checks that it is not easy to guess." };
  return { level: "good", message: "Good length. Hop also checks that it is not easy to guess." };
}

/** How many of the meter's three segments to fill for a level. */
export function meterSegments(level: PasswordLevel): number {
  return { empty: 0, long: 0, short: 1, ok: 2, good: 3 }[level];
}
