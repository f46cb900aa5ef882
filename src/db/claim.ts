import type { Db } from "./index.ts";
import type { OutboxRow } from "./schema.ts";

/** Mail waiting and mail given up on: the figures /readyz shows. One indexed query. */
export async function outboxCounts(db: Db): Promise<{ pending: number; failed: number }> {
  const rows = await db.kysely
    .selectFrom("outbox")
    .select((eb) => ["status", eb.fn.countAll<number>().as("n")])
    .where("status", "in", ["pending", "failed"])
    .where("endpoint_id", "is", null) // mail only: webhook deliveries share the table
    .groupBy("status")
    .execute();
  const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return { pending: count("pending"), failed: count("failed") };
}

/**
 * Leases up to `limit` due outbox rows to the caller until `now + leaseMs`. A worker that dies
 * holding a lease simply lets it run out; the rows become due again for any worker.
 * PostgreSQL: `FOR UPDATE SKIP LOCKED` so concurrent workers never claim the same row.
 * SQLite: a single UPDATE … RETURNING is already atomic (one writer at a time).
 */
export async function claimDueOutbox(db: Db, opts: { now: number; leaseMs: number; limit: number }): Promise<OutboxRow[]> {
  const { kysely } = db;
  return kysely
    .updateTable("outbox")
    .set({ locked_until: opts.now + opts.leaseMs })
    .where("id", "in", (eb) => {
      const due = eb
        .selectFrom("outbox")
        .select("id")
        .where("status", "=", "pending")
        .where("next_attempt_at", "<=", opts.now)
        .where((w) => w.or([w("locked_until", "is", null), w("locked_until", "<=", opts.now)]))
        .orderBy("next_attempt_at")
        .limit(opts.limit);
      return db.dialect === "postgres" ? due.forUpdate().skipLocked() : due;
    })
    .returningAll()
    .execute();
}
