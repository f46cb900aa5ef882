/**
 * Issue 5, failure test 1: two `serve --no-worker` instances and two `worker` processes on one
 * PostgreSQL database behave as one service — any instance serves any request, and the two
 * workers together send every email exactly once.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client } from "../helpers/client.ts";
import { createTestDatabase, testDialects, type TestDatabase } from "../helpers/databases.ts";
import { PASSWORD } from "../helpers/flows.ts";
import { linkPath, SmtpSink } from "../helpers/smtp-sink.ts";
import { BASE_URL, count, inParallel, openTestDb, Processes, roleEnv, signUpAt, until, type LatchkeyProcess } from "./harness.ts";

const postgres = (await testDialects()).includes("postgres");

describe("scale-out: 2 app instances + 2 workers on one PostgreSQL database", { skip: postgres ? false : "PostgreSQL not reachable (CI=true makes it required)" }, () => {
  let database: TestDatabase;
  let sink: SmtpSink;
  let procs: Processes;
  let a: LatchkeyProcess;
  let b: LatchkeyProcess;
  let workers: LatchkeyProcess[];

  before(async () => {
    database = await createTestDatabase("postgres");
    sink = await new SmtpSink().start();
    procs = new Processes(roleEnv(database.url, sink.url));
    // All four start at once on the empty database: migrations must cope with that.
    [a, b] = await Promise.all([procs.serve("A", ["--no-worker"]), procs.serve("B", ["--no-worker"])]);
    workers = [procs.worker("worker-1"), procs.worker("worker-2")];
    await Promise.all([a.ready(), b.ready()]);
  });

  after(async () => {
    await procs?.killAll();
    await sink?.stop();
    await database?.drop();
  });

  test("register on A, confirm through B, sign in on A and be recognised on B; sign-out on A is refused on B at once", { timeout: 60_000 }, async () => {
    const email = "first@example.com";
    await signUpAt(a.url, email);
    const mail = await sink.waitFor(email, 1, 20_000);
    const path = linkPath(mail, BASE_URL);

    // The link is opened (and its form posted) on B, with B's own CSRF cookie and token.
    const onB = new Client(b.url);
    assert.equal((await onB.get(path)).status, 200);
    const confirmed = await onB.post(path);
    assert.equal(confirmed.status, 303, confirmed.text.slice(0, 300));
    assert.equal(confirmed.location, "/confirmed");

    const browserA = new Client(a.url);
    await browserA.get("/login");
    const login = await browserA.post("/login", { email, password: PASSWORD });
    assert.equal(login.status, 303, "confirmed user signs in on A");
    assert.equal(login.location, "/", "straight in: A sees the confirmation made on B");
    const session = browserA.session;
    assert.ok(session, "A set a session cookie");

    // The same cookie, sent to B.
    const browserB = new Client(b.url);
    browserB.cookies.set("session", session);
    const profileB = await browserB.get("/profile");
    assert.equal(profileB.status, 200, "B recognises the session made on A");
    assert.match(profileB.text, /first@example\.com/);

    const logout = await browserA.post("/logout");
    assert.equal(logout.status, 303);
    // At once: the very next request to B with the old cookie is refused.
    const afterLogout = await browserB.get("/profile");
    assert.equal(afterLogout.status, 303, "B refuses the session revoked on A");
    assert.match(afterLogout.location ?? "", /^\/login\b/);
  });

  test("200 sign-ups spread over both instances → exactly 200 confirmation emails, unique Message-IDs", { timeout: 60_000 }, async () => {
    const before = sink.mails.length;
    const emails = Array.from({ length: 200 }, (_, i) => `spread-${i}@example.com`);
    const started = Date.now();
    // 8 browsers at a time, alternating between A and B.
    await inParallel(emails, 8, async (email, i) => {
      await signUpAt(i % 2 === 0 ? a.url : b.url, email);
    });
    const signedUp = Date.now();

    const db = openTestDb(database.url);
    try {
      const arrived = () => sink.mails.slice(before).filter((m) => m.subject === "Confirm your email address");
      await until(() => arrived().length >= 200, 40_000, () => `${arrived().length}/200 confirmation emails arrived\n${procs.output()}`);
      // Nothing more is due: both workers are done, so late duplicates would be here by now.
      await until(
        async () => (await count(db, "select count(*) as n from outbox where status <> 'sent'")) === 0,
        10_000,
        () => "outbox still has unsent rows",
      );
      await new Promise((r) => setTimeout(r, 1500));
      const mails = sink.mails.slice(before);
      console.log(`# 200 sign-ups over A+B in ${signedUp - started} ms; all mail in ${Date.now() - started} ms`);

      assert.equal(mails.length, 200, "exactly 200 emails");
      const ids = new Set(mails.map((m) => m.messageId));
      assert.equal(ids.size, 200, "no duplicate Message-IDs");
      assert.deepEqual(mails.map((m) => m.to).sort(), [...emails].sort(), "one to each address, none missing");
      assert.equal(await count(db, "select count(*) as n from outbox where kind = 'confirm' and status = 'sent'"), 201);
      for (const w of workers) assert.ok(w.alive, `${w.name} still running\n${w.output()}`);
    } finally {
      await db.close();
    }
  });
});
