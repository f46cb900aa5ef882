import { setTimeout as sleep } from "node:timers/promises";
import type { Clock } from "../accounts/deps.ts";
import { claimDueOutbox } from "../db/claim.ts";
import type { Db } from "../db/index.ts";
import type { OutboxRow } from "../db/schema.ts";
import type { Outbox } from "./outbox.ts";
import { isPermanentFailure, type Transport } from "./transport.ts";
import { WEBHOOK_TIMEOUT_MS, WebhookGone, webhookRetryAt, type WebhookSender } from "./webhook-delivery.ts";

export interface WorkerOptions {
  /** How often to look for due mail when nothing woke the worker. */
  pollMs?: number;
  batchSize?: number;
  /** How long a claimed batch is ours; a dead worker's batch is picked up after this. */
  leaseMs?: number;
  /** First retry delay; doubles per attempt (with jitter) up to maxBackoffMs. */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  /** Retryable failures stop being retried this long after the message was queued. */
  giveUpAfterMs?: number;
}

export interface WorkerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface Worker {
  /** Look for due mail now (called after a flow queued something). */
  wake(): void;
  /** Deliver everything currently due, then return (tests, CLI). */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

const CONCURRENCY = 5;

export function startWorker(
  deps: { db: Db; clock: Clock; outbox: Outbox; transport: Transport; webhooks: WebhookSender; log: WorkerLog },
  options: WorkerOptions = {},
): Worker {
  const o = {
    pollMs: 1000,
    batchSize: 50,
    leaseMs: 60_000,
    backoffBaseMs: 2000,
    maxBackoffMs: 10 * 60_000,
    giveUpAfterMs: 24 * 3600_000,
    ...options,
  };
  const { db, clock, transport, log } = deps;
  const { kysely } = db;
  let stopping = false;
  let wakeUp: (() => void) | undefined;
  let pending = false;

  /** Exponential back-off with jitter; null (give up) on a permanent refusal or after giveUpAfterMs. */
  function mailRetryAt(row: OutboxRow, err: unknown, attempts: number): number | null {
    const now = clock.now();
    if (isPermanentFailure(err) || now - row.created_at >= o.giveUpAfterMs) return null;
    const delay = Math.min(o.maxBackoffMs, o.backoffBaseMs * 2 ** Math.min(attempts - 1, 20));
    return now + Math.round(delay * (0.75 + Math.random() * 0.5));
  }

  async function deliver(row: OutboxRow): Promise<void> {
    const now = () => clock.now();
    if (row.payload === null) {
      await kysely.updateTable("outbox").set({ status: "failed", last_error: "no payload", locked_until: null }).where("id", "=", row.id).execute();
      return;
    }
    // A row with an endpoint is a webhook delivery (docs/decisions/010-webhooks.md): sent by
    // HTTP and retried on SPEC §7's schedule; everything else is mail.
    const webhook = row.endpoint_id !== null;
    // Too little of the lease left for a full exchange: leave the row to whoever claims it next
    // rather than race another worker (a slow receiver must not make a batch outlive its lease).
    if (webhook && row.locked_until !== null && now() + Math.min(WEBHOOK_TIMEOUT_MS, o.leaseMs / 2) >= row.locked_until) return;
    try {
      if (webhook) await deps.webhooks.send(row, now());
      else await transport.send(deps.outbox.open(row.payload), row.message_id);
    } catch (err) {
      const attempts = row.attempts + 1;
      const message = err instanceof Error ? err.message.slice(0, 500) : String(err);
      const retryAt = webhook ? (err instanceof WebhookGone ? null : webhookRetryAt(attempts, now())) : mailRetryAt(row, err, attempts);
      await kysely
        .updateTable("outbox")
        .set({
          status: retryAt === null ? "failed" : "pending",
          attempts,
          last_error: message,
          next_attempt_at: retryAt ?? now(),
          locked_until: null,
        })
        .where("id", "=", row.id)
        .execute();
      // Called on `log`: pino's methods read `this` (detached, they throw and strand the rest of the batch).
      const details = { outboxId: row.id, kind: row.kind, attempts, err: message };
      const what = webhook ? "webhook" : "mail";
      if (retryAt === null) log.error(details, `${what} given up`);
      else log.warn(details, `${what} delivery failed; will retry`);
      return;
    }
    await kysely
      .updateTable("outbox")
      .set({
        status: "sent",
        attempts: row.attempts + 1,
        sent_at: now(),
        locked_until: null,
        last_error: null,
        // SPEC §4: once the server has it, the body (with its token) leaves our database.
        ...(transport.keepsDelivered && !webhook ? {} : { payload: null }),
      })
      .where("id", "=", row.id)
      .execute();
  }

  async function runOnce(): Promise<number> {
    const rows = await claimDueOutbox(db, { now: clock.now(), leaseMs: o.leaseMs, limit: o.batchSize });
    for (let i = 0; i < rows.length; i += CONCURRENCY) {
      await Promise.all(rows.slice(i, i + CONCURRENCY).map(deliver));
    }
    return rows.length;
  }

  const loop = (async () => {
    while (!stopping) {
      pending = false;
      let claimed = 0;
      try {
        claimed = await runOnce();
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, "outbox poll failed");
      }
      if (stopping) break;
      if (claimed > 0 || pending) continue;
      const nap = new AbortController();
      wakeUp = () => nap.abort();
      await sleep(o.pollMs, undefined, { signal: nap.signal }).catch(() => {});
      wakeUp = undefined;
    }
  })();

  return {
    wake() {
      pending = true;
      // Let the enqueuing transaction commit before looking.
      if (wakeUp) setTimeout(() => wakeUp?.(), 5).unref();
    },
    async drain() {
      let total = 0;
      for (let n = await runOnce(); n > 0; n = await runOnce()) total += n;
      return total;
    },
    async stop() {
      stopping = true;
      wakeUp?.();
      await loop;
    },
  };
}
