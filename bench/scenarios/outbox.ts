/**
 * Mail delivery: N confirmation emails queued at once (the app's own outbox module, one
 * transaction, a fresh database), then a `latchkey worker` process drains them to an SMTP
 * sink. The rate is counted at the sink, from the first mail in to the last.
 */
import { migrate, openDb } from "../../src/db/index.ts";
import { confirmationMail } from "../../src/mail/messages/confirm.tsx";
import { createOutbox } from "../../src/mail/outbox.ts";
import { deriveKeys, randomToken } from "../../src/secrets.ts";
import { createTestDatabase } from "../../test/helpers/databases.ts";
import { median, type Context } from "../context.ts";
import { startWorker } from "../processes.ts";
import { outboxDrained } from "../setup.ts";
import { BenchSink } from "../smtp-sink.ts";
import { num } from "../table.ts";

const TARGET = 500;

/** Queues `n` mails in one transaction; returns the seconds it took. */
async function queueMails(url: string, secretKey: string, n: number): Promise<number> {
  const db = openDb(url);
  try {
    await migrate(db);
    const outbox = createOutbox({ key: deriveKeys(secretKey).outbox, messageIdDomain: "localhost" });
    const started = performance.now();
    const now = Date.now();
    await db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < n; i++) {
        const link = `http://127.0.0.1/confirm/${randomToken()}`;
        const mail = confirmationMail({ locale: "en", to: `outbox-${i}@example.com`, link, code: "ABCDEFGH", expiresAt: now + 86_400_000, ttlSeconds: 86_400 });
        await outbox.enqueue(trx, mail, now);
      }
    });
    return (performance.now() - started) / 1000;
  } finally {
    await db.close();
  }
}

/** One fresh database, one worker process: mails per second at the sink. */
async function drain(ctx: Context, sink: BenchSink, n: number, run: number): Promise<{ rate: number; queued: number }> {
  const database = await createTestDatabase(ctx.dialect);
  try {
    const queued = await queueMails(database.url, ctx.secretKey, n);
    ctx.log(`outbox: ${n.toLocaleString("en-US")} mails queued in ${queued.toFixed(1)} s; a worker drains them (run ${run}/${ctx.runs})`);
    sink.reset();
    const worker = startWorker(ctx.dir, { name: "worker", databaseUrl: database.url, smtpUrl: sink.url, secretKey: ctx.secretKey });
    const done = await sink.waitForCount(n, Math.max(60_000, (n / 50) * 1000));
    await worker.stop();
    if (!done) throw new Error(`outbox: only ${sink.count} of ${n} mails arrived; see ${worker.log}`);
    return { rate: (n - 1) / ((sink.lastAt - sink.firstAt) / 1000), queued };
  } finally {
    await database.drop();
  }
}

export async function outboxScenario(ctx: Context): Promise<void> {
  const n = ctx.quick ? 2_000 : 10_000;
  // The main server may still be sending the sign-up scenario's mail: let it finish first.
  await outboxDrained(ctx.app.baseUrl);
  const sink = await new BenchSink().start();
  const results: Array<{ rate: number; queued: number }> = [];
  try {
    for (let run = 1; run <= ctx.runs; run++) results.push(await drain(ctx, sink, n, run));
  } finally {
    await sink.stop();
  }
  const rate = median(results.map((r) => r.rate));
  ctx.rows.push({
    scenario: `outbox: ${n.toLocaleString("en-US")} queued mails → SMTP sink`,
    measure: "mails/s",
    value: num(rate),
    reference: `(queued in ${median(results.map((r) => r.queued)).toFixed(1)} s, one transaction)`,
    target: `≥ ${TARGET}`,
    met: rate >= TARGET,
  });
}
