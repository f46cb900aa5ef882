import type { Deps } from "./deps.ts";
import { listPasskeys } from "./second-factor/passkeys.ts";
import { liveSessions } from "./sessions.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The account's own data as JSON (`GET /profile/export`, `GET /api/v1/me/export`): the account,
 * its sessions, its audit events and its passkeys by name (SPEC §3). Never a password hash, token,
 * code, session id or credential.
 */
export async function exportAccount(deps: Pick<Deps, "db" | "clock" | "config">, userId: string) {
  const user = await deps.db.kysely
    .selectFrom("users")
    .select(["id", "email", "registered_on", "confirmed_on", "pending_email", "admin"])
    .where("id", "=", userId)
    .executeTakeFirstOrThrow();
  const sessions = await liveSessions(deps, userId).select(["created_at", "last_seen_at", "expires_at", "ip", "user_agent"]).orderBy("created_at", "desc").execute();
  const events = await deps.db.kysely
    .selectFrom("auth_events")
    .select(["type", "outcome", "created_at", "ip", "user_agent"])
    .where("user_id", "=", userId)
    .orderBy("created_at", "desc")
    .execute();
  const passkeys = await listPasskeys(deps, userId);
  return {
    exported_at: iso(deps.clock.now()),
    account: {
      id: user.id,
      email: user.email,
      registered_on: iso(user.registered_on),
      confirmed_on: iso(user.confirmed_on),
      pending_email: user.pending_email,
      admin: user.admin === 1,
    },
    sessions: sessions.map((s) => ({
      created_at: iso(s.created_at),
      last_seen_at: iso(s.last_seen_at),
      expires_at: iso(s.expires_at),
      ip: s.ip,
      user_agent: s.user_agent,
    })),
    passkeys: passkeys.map((p) => ({ name: p.name, created_at: iso(p.createdAt), last_used_at: iso(p.lastUsedAt), synced: p.synced })),
    audit_events: events.map((e) => ({ type: e.type, outcome: e.outcome, at: iso(e.created_at), ip: e.ip, user_agent: e.user_agent })),
  };
}
