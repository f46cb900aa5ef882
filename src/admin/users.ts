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

/** Below this many matches a prefix is "narrow": its range is read and sorted at once. */
const NARROW_PREFIX = 1000;
/**
 * How many of the newest accounts a broad prefix's page is first looked for among. A page needs
 * about 51 × total / matches rows of the walk, and the walk stops once it has them: 10,000 covers
 * a prefix matching 0.5 % of the accounts (5,000 of 1 M), which a range read would sort for as
 * long. At 5,000, a prefix matching 10 k of 1 M accounts spread over time missed its page about
 * half the time and paid the walk and the range read (PostgreSQL: 2.3 + 4.7 ms, EXPLAIN ANALYZE;
 * p99 at 4 connections 59 → 19 ms with 10,000, bench scale rows).
 */
const WALK_BUDGET = 10_000;

/** Whether at least `n` canonical addresses start with `prefix`: an index-only scan of at most n entries. */
async function matchesAtLeast(deps: Pick<Deps, "db">, prefix: string, n: number): Promise<boolean> {
  const row = await deps.db.kysely
    .selectFrom((eb) => eb.selectFrom("users").select(sql.lit(1).as("one")).where(startsWith(deps.db.dialect, "users.email_canonical", prefix)).limit(n).as("m"))
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n) >= n;
}

type Keys = { id: string; registered_on: number }[];

/**
 * Accounts newest first (registered_on, then id), keyset-paginated, optionally only those whose
 * canonical address starts with `q` and of one status. Every step is bounded by an index:
 * - no prefix: the walk of the newest-first index (or the status's index) from the cursor;
 * - a narrow prefix (< NARROW_PREFIX matches, counted index-only): its range on email_canonical,
 *   read and sorted (index-only without a status: users_email_newest carries registered_on, id);
 * - a broad prefix: first the newest WALK_BUDGET accounts after the cursor, filtered — enough
 *   when addresses are not in registration order (about 50 × total / matches rows); if that
 *   window is still short of a page, the prefix's range read and sorted after all.
 * A deep page costs what the first does (the cursor is a row-value comparison).
 */
export async function searchAccounts(deps: Pick<Deps, "db" | "clock" | "config">, search: AccountSearch): Promise<AccountPage> {
  const { kysely, dialect } = deps.db;
  const cursor = search.after ? decodeCursor(search.after) : undefined;
  if (cursor === null) throw invalidInput({ after: "This is not a page cursor." });
  const want = search.limit + 1;
  // Status, cursor and order. Walking, the newest-first or the status's index serves; a status's
  // condition is a literal, as SQLite uses a partial index only for the very condition it names.
  // On a prefix's range, status and order are spelt so that no index serves them (`+ 0`): both
  // planners would otherwise walk the newest-first index (or 900 k confirmed accounts) hoping
  // to meet the prefix soon — measured 1.2 s on PostgreSQL when the matches are old.
  const base = (walk = true) => {
    const registered = walk ? sql.ref("users.registered_on") : sql`(users.registered_on + 0)`;
    let q = kysely.selectFrom("users").orderBy(registered, "desc").orderBy("users.id", "desc");
    const col = (c: "confirmed" | "admin" | "disabled_at") => (walk ? sql.ref(`users.${c}`) : sql`(${sql.ref(`users.${c}`)} + 0)`);
    if (search.status === "confirmed") q = q.where(sql<boolean>`${col("confirmed")} = 1`);
    if (search.status === "unconfirmed") q = q.where(sql<boolean>`${col("confirmed")} = 0`);
    if (search.status === "admin") q = q.where(sql<boolean>`${col("admin")} = 1`);
    if (search.status === "disabled") q = q.where(sql<boolean>`${col("disabled_at")} is not null`);
    if (cursor) q = q.where(sql<boolean>`(users.registered_on, users.id) < (${cursor.at}, ${cursor.id})`);
    return q;
  };
  const prefix = canonicalPrefix(search.q ?? "");
  const inRange = () => base(false).select(["users.id", "users.registered_on"]).where(startsWith(dialect, "users.email_canonical", prefix)).limit(want).execute();
  let keys: Keys;
  if (prefix === "") {
    keys = await base().select(["users.id", "users.registered_on"]).limit(want).execute();
  } else if (!(await matchesAtLeast(deps, prefix, NARROW_PREFIX))) {
    keys = await inRange();
  } else {
    const window = base().select(["users.id", "users.registered_on", "users.email_canonical"]).limit(WALK_BUDGET).as("w");
    const found: Keys = await kysely
      .selectFrom(window)
      .select(["w.id", "w.registered_on"])
      .where(startsWith(dialect, "w.email_canonical", prefix, { indexed: false }))
      .orderBy("w.registered_on", "desc")
      .orderBy("w.id", "desc")
      .limit(want)
      .execute();
    // Short of a page: the rest may lie before the window (or the window was everything, and
    // the range is small). Either way the range gives the exact answer.
    keys = found.length < want ? await inRange() : found;
  }
  if (keys.length === 0) return { accounts: [], next: null };
  const query = kysely
    .selectFrom("users")
    .where("users.id", "in", keys.map((k) => k.id))
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
    .orderBy("users.id", "desc");
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
