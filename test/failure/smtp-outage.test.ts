/**
 * Issue 5, failure test 2: the mail server goes away while people sign up; when it comes back,
 * every confirmation email arrives (retried with back-off, same Message-ID).
 *
 * The issue says 30 s of outage. The production back-off (2 s, doubling, ±25 % jitter) would
 * then put the last retries at 30–62 s after the outage began, past this test's budget, so the
 * outage here is shorter: it lasts until all 50 sign-ups are done and every message has failed
 * at least once, and at least OUTAGE_MS. What is tested is the same: connection failures are
 * retried, the SMTP pool recovers from its connections being reset, nothing is dropped.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "../helpers/databases.ts";
import { SmtpSink } from "../helpers/smtp-sink.ts";
import { count, CuttableLink, inParallel, openTestDb, Processes, roleEnv, signUpAt, sleep, until, type LatchkeyProcess } from "./harness.ts";

const OUTAGE_MS = 6000;

let database: TestDatabase;
let sink: SmtpSink;
let link: CuttableLink;
let procs: Processes;
let app: LatchkeyProcess;

before(async () => {
  database = await createTestDatabase("sqlite");
  sink = await new SmtpSink().start();
  link = await new CuttableLink(sink.port).restore();
  procs = new Processes(roleEnv(database.url, link.url));
  app = await (await procs.serve("app")).ready();
});

after(async () => {
  await procs?.killAll();
  await link?.cut();
  await sink?.stop();
  await database?.drop();
});

test("SMTP down during 50 sign-ups → all 50 emails arrive after it returns", { timeout: 60_000 }, async () => {
  // Warm up, so the worker's SMTP pool holds open connections that the outage then breaks.
  await signUpAt(app.url, "warm-up@example.com");
  await sink.waitFor("warm-up@example.com", 1, 15_000);

  await link.cut();
  const cutAt = Date.now();
  const emails = Array.from({ length: 50 }, (_, i) => `outage-${i}@example.com`);
  await inParallel(emails, 5, (email) => signUpAt(app.url, email).then(() => {}));

  const db = openTestDb(database.url);
  try {
    const failedOnce = () => count(db, "select count(*) as n from outbox where kind = 'confirm' and attempts >= 1 and status = 'pending'");
    // Every one of the 50 has been tried and failed (none given up: connection errors are retryable).
    await until(async () => (await failedOnce()) === 50, 15_000, () => `not all 50 failed once yet\n${app.output()}`);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - cutAt)));
    assert.equal(sink.mails.length, 1, "nothing got through during the outage");
    assert.equal(await count(db, "select count(*) as n from outbox where status = 'failed'"), 0, "nothing given up");
    const ready = (await (await fetch(`${app.url}/readyz`)).json()) as { checks: { outbox: { pending: number; failed: number } } };
    assert.deepEqual(ready.checks.outbox, { pending: 50, failed: 0 }, "/readyz shows the waiting mail");

    await link.restore();
    const outage = Date.now() - cutAt;
    await until(
      () => emails.every((e) => sink.to(e).length > 0),
      40_000,
      () => `${emails.filter((e) => sink.to(e).length > 0).length}/50 arrived after the SMTP server returned\n${app.output()}`,
      100,
    );
    console.log(`# SMTP outage ${outage} ms; all 50 emails arrived ${Date.now() - cutAt - outage} ms after it ended`);

    await until(async () => (await count(db, "select count(*) as n from outbox where status <> 'sent'")) === 0, 10_000, () => "outbox not drained");
    const mails = sink.mails.filter((m) => m.to.startsWith("outage-"));
    assert.equal(mails.length, 50, "each exactly once");
    const sent = await db.kysely.selectFrom("outbox").select(["message_id", "attempts"]).where("kind", "=", "confirm").execute();
    const strip = (id: string) => id.replace(/^<|>$/g, "");
    const queuedIds = new Set(sent.map((r) => strip(r.message_id)));
    for (const m of mails) assert.ok(queuedIds.has(strip(m.messageId)), `the Message-ID queued is the one delivered (${m.messageId})`);
    assert.ok(sent.filter((r) => r.attempts >= 2).length >= 50, "the 50 were delivered by a retry");
  } finally {
    await db.close();
  }
});
