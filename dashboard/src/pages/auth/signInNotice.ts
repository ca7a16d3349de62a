/**
 * A message for the next sign-in page, left by a page that just ended the session (a password
 * change, signing out everywhere). The route guard sends the visitor to sign-in on its own; this
 * is how the sign-in page learns why. Memory only: a reload forgets it, as it should.
 */

let pending: string | null = null;

export function leaveSignInNotice(message: string): void {
  pending = message;
}

/** The notice left for this sign-in page, if any; read it once, then `clearSignInNotice`. */
export function peekSignInNotice(): string | null {
  return pending;
}

export function clearSignInNotice(): void {
  pending = null;
}

export const PASSWORD_CHANGED_NOTICE = "Your password has changed and every session of your account has ended. Sign in with the new password.";
export const SIGNED_OUT_EVERYWHERE_NOTICE = "You are signed out everywhere: every session of your account has ended. Sign in again to continue.";
