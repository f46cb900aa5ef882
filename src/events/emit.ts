import { randomUUID } from "node:crypto";
import { sql, type CompiledQuery, type Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import type { EventType } from "./types.ts";

export interface AccountEvent {
  readonly type: EventType;
  readonly userId: string;
  /** The account's address as of the event (the new one for user.email_changed). */
  readonly email: string;
  /** Session events: the session's public id, as /sessions and the assertion's `sid` show it. */
  readonly sessionId?: string;
  /** When it happened (the flow's `clock.now()`), milliseconds. */
  readonly at: number;
}

/**
 * Queues one webhook delivery per endpoint subscribed to `event.type`, in the caller's
 * transaction, so the event exists exactly when the change does (SPEC §7). A flow emits with
 * one line, after its change, inside its transaction:
 *
 *     await emit(trx, { type: "user.disabled", userId: user.id, email: user.email, at: now });
 *
 * It is a single INSERT … SELECT from webhook_endpoints: with no endpoint it inserts nothing
 * and reads one empty table (no lookup before, no cache to go stale across instances). The
 * worker signs and sends each row (mail/webhook-delivery.ts); the `webhook-id` is fixed here,
 * so every attempt and every endpoint see the same one.
 */
export async function emit(trx: Kysely<Database>, event: AccountEvent): Promise<void> {
  const webhookId = `msg_${randomUUID().replaceAll("-", "")}`;
  const body = JSON.stringify({
    type: event.type,
    timestamp: new Date(event.at).toISOString(),
    data: { user_id: event.userId, email: event.email, ...(event.sessionId === undefined ? {} : { session_id: event.sessionId }) },
  });
  // `_` is a LIKE wildcard: escaped, so a subscription matches its event exactly.
  const subscribed = `%,${event.type.replaceAll("_", "\\_")},%`;
  const values: Values = { webhookId, type: event.type, body, at: event.at, subscribed };
  const query = compiled(trx);
  await trx.executeQuery({ ...query, parameters: query.parameters.map((p) => (p instanceof Slot ? values[p.name] : p)) });
}

type Values = { webhookId: string; type: string; body: string; at: number; subscribed: string };

class Slot {
  constructor(readonly name: keyof Values) {}
}

/**
 * The statement, built and compiled by Kysely once per database (its adapter), then run with
 * new values: building and compiling it on every call cost more than running it.
 */
const byAdapter = new WeakMap<object, CompiledQuery>();
function compiled(trx: Kysely<Database>): CompiledQuery {
  const adapter = trx.getExecutor().adapter;
  let query = byAdapter.get(adapter);
  if (!query) {
    const slot = (name: keyof Values) => new Slot(name) as unknown as string;
    query = trx
      .insertInto("outbox")
      .columns(["id", "message_id", "kind", "payload", "status", "attempts", "created_at", "next_attempt_at", "endpoint_id"])
      .expression((eb) =>
        eb
          .selectFrom("webhook_endpoints as e")
          .select([
            sql<string>`cast(${slot("webhookId")} as text) || '.' || e.id`.as("id"),
            eb.cast<string>(eb.val(slot("webhookId")), "text").as("message_id"),
            eb.cast<string>(eb.val(slot("type")), "text").as("kind"),
            eb.cast<string>(eb.val(slot("body")), "text").as("payload"),
            sql.lit("pending").as("status"),
            sql.lit(0).as("attempts"),
            eb.cast<number>(eb.val(slot("at")), "bigint").as("created_at"),
            eb.cast<number>(eb.val(slot("at")), "bigint").as("next_attempt_at"),
            "e.id",
          ])
          .where((w) => w.or([w("e.events", "is", null), sql<boolean>`(',' || e.events || ',') like ${slot("subscribed")} escape '\\'`])),
      )
      .compile();
    byAdapter.set(adapter, query);
  }
  return query;
}
