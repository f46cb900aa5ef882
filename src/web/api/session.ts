import type { Viewer } from "../../accounts/sessions.ts";
import { sha256 } from "../../secrets.ts";

/**
 * GET /api/v1/session (SPEC §7): who is behind the cookie, for backends that see it.
 * `authenticated_at` is the last sign-in or re-authentication and `amr` how it was proven
 * ("pwd", "otp", "recovery", "passkey").
 */
export function sessionBody(viewer: Viewer) {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    user: {
      // A sign-up attempt's placeholder session must not reveal the existing account's id:
      // it shows a stable id of its own, like any new unconfirmed account.
      id: viewer.signupAttempt ? uuidShaped(sha256(`placeholder user ${viewer.sessionHash}`)) : viewer.userId,
      email: viewer.email,
      email_verified: viewer.confirmed,
      admin: viewer.admin && viewer.confirmed,
    },
    session: {
      id: viewer.sessionId,
      created_at: iso(viewer.sessionCreatedAt),
      expires_at: iso(viewer.sessionExpiresAt),
      authenticated_at: iso(viewer.authenticatedAt ?? viewer.sessionCreatedAt),
      amr: viewer.amr,
    },
  };
}

/** 32 hex digits as a version-4-looking UUID. */
function uuidShaped(hex: string): string {
  const h = `${hex.slice(0, 12)}4${hex.slice(13, 16)}${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 32)}`;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
