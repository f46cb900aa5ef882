import type { Deps } from "../accounts/deps.ts";

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
