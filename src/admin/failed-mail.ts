import type { Deps, Trx } from "../accounts/deps.ts";

/** An email the worker gave up on (permanent refusal, or still failing after 24 h). */
export interface FailedMail {
  readonly id: string;
  readonly kind: string;
  readonly createdAt: number;
  readonly attempts: number;
  readonly lastError: string | null;
}

/** The most recent failures, newest first. The message itself stays sealed in the outbox. */
export async function failedMail(deps: Pick<Deps, "db">, limit: number): Promise<FailedMail[]> {
  const rows = await deps.db.kysely
    .selectFrom("outbox")
    .select(["id", "kind", "created_at", "attempts", "last_error"])
    .where("status", "=", "failed")
    .where("endpoint_id", "is", null)
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind, createdAt: r.created_at, attempts: r.attempts, lastError: r.last_error }));
}

/** The outbox as operators see it: never sent yet, being retried, given up on. One grouped query. */
export async function mailCounts(deps: Pick<Deps, "db">): Promise<{ queued: number; retrying: number; failed: number }> {
  const rows = await deps.db.kysely
    .selectFrom("outbox")
    .select((eb) => [
      "status",
      eb.fn.countAll<number>().as("n"),
      eb.fn.sum<number>(eb.case().when("attempts", ">", 0).then(1).else(0).end()).as("retried"),
    ])
    .where("status", "in", ["pending", "failed"])
    .groupBy("status")
    .execute();
  const pending = rows.find((r) => r.status === "pending");
  const failed = rows.find((r) => r.status === "failed");
  const retrying = Number(pending?.retried ?? 0);
  return { queued: Number(pending?.n ?? 0) - retrying, retrying, failed: Number(failed?.n ?? 0) };
}

/**
 * Queues a failed mail again, now, with a new 24 h of retries (created_at moves: the worker gives
 * up 24 h after it). Only a failed mail whose body is still sealed in the outbox; false otherwise.
 */
export async function retryFailedMail(deps: Pick<Deps, "db" | "clock">, trx: Trx, id: string): Promise<boolean> {
  const now = deps.clock.now();
  const result = await trx
    .updateTable("outbox")
    .set({ status: "pending", next_attempt_at: now, created_at: now, locked_until: null })
    .where("id", "=", id)
    .where("status", "=", "failed")
    .where("payload", "is not", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
