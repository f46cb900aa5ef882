import { randomUUID } from "node:crypto";
import type { AuthEventType } from "../db/schema.ts";
import type { ClientInfo, Deps, Trx } from "./deps.ts";

const USER_AGENT_MAX = 512;

/** Default retention of auth_events (days); older rows are pruned by the worker. */
export const AUDIT_RETENTION_DAYS = 180;

export interface AuthEvent {
  readonly type: AuthEventType;
  readonly userId: string | null;
  readonly outcome: string;
  readonly client: ClientInfo;
  readonly now: number;
  /** Who acted when it is not the account itself: the admin (issue 14). */
  readonly actorId?: string | null;
}

/** Appends one event, in the caller's transaction (so it exists exactly when the action does). */
export async function recordEvent(trx: Trx, e: AuthEvent): Promise<void> {
  await trx
    .insertInto("auth_events")
    .values({
      id: randomUUID(),
      type: e.type,
      user_id: e.userId,
      ip: e.client.ip,
      user_agent: e.client.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
      outcome: e.outcome,
      created_at: e.now,
      actor_id: e.actorId ?? null,
    })
    .execute();
}

/** Deletes events older than the retention; returns how many. */
export async function pruneEvents(deps: Pick<Deps, "db" | "clock">, retentionDays = AUDIT_RETENTION_DAYS): Promise<number> {
  const cutoff = deps.clock.now() - retentionDays * 86_400_000;
  const result = await deps.db.kysely.deleteFrom("auth_events").where("created_at", "<", cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}
