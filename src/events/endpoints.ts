import { randomUUID } from "node:crypto";
import type { Trx } from "../accounts/deps.ts";
import type { Db } from "../db/index.ts";
import type { OutboxStatus } from "../db/schema.ts";
import { seal, unseal } from "../secrets.ts";
import { checkAddress, parseWebhookUrl, WebhookRefused } from "./address-guard.ts";
import { newSecret } from "./signing.ts";
import { isEventType, type EventType } from "./types.ts";

/** What the endpoint store needs: the database, the sealing key, the clock's time, the SSRF flag. */
export interface EndpointDeps {
  readonly db: Db;
  readonly key: Buffer;
  readonly allowPrivate: boolean;
  readonly now: number;
}

export interface Endpoint {
  readonly id: string;
  readonly url: string;
  /** null: every event. */
  readonly events: readonly EventType[] | null;
  readonly createdAt: number;
}

/** `a,b` → the event types, each checked against the closed list; empty or absent → all. */
export function parseEventList(input: string | undefined): EventType[] | null {
  const names = (input ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) return null;
  const unknown = names.filter((n) => !isEventType(n));
  if (unknown.length > 0) throw new WebhookRefused(`unknown event type ${unknown.map((n) => `"${n}"`).join(", ")}`);
  return [...new Set(names)] as EventType[];
}

/** Runs in the transaction of an endpoint's change, after it (the admin pages audit with it). */
export type AlongWith = (trx: Trx, endpointId: string) => Promise<void>;

/**
 * Adds an endpoint after the SSRF check (its host is resolved now, and again at every
 * delivery). Returns the `whsec_…` secret: it is shown this once; the database keeps it sealed.
 */
export async function addEndpoint(deps: EndpointDeps, input: { url: string; events?: string }, along?: AlongWith): Promise<Endpoint & { secret: string }> {
  const url = parseWebhookUrl(input.url);
  const events = parseEventList(input.events);
  await checkAddress(url, deps.allowPrivate);
  const endpoint = { id: randomUUID(), url: url.href, events, createdAt: deps.now };
  const secret = newSecret();
  await deps.db.kysely.transaction().execute(async (trx) => {
    await trx
      .insertInto("webhook_endpoints")
      .values({ id: endpoint.id, url: endpoint.url, secret: seal(deps.key, secret), events: events?.join(",") ?? null, created_at: deps.now })
      .execute();
    await along?.(trx, endpoint.id);
  });
  return { ...endpoint, secret };
}

export async function listEndpoints(db: Db): Promise<Endpoint[]> {
  const rows = await db.kysely.selectFrom("webhook_endpoints").select(["id", "url", "events", "created_at"]).orderBy("created_at").execute();
  return rows.map((r) => ({ id: r.id, url: r.url, events: r.events === null ? null : (r.events.split(",") as EventType[]), createdAt: r.created_at }));
}

/**
 * Removes the endpoint and, in the same transaction, its deliveries not yet made (and runs
 * `along` when there was one). False when there is no endpoint of that id.
 */
export async function removeEndpoint(db: Db, id: string, along?: AlongWith): Promise<boolean> {
  return db.kysely.transaction().execute(async (trx) => {
    const gone = (await trx.deleteFrom("webhook_endpoints").where("id", "=", id).executeTakeFirst()).numDeletedRows > 0n;
    await trx.deleteFrom("outbox").where("endpoint_id", "=", id).where("status", "!=", "sent").execute();
    if (gone) await along?.(trx, id);
    return gone;
  });
}

/** One delivery as the admin page shows it: never its body. */
export interface Delivery {
  readonly id: string;
  /** The event type. */
  readonly type: string;
  /** The `webhook-id`, the same on every attempt and every endpoint. */
  readonly webhookId: string;
  readonly endpointId: string;
  /** null once the endpoint was removed (its sent deliveries stay). */
  readonly url: string | null;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: number;
  /** When it went out (sent), or when the next attempt is due (pending). */
  readonly sentAt: number | null;
  readonly nextAttemptAt: number;
}

/** The latest webhook deliveries (outbox rows with an endpoint), newest first. */
export async function recentDeliveries(db: Db, limit: number): Promise<Delivery[]> {
  const rows = await db.kysely
    .selectFrom("outbox as o")
    .leftJoin("webhook_endpoints as e", "e.id", "o.endpoint_id")
    .select(["o.id", "o.kind", "o.message_id", "o.endpoint_id", "e.url", "o.status", "o.attempts", "o.last_error", "o.created_at", "o.sent_at", "o.next_attempt_at"])
    .where("o.endpoint_id", "is not", null)
    .orderBy("o.created_at", "desc")
    .orderBy("o.id", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    type: r.kind,
    webhookId: r.message_id,
    endpointId: r.endpoint_id!,
    url: r.url,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: Number(r.created_at),
    sentAt: r.sent_at === null ? null : Number(r.sent_at),
    nextAttemptAt: Number(r.next_attempt_at),
  }));
}

/** The worker's view of an endpoint: where to send and the key to sign with. */
export async function endpointForDelivery(db: Db, key: Buffer, id: string): Promise<{ url: URL; secret: string } | undefined> {
  const row = await db.kysely.selectFrom("webhook_endpoints").select(["url", "secret"]).where("id", "=", id).executeTakeFirst();
  return row && { url: new URL(row.url), secret: unseal(key, row.secret) };
}
