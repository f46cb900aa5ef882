/**
 * Issue 5, failure test 4: the app (`serve`, with its in-process worker) is killed with SIGKILL
 * in the middle of a burst of sign-ups. After a restart on the same database, every user row
 * has its confirmation email queued or delivered (the user and its outbox row commit in one
 * transaction), no user is half-written, and every sign-up that was answered is there.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Client } from "../helpers/client.ts";
import { createTestDatabase, testDialects, type TestDatabase } from "../helpers/databases.ts";
import { PASSWORD } from "../helpers/flows.ts";
import { SmtpSink } from "../helpers/smtp-sink.ts";
import { count, openTestDb, Processes, roleEnv, until } from "./harness.ts";

const LANES = 12;
const KILL_AFTER = 40;

const dialects = await testDialects();

describe("the app killed with SIGKILL during a burst of sign-ups", () => {
  if (!dialects.includes("postgres")) test("PostgreSQL", { skip: "PostgreSQL not reachable (CI=true makes it required)" }, () => {});

  for (const dialect of dialects) {
    let database: TestDatabase | undefined;
    let sink: SmtpSink | undefined;
    let procs: Processes | undefined;
    after(async () => {
      await procs?.killAll();
      await sink?.stop();
      await database?.drop();
    });

    test(`${dialect}: after restart every user has its confirmation email queued or delivered`, { timeout: 60_000 }, async () => {
      database = await createTestDatabase(dialect);
      sink = await new SmtpSink().start();
      // A short lease, so mail the killed process had claimed is re-sent within the test.
      procs = new Processes(roleEnv(database.url, sink.url, { OUTBOX_LEASE_SECONDS: "3" }));
      const app = await (await procs.serve("app")).ready();

      const answered: string[] = [];
      const unexpected: string[] = [];
      let attempted = 0;
      let n = 0;
      const lane = async () => {
        while (app.alive) {
          const email = `burst-${n++}@example.com`;
          const browser = new Client(app.url);
          try {
            await browser.get("/register");
            attempted++;
            const res = await browser.post("/register", { email, password: PASSWORD, confirm: PASSWORD });
            if (res.status === 303) answered.push(email);
            else unexpected.push(`${email}: ${res.status}`);
          } catch {
            return; // the process is gone: connection refused or reset
          }
        }
      };
      const lanes = Promise.all(Array.from({ length: LANES }, lane));
      await until(() => answered.length >= KILL_AFTER || unexpected.length > 0, 30_000, () => `only ${answered.length} sign-ups answered`, 5);
      const exit = await app.kill();
      await lanes;
      assert.equal(exit.signal, "SIGKILL");
      assert.deepEqual(unexpected, [], "every sign-up before the kill was answered 303");

      const restarted = await (await procs.serve("app-restarted")).ready();
      const db = openTestDb(database.url);
      try {
        const users = await db.kysely.selectFrom("users").select(["email", "password_hash"]).execute();
        console.log(`# ${dialect}: killed with ${answered.length} sign-ups answered, ${attempted - answered.length} in flight; ${users.length} users in the database`);
        assert.equal(users.filter((u) => !u.email || !u.password_hash?.startsWith("$argon2id$")).length, 0, "no half-written user");
        const emails = new Set(users.map((u) => u.email));
        for (const e of answered) assert.ok(emails.has(e), `${e} was answered 303, so it is stored`);

        const queued = await count(db, "select count(*) as n from outbox where kind in ('confirm', 'signup_attempt')");
        assert.equal(queued, users.length, "one confirmation email per user, queued or sent");
        assert.equal(await count(db, "select count(*) as n from tokens where purpose = 'confirm'"), users.length, "one confirmation token per user");

        // And the restarted app delivers them all (including any the killed worker had claimed).
        await until(
          () => users.every((u) => sink!.to(u.email).length > 0),
          20_000,
          () => `${users.filter((u) => sink!.to(u.email).length > 0).length}/${users.length} users got their email\n${restarted.output()}`,
          100,
        );
      } finally {
        await db.close();
      }
    });
  }
});
