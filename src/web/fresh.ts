import type { Deps } from "../accounts/deps.ts";
import type { Viewer } from "../accounts/sessions.ts";

/** Until re-authentication (SPEC §9, REAUTH_TTL, /reauth) lands: a session is fresh for this long after its sign-in. */
const FRESH_FOR_MS = 300_000;

/**
 * Whether the session may make a sensitive change ("fresh", SPEC §9). Stand-in: the session was
 * created less than 300 s ago. The re-authentication module replaces this one function.
 */
export async function isFresh(deps: Pick<Deps, "db" | "clock">, viewer: Viewer): Promise<boolean> {
  const row = await deps.db.kysely.selectFrom("sessions").select("created_at").where("id_hash", "=", viewer.sessionHash).executeTakeFirst();
  return row !== undefined && deps.clock.now() - row.created_at < FRESH_FOR_MS;
}
