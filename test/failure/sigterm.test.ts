/**
 * Issue 5, failure test 6: SIGTERM. The server stops accepting connections, finishes the
 * requests in flight (up to SHUTDOWN_GRACE), the mail worker finishes its batch (nothing stays
 * leased, nothing is sent twice), and the process exits 0. Past the grace it gives up: exit 1.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { connect } from "node:net";
import { after, describe, test } from "node:test";
import pino from "pino";
import { loadConfig } from "../../src/config.ts";
import { confirmationMail } from "../../src/mail/messages/confirm.tsx";
import { openCore } from "../../src/server.ts";
import { Client } from "../helpers/client.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/databases.ts";
import { PASSWORD } from "../helpers/flows.ts";
import { SmtpSink } from "../helpers/smtp-sink.ts";
import { BASE_URL, count, openTestDb, Processes, roleEnv, sleep, until, type LatchkeyProcess } from "./harness.ts";

interface Answer {
  readonly status: number;
  readonly location: string | undefined;
  readonly setCookie: string[];
  readonly body: string;
}

/**
 * A form POST whose body is only half sent: the server has the request (headers, part of the
 * body) but cannot finish it until `finish()` sends the rest.
 */
async function halfSentPost(baseUrl: string, path: string, fields: Record<string, string>): Promise<{ finish(): void; answer: Promise<Answer> }> {
  const browser = new Client(baseUrl);
  await browser.get(path);
  const body = new URLSearchParams({ _csrf: browser.csrf!, ...fields }).toString();
  const { port } = new URL(baseUrl);
  const req = request({
    host: "127.0.0.1",
    port,
    method: "POST",
    path,
    agent: false,
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "content-length": Buffer.byteLength(body),
      cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
    },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode!, location: res.headers.location, setCookie: res.headers["set-cookie"] ?? [], body: text }));
    });
  });
  answer.catch(() => {}); // awaited by the test; not an unhandled rejection meanwhile
  req.write(body.slice(0, 20));
  return { finish: () => req.end(body.slice(20)), answer };
}

/** True once a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

describe("SIGTERM", () => {
  let database: TestDatabase | undefined;
  let sink: SmtpSink | undefined;
  const all: Processes[] = [];
  after(async () => {
    for (const p of all) await p.killAll();
    await sink?.stop();
    await database?.drop();
  });

  test("stops accepting, finishes in-flight requests, the worker finishes its batch, exit 0", { timeout: 60_000 }, async () => {
    database = await createTestDatabase("sqlite");
    sink = await new SmtpSink().start();
    const env = roleEnv(database.url, sink.url, { SHUTDOWN_GRACE: "10" });
    const procs = new Processes(env);
    all.push(procs);
    const app: LatchkeyProcess = await (await procs.serve("app")).ready();

    // Five sign-ups in flight: headers and half of each body are at the server.
    const emails = Array.from({ length: 5 }, (_, i) => `in-flight-${i}@example.com`);
    const posts = await Promise.all(emails.map((email) => halfSentPost(app.url, "/register", { email, password: PASSWORD, confirm: PASSWORD })));

    // And the worker busy: 400 emails queued (through the app's outbox), SIGTERM once it is sending.
    const core = await openCore(loadConfig(env), undefined, pino({ level: "silent" }));
    const now = Date.now();
    await core.deps.db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < 400; i++) {
        const mail = confirmationMail({ locale: "en", to: `queued-${i}@example.com`, link: `${BASE_URL}/confirm/x${i}`, code: "ABCDEFGH", expiresAt: now + 86_400_000, ttlSeconds: 86_400 });
        await core.deps.outbox.enqueue(trx, mail, now);
      }
    });
    await core.deps.db.close();
    await until(() => sink!.mails.length >= 30, 20_000, () => `the worker has not started sending\n${app.output()}`, 2);

    const termAt = Date.now();
    app.signal("SIGTERM");

    // It stops accepting while the five are still in flight (they hold the process open).
    await until(() => refused(app.port!), 5000, () => "still accepting connections after SIGTERM", 20);
    assert.ok(app.alive, "still running: it waits for the requests in flight");
    await sleep(300);
    assert.ok(app.alive, "still waiting for the requests in flight");

    for (const p of posts) p.finish();
    const answers = await Promise.all(posts.map((p) => p.answer));
    for (const a of answers) {
      assert.equal(a.status, 303, `in-flight sign-up answered in full: ${a.status} ${a.body.slice(0, 200)}`);
      assert.equal(a.location, "/unconfirmed");
      assert.ok(a.setCookie.some((c) => c.startsWith("session=")), "with its session cookie");
    }

    const exit = await app.exitWithin(15_000);
    console.log(`# SIGTERM → exit ${exit.code} in ${Date.now() - termAt} ms; ${sink.mails.length} emails sent by then`);
    assert.deepEqual(exit, { code: 0, signal: null }, `clean exit\n${app.output()}`);

    const db = openTestDb(database.url);
    try {
      assert.equal(await count(db, "select count(*) as n from users"), 5, "the five sign-ups are stored");
      assert.equal(await count(db, `select count(*) as n from outbox where status = 'pending' and locked_until > ${Date.now()}`), 0, "no batch left claimed");
      assert.equal(await count(db, "select count(*) as n from outbox where status = 'sent'"), sink.mails.length, "what is marked sent is what the server received");
      // The rest goes out with the next process; a clean shutdown leaves nothing to send twice.
      const next = new Processes(env);
      all.push(next);
      next.worker("next-worker");
      await until(async () => (await count(db, "select count(*) as n from outbox where status <> 'sent'")) === 0, 30_000, () => "the next worker did not send the rest");
      await sleep(300);
      assert.equal(sink.mails.length, 405, "every email exactly once");
      assert.equal(new Set(sink.mails.map((m) => m.messageId)).size, 405);
    } finally {
      await db.close();
    }
  });

  test("a request still in flight when SHUTDOWN_GRACE runs out: exit 1 after the grace, not a hang", { timeout: 30_000 }, async () => {
    database ??= await createTestDatabase("sqlite");
    sink ??= await new SmtpSink().start();
    const procs = new Processes(roleEnv(database.url, sink.url, { SHUTDOWN_GRACE: "1" }));
    all.push(procs);
    const app = await (await procs.serve("app")).ready();
    const stuck = await halfSentPost(app.url, "/register", { email: "never-finished@example.com", password: PASSWORD, confirm: PASSWORD });
    await sleep(200);
    const termAt = Date.now();
    app.signal("SIGTERM");
    const exit = await app.exitWithin(10_000);
    const took = Date.now() - termAt;
    assert.deepEqual(exit, { code: 1, signal: null }, app.output());
    assert.ok(took >= 900 && took < 5000, `gave up after the 1 s grace (${took} ms)`);
    assert.match(app.output(), /SHUTDOWN_GRACE/);
    await stuck.answer.then(
      (a) => assert.fail(`the unfinished request got an answer: ${a.status}`),
      () => {},
    );
  });
});
