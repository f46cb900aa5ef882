import { sql } from "kysely";
import type { Deps } from "../accounts/deps.ts";

export type CohortPeriod = "day" | "week";

/** How many cohorts the dashboard and the API show: a month of days, a quarter of weeks. */
export const COHORTS_SHOWN: Record<CohortPeriod, number> = { day: 30, week: 12 };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** 1 January 1970 was a Thursday: shifted by three days, weeks start on Mondays (ISO 8601). */
const MONDAY_SHIFT = 3 * DAY;

/** The confirmation windows the chart shows, shortest first (SPEC §6). */
export const WINDOWS = [
  { label: "within 1 hour", ms: HOUR },
  { label: "within 1 day", ms: DAY },
  { label: "within 7 days", ms: WEEK },
] as const;

/** The accounts registered in one day or week (UTC) and how many were confirmed, and when. */
export interface Cohort {
  /** Start of the day or week (Monday), ms UTC. */
  readonly start: number;
  readonly registered: number;
  /** Confirmed within each of WINDOWS, in the same order. */
  readonly within: readonly number[];
  /** Confirmed at all (so far). */
  readonly confirmed: number;
  /** The longest window has not yet passed for every account of the cohort: its shares may still grow. */
  readonly open: boolean;
}

/**
 * The last `count` cohorts up to now, oldest first, empty days or weeks included. One grouped
 * query on the registered_on index: the database counts, whatever the number of accounts.
 */
export async function cohorts(deps: Pick<Deps, "db" | "clock">, period: CohortPeriod, count: number): Promise<Cohort[]> {
  const size = period === "day" ? DAY : WEEK;
  const shift = period === "day" ? 0 : MONDAY_SHIFT;
  const now = deps.clock.now();
  const last = Math.floor((now + shift) / size);
  const first = last - count + 1;
  // Integer division on both databases (bigint / bigint); registration times are never negative.
  const bucket = sql<number>`(registered_on + ${sql.lit(shift)}) / ${sql.lit(size)}`;
  const within = (ms: number) => sql<number>`sum(case when confirmed_on - registered_on <= ${sql.lit(ms)} then 1 else 0 end)`;
  const rows = await deps.db.kysely
    .selectFrom("users")
    .select((eb) => [
      bucket.as("bucket"),
      eb.fn.countAll<number>().as("registered"),
      within(WINDOWS[0].ms).as("within_hour"),
      within(WINDOWS[1].ms).as("within_day"),
      within(WINDOWS[2].ms).as("within_week"),
      eb.fn.count<number>("confirmed_on").as("confirmed"),
    ])
    .where("registered_on", ">=", first * size - shift)
    .groupBy(sql`1`)
    .execute();
  const byBucket = new Map(rows.map((r) => [Number(r.bucket), r]));
  return Array.from({ length: count }, (_, i) => {
    const b = first + i;
    const start = b * size - shift;
    const row = byBucket.get(b);
    return {
      start,
      registered: Number(row?.registered ?? 0),
      within: row ? [Number(row.within_hour), Number(row.within_day), Number(row.within_week)] : WINDOWS.map(() => 0),
      confirmed: Number(row?.confirmed ?? 0),
      open: start + size + WEEK > now,
    };
  });
}

/** All accounts, and how many of them are confirmed. */
export async function accountTotals(deps: Pick<Deps, "db">): Promise<{ accounts: number; confirmed: number }> {
  const row = await deps.db.kysely
    .selectFrom("users")
    .select((eb) => [eb.fn.countAll<number>().as("accounts"), eb.fn.sum<number>("confirmed").as("confirmed")])
    .executeTakeFirstOrThrow();
  return { accounts: Number(row.accounts), confirmed: Number(row.confirmed ?? 0) };
}

/** The cohort table as CSV (`/admin/cohorts.csv`): one row per day or week, oldest first. */
export function cohortsCsv(rows: readonly Cohort[]): string {
  const header = ["start", "registered", "confirmed_within_1h", "confirmed_within_1d", "confirmed_within_7d", "confirmed_ever", "still_filling"];
  const lines = rows.map((c) => [new Date(c.start).toISOString().slice(0, 10), c.registered, ...c.within, c.confirmed, c.open].join(","));
  return [header.join(","), ...lines].join("\r\n") + "\r\n";
}
