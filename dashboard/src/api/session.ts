/**
 * The browser session: the access token lives in memory only; the refresh token lives in an
 * HttpOnly cookie scoped to /api/v1/auth/session, which no script can read. A reload spends the
 * cookie for a fresh access token; the custom X-Hop-CSRF header is what no cross-site form or
 * cross-origin fetch can send, so another site cannot spend it.
 */

export interface Session {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export const SESSION_PATH = "/api/v1/auth/session";
export const CSRF_HEADERS: Record<string, string> = { "X-Hop-CSRF": "1" };
// Refresh this long before the access token expires, so a request never carries a stale one.
const EARLY_REFRESH_MS = 30_000;

let current: { token: string; expiresAt: number } | null = null;
let refreshing: Promise<boolean> | null = null;
const endListeners = new Set<() => void>();

export function startSession(session: Session): void {
  current = { token: session.access_token, expiresAt: Date.now() + session.expires_in * 1000 };
}

/** Forget the access token and tell the app (which shows the sign-in page). */
export function endSession(): void {
  const wasSignedIn = current !== null;
  current = null;
  if (wasSignedIn) for (const listener of endListeners) listener();
}

export function onSessionEnd(listener: () => void): () => void {
  endListeners.add(listener);
  return () => endListeners.delete(listener);
}

/** Spend the refresh cookie for a new access token; concurrent callers share one request. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const response = await fetch(`${SESSION_PATH}/refresh`, {
        method: "POST",
        headers: CSRF_HEADERS,
        credentials: "same-origin",
      });
      if (!response.ok) return false;
      startSession((await response.json()) as Session);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

let resumed: Promise<boolean> | null = null;

/**
 * The session this page load starts with: the refresh cookie is spent once, however many ask
 * (main.tsx asks before React renders, so the request is under way while the app starts).
 */
export function resumeSession(): Promise<boolean> {
  resumed ??= refreshSession();
  return resumed;
}

/** The access token to send now, refreshed first when it is about to expire; null when signed out. */
export async function accessToken(): Promise<string | null> {
  if (current && current.expiresAt - Date.now() < EARLY_REFRESH_MS) await refreshSession();
  return current?.token ?? null;
}

export function hasSession(): boolean {
  return current !== null;
}
