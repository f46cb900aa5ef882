import { sql } from "kysely";
import type { Deps } from "../accounts/deps.ts";
import { invalidInput } from "../accounts/errors.ts";
import type { AuthEventType } from "../db/schema.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";

export interface AuditEvent {
  readonly id: string;
  readonly type: AuthEventType;
  readonly userId: string | null;
  readonly actorId: string | null;
  readonly outcome: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly at: number;
}

export interface EventFilter {
  readonly user?: string;
  readonly type?: string;
  /** The cursor of the previous page's last row. */
  readonly before?: string;
  readonly limit: number;
}

/**
 * The audit log newest first, keyset-paginated; each filter has its index (auth_events_user,
 * auth_events_type, auth_events_newest). `user` is the account an event is about.
 */
export async function listEvents(deps: Pick<Deps, "db">, filter: EventFilter): Promise<{ events: AuditEvent[]; next: string | null }> {
  let query = deps.db.kysely
    .selectFrom("auth_events")
    .select(["id", "type", "user_id", "actor_id", "outcome", "ip", "user_agent", "created_at"])
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(filter.limit + 1);
  if (filter.user) query = query.where("user_id", "=", filter.user);
  if (filter.type) query = query.where("type", "=", filter.type as AuthEventType);
  if (filter.before) {
    const cursor = decodeCursor(filter.before);
    if (!cursor) throw invalidInput({ before: "This is not a page cursor." });
    query = query.where(sql<boolean>`(created_at, id) < (${cursor.at}, ${cursor.id})`);
  }
  const rows = await query.execute();
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    events: page.map((r) => ({
      id: r.id,
      type: r.type,
      userId: r.user_id,
      actorId: r.actor_id,
      outcome: r.outcome,
      ip: r.ip,
      userAgent: r.user_agent,
      at: r.created_at,
    })),
    next: rows.length > filter.limit && last ? encodeCursor(last.created_at, last.id) : null,
  };
}
