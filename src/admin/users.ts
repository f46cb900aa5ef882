import { sql } from "kysely";
import type { Deps } from "../accounts/deps.ts";
import { liveSessions } from "../accounts/sessions.ts";

/** One account as the admin pages list it. */
export interface AccountSummary {
  readonly id: string;
  readonly email: string;
  readonly registeredOn: number;
  readonly confirmedOn: number | null;
  readonly pendingEmail: string | null;
  readonly admin: boolean;
  /** Sessions that still count (sessions.ts liveSessions). */
  readonly liveSessions: number;
}

/**
 * The account with this canonical address, or (canonical = null) the most recent sign-ups,
 * newest first. Both use an index (email_canonical, registered_on): no scan of the table.
 */
export async function findAccounts(deps: Pick<Deps, "db" | "clock" | "config">, canonical: string | null, limit: number): Promise<AccountSummary[]> {
  let query = deps.db.kysely
    .selectFrom("users")
    .select([
      "users.id",
      "users.email",
      "users.registered_on",
      "users.confirmed_on",
      "users.pending_email",
      "users.admin",
      liveSessions(deps, sql.ref<string>("users.id"))
        .select((s) => s.fn.countAll<number>().as("n"))
        .as("live_sessions"),
    ])
    .orderBy("users.registered_on", "desc")
    .limit(limit);
  if (canonical !== null) query = query.where("users.email_canonical", "=", canonical);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    registeredOn: r.registered_on,
    confirmedOn: r.confirmed_on,
    pendingEmail: r.pending_email,
    admin: r.admin === 1,
    liveSessions: Number(r.live_sessions ?? 0),
  }));
}
