import { randomUUID } from "node:crypto";
import type { Db } from "../db/index.ts";
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

/**
 * Adds an endpoint after the SSRF check (its host is resolved now, and again at every
 * delivery). Returns the `whsec_…` secret: it is shown this once; the database keeps it sealed.
 */
export async function addEndpoint(deps: EndpointDeps, input: { url: string; events?: string }): Promise<Endpoint & { secret: string }> {
  const url = parseWebhookUrl(input.url);
  const events = parseEventList(input.events);
  await checkAddress(url, deps.allowPrivate);
  const endpoint = { id: randomUUID(), url: url.href, events, createdAt: deps.now };
  const secret = newSecret();
  await deps.db.kysely
    .insertInto("webhook_endpoints")
    .values({ id: endpoint.id, url: endpoint.url, secret: seal(deps.key, secret), events: events?.join(",") ?? null, created_at: deps.now })
    .execute();
  return { ...endpoint, secret };
}

export async function listEndpoints(db: Db): Promise<Endpoint[]> {
  const rows = await db.kysely.selectFrom("webhook_endpoints").select(["id", "url", "events", "created_at"]).orderBy("created_at").execute();
  return rows.map((r) => ({ id: r.id, url: r.url, events: r.events === null ? null : (r.events.split(",") as EventType[]), createdAt: r.created_at }));
}

/** Removes the endpoint and, in the same transaction, its deliveries not yet made. */
export async function removeEndpoint(db: Db, id: string): Promise<boolean> {
  return db.kysely.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom("webhook_endpoints").where("id", "=", id).executeTakeFirst();
    await trx.deleteFrom("outbox").where("endpoint_id", "=", id).where("status", "!=", "sent").execute();
    return gone.numDeletedRows > 0n;
  });
}

/** The worker's view of an endpoint: where to send and the key to sign with. */
export async function endpointForDelivery(db: Db, key: Buffer, id: string): Promise<{ url: URL; secret: string } | undefined> {
  const row = await db.kysely.selectFrom("webhook_endpoints").select(["url", "secret"]).where("id", "=", id).executeTakeFirst();
  return row && { url: new URL(row.url), secret: unseal(key, row.secret) };
}
