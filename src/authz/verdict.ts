import type { Viewer } from "../accounts/sessions.ts";

/**
 * What the reverse proxy is told about one request for a protected app (SPEC §7). Pure: the
 * web adapter (web/forward-auth.ts) looks the session up once and turns this into statuses.
 */
export type Verdict =
  /** Signed in, confirmed (and an admin when asked for): let the request through. */
  | "allow"
  /** Nobody signed in (or a session that no longer counts): sign in, then come back. */
  | "sign-in"
  /** Signed in, address not confirmed yet (a sign-up attempt's placeholder too): confirm first. */
  | "confirm"
  /** Signed in and confirmed, but `?require=admin` and not an admin. */
  | "forbidden";

export function verdict(viewer: Viewer | null, o: { readonly requireAdmin: boolean }): Verdict {
  if (!viewer) return "sign-in";
  if (!viewer.confirmed) return "confirm";
  if (o.requireAdmin && !viewer.admin) return "forbidden";
  return "allow";
}
