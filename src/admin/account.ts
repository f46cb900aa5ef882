import type { Deps } from "../accounts/deps.ts";
import { AccountError } from "../accounts/errors.ts";
import { liveSessions, type SessionSummary } from "../accounts/sessions.ts";
import { listEvents, type AuditEvent } from "./events.ts";
import type { AccountSummary } from "./users.ts";

/** How many of an account's latest audit events its admin page shows. */
export const ACCOUNT_EVENTS_SHOWN = 20;

export interface AccountDetail extends Omit<AccountSummary, "liveSessions"> {
  readonly sessions: Omit<SessionSummary, "current">[];
  readonly events: AuditEvent[];
}

/** One account for `/admin/users/:id`: its dates, status, pending address, live sessions and latest events. */
export async function accountDetail(deps: Pick<Deps, "db" | "clock" | "config">, id: string): Promise<AccountDetail> {
  const user = await deps.db.kysely
    .selectFrom("users")
    .select(["id", "email", "registered_on", "confirmed_on", "pending_email", "admin", "disabled_at"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!user) throw new AccountError("not_found");
  const [sessions, { events }] = await Promise.all([
    liveSessions(deps, id).select(["public_id", "created_at", "last_seen_at", "ip", "user_agent"]).orderBy("last_seen_at", "desc").execute(),
    listEvents(deps, { user: id, limit: ACCOUNT_EVENTS_SHOWN }),
  ]);
  return {
    id: user.id,
    email: user.email,
    registeredOn: user.registered_on,
    confirmedOn: user.confirmed_on,
    pendingEmail: user.pending_email,
    admin: user.admin === 1,
    disabledAt: user.disabled_at,
    sessions: sessions.map((s) => ({ publicId: s.public_id, createdAt: s.created_at, lastSeenAt: s.last_seen_at, ip: s.ip, userAgent: s.user_agent })),
    events,
  };
}
