import { sql } from "kysely";
import type { Deps } from "../accounts/deps.ts";
import { invalidInput } from "../accounts/errors.ts";
import { liveSessions } from "../accounts/sessions.ts";
import { startsWith } from "../db/prefix.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";

/** One account as the admin pages list it. */
export interface AccountSummary {
  readonly id: string;
  readonly email: string;
  readonly registeredOn: number;
  readonly confirmedOn: number | null;
  readonly pendingEmail: string | null;
  readonly admin: boolean;
  readonly disabledAt: number | null;
  /** Sessions that still count (sessions.ts liveSessions). */
  readonly liveSessions: number;
}

export const ACCOUNT_STATUSES = ["confirmed", "unconfirmed", "disabled", "admin"] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export interface AccountSearch {
  /** The start of the address, any case. */
  readonly q?: string;
  readonly status?: AccountStatus;
  /** The cursor of the previous page's last row. */
  readonly after?: string;
  readonly limit: number;
}

export interface AccountPage {
  readonly accounts: AccountSummary[];
  /** The cursor for the next page, or null on the last page. */
  readonly next: string | null;
}

/** What an address prefix is compared as: the canonical form (trimmed, NFKC, lower-cased). */
export function canonicalPrefix(q: string): string {
  return q.normalize("NFKC").trim().toLowerCase();
}

/**
 * Accounts newest first (registered_on, then id), keyset-paginated, optionally only those whose
 * canonical address starts with `q` and of one status. Every filter is an index: the prefix a
 * range scan on email_canonical, each status an index on (…, registered_on, id), the cursor a
 * row-value comparison: no page costs more than its rows, however deep.
 */
export async function searchAccounts(deps: Pick<Deps, "db" | "clock" | "config">, search: AccountSearch): Promise<AccountPage> {
  let query = deps.db.kysely
    .selectFrom("users")
    .select([
      "users.id",
      "users.email",
      "users.registered_on",
      "users.confirmed_on",
      "users.pending_email",
      "users.admin",
      "users.disabled_at",
      liveSessions(deps, sql.ref<string>("users.id"))
        .select((s) => s.fn.countAll<number>().as("n"))
        .as("live_sessions"),
    ])
    .orderBy("users.registered_on", "desc")
    .orderBy("users.id", "desc")
    .limit(search.limit + 1);
  const prefix = canonicalPrefix(search.q ?? "");
  if (prefix !== "") query = query.where(startsWith(deps.db.dialect, "users.email_canonical", prefix));
  // Literals, not parameters: SQLite uses a partial index only for the very condition it names.
  if (search.status === "confirmed") query = query.where("users.confirmed", "=", sql.lit(1));
  if (search.status === "unconfirmed") query = query.where("users.confirmed", "=", sql.lit(0));
  if (search.status === "admin") query = query.where("users.admin", "=", sql.lit(1));
  if (search.status === "disabled") query = query.where("users.disabled_at", "is not", null);
  if (search.after) {
    const cursor = decodeCursor(search.after);
    if (!cursor) throw invalidInput({ after: "This is not a page cursor." });
    query = query.where(sql<boolean>`(users.registered_on, users.id) < (${cursor.at}, ${cursor.id})`);
  }
  const rows = await query.execute();
  const page = rows.slice(0, search.limit);
  const last = page.at(-1);
  return {
    accounts: page.map((r) => ({
      id: r.id,
      email: r.email,
      registeredOn: r.registered_on,
      confirmedOn: r.confirmed_on,
      pendingEmail: r.pending_email,
      admin: r.admin === 1,
      disabledAt: r.disabled_at,
      liveSessions: Number(r.live_sessions ?? 0),
    })),
    next: rows.length > search.limit && last ? encodeCursor(last.registered_on, last.id) : null,
  };
}
