import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { pruneEvents } from "../../src/accounts/audit.ts";
import type { AuthEventType } from "../../src/db/schema.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Client } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { OTHER_PASSWORD, PASSWORD, waitForMail } from "../helpers/flows.ts";
import { ClientAt, freshIp } from "../helpers/forwarded.ts";
import { confirmationCode, linkPath } from "../helpers/smtp-sink.ts";

// After each flow, auth_events holds the row a security reviewer would look for: its type, the
// account, the client address (played through X-Forwarded-For behind a trusted 127.0.0.1) and
// the outcome. Nothing secret ever lands in it.

const UA = "AuditTest/1.0 (X11; Linux x86_64)";

let addressCounter = 0;
function freshAddress(label: string): string {
  return `${label}.${++addressCounter}@example.com`;
}

interface EventRow {
  readonly id: string;
  readonly type: string;
  readonly user_id: string | null;
  readonly ip: string | null;
  readonly user_agent: string | null;
  readonly outcome: string;
  readonly created_at: number;
}

for (const dialect of await testDialects()) {
  describe(`audit log (${dialect})`, () => {
    let app: TestApp;
    /** Every password, link token, code and cookie value the tests used: none may reach auth_events. */
    const secrets = new Set<string>();
    before(async () => {
      app = await startTestApp({ dialect, env: { TRUST_PROXY: "127.0.0.1" } });
    });
    after(() => app.close());

    const db = () => app.service.deps.db.kysely;

    async function eventsAt(ip: string, type?: AuthEventType): Promise<EventRow[]> {
      let q = db().selectFrom("auth_events").selectAll().where("ip", "=", ip);
      if (type) q = q.where("type", "=", type);
      const rows = await q.orderBy("created_at").execute();
      return rows.map((r) => ({ ...r, created_at: Number(r.created_at) }));
    }

    /** The one event of `type` from `ip`; asserts it has the expected account and outcome. */
    async function assertEvent(ip: string, type: AuthEventType, expected: { userId: string | null; outcome: string; count?: number }): Promise<EventRow> {
      // Polled: some events are written just after the answer (the reset request, for timing).
      const deadline = Date.now() + 5000;
      let rows = await eventsAt(ip, type);
      while (rows.length < (expected.count ?? 1) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        rows = await eventsAt(ip, type);
      }
      assert.equal(rows.length, expected.count ?? 1, `${type} events from ${ip}: ${JSON.stringify(rows)}`);
      const row = rows.at(-1)!;
      assert.equal(row.type, type);
      assert.equal(row.user_id, expected.userId, `${type}: user_id`);
      assert.equal(row.ip, ip, `${type}: ip`);
      assert.equal(row.outcome, expected.outcome, `${type}: outcome`);
      assert.ok(Math.abs(row.created_at - app.clock.now()) < 60_000, `${type}: created_at is the (app clock's) time of the action`);
      return row;
    }

    async function userIdOf(email: string): Promise<string> {
      return (await db().selectFrom("users").select("id").where("email_canonical", "=", email.toLowerCase()).executeTakeFirstOrThrow()).id;
    }

    /** A browser at its own client address that has loaded `/login` (holds a CSRF token). */
    async function browserAt(ip = freshIp()): Promise<ClientAt> {
      const b = new ClientAt(app.url, ip, { "user-agent": UA });
      await b.get("/login");
      return b;
    }

    function keep(b: Client): void {
      for (const v of b.cookies.values()) if (v) secrets.add(v);
    }

    async function register(email: string, password = PASSWORD): Promise<ClientAt> {
      secrets.add(password);
      const b = await browserAt();
      await b.get("/register");
      const res = await b.post("/register", { email, password, confirm: password });
      assert.equal(res.status, 303);
      keep(b);
      return b;
    }

    async function confirmationMail(email: string, n = 1) {
      const mail = await waitForMail(app, email, /Confirm your email address/, n);
      const path = linkPath(mail, app.config.baseUrl);
      const code = confirmationCode(mail);
      secrets.add(path.split("/").at(-1)!);
      secrets.add(code);
      secrets.add(code.replace("-", ""));
      return { path, code };
    }

    /** A registered and confirmed (by link) account, signed in from its own browser. */
    async function confirmedAccount(label: string): Promise<{ email: string; browser: ClientAt; id: string }> {
      const email = freshAddress(label);
      const browser = await register(email);
      const { path } = await confirmationMail(email);
      assert.equal((await (await browserAt()).post(path)).status, 303);
      return { email, browser, id: await userIdOf(email) };
    }

    test("register: a register row with the new account, the client's IP and user agent; a taken address is recorded as such", async () => {
      const email = freshAddress("register");
      const b = await register(email);
      const id = await userIdOf(email);
      const row = await assertEvent(b.ip, "register", { userId: id, outcome: "ok" });
      assert.equal(row.user_agent, UA);

      const again = await register(email.toUpperCase(), OTHER_PASSWORD);
      await assertEvent(again.ip, "register", { userId: id, outcome: "existing_account" });
    });

    test("confirm by link: a confirm row from the device that confirmed", async () => {
      const email = freshAddress("confirm-link");
      await register(email);
      const { path } = await confirmationMail(email);
      const phone = await browserAt();
      assert.equal((await phone.post(path)).status, 303);
      await assertEvent(phone.ip, "confirm", { userId: await userIdOf(email), outcome: "ok" });
    });

    test("confirm by code: a wrong code and the right one are both recorded", async () => {
      const email = freshAddress("confirm-code");
      const b = await register(email);
      const { code } = await confirmationMail(email);
      await b.get("/unconfirmed");
      assert.equal((await b.post("/confirm", { code: "ZZZZ-ZZZZ" })).status, 400);
      const id = await userIdOf(email);
      await assertEvent(b.ip, "confirm", { userId: id, outcome: "wrong_code" });
      assert.equal((await b.post("/confirm", { code })).status, 303);
      const rows = await eventsAt(b.ip, "confirm");
      assert.deepEqual(
        rows.map((r) => [r.user_id, r.outcome]),
        [
          [id, "wrong_code"],
          [id, "ok"],
        ],
      );
    });

    test("resend: a resend row", async () => {
      const email = freshAddress("resend");
      const b = await register(email);
      await b.get("/unconfirmed");
      app.clock.advance(61_000);
      assert.equal((await b.post("/resend")).status, 303);
      await assertEvent(b.ip, "resend", { userId: await userIdOf(email), outcome: "ok" });
      await confirmationMail(email, 2);
    });

    test("login_ok and login_failed (unknown account, wrong password)", async () => {
      const { email, id } = await confirmedAccount("login");
      const unknown = await browserAt();
      assert.equal((await unknown.post("/login", { email: freshAddress("nobody"), password: PASSWORD })).status, 401);
      await assertEvent(unknown.ip, "login_failed", { userId: null, outcome: "unknown_account" });

      const wrong = await browserAt();
      secrets.add("a wrong password for the audit");
      assert.equal((await wrong.post("/login", { email, password: "a wrong password for the audit" })).status, 401);
      await assertEvent(wrong.ip, "login_failed", { userId: id, outcome: "wrong_password" });

      const ok = await browserAt();
      assert.equal((await ok.post("/login", { email, password: PASSWORD })).status, 303);
      keep(ok);
      const row = await assertEvent(ok.ip, "login_ok", { userId: id, outcome: "ok" });
      assert.equal(row.user_agent, UA);
      assert.equal((await eventsAt(ok.ip, "login_failed")).length, 0);
    });

    test("logout: a logout row", async () => {
      const { browser, id } = await confirmedAccount("logout");
      assert.equal((await browser.post("/logout")).status, 303);
      await assertEvent(browser.ip, "logout", { userId: id, outcome: "ok" });
    });

    test("forgot and reset: reset_requested (known and unknown addresses) and reset_done", async () => {
      const { email, id } = await confirmedAccount("reset");
      const stranger = await browserAt();
      assert.equal((await stranger.post("/forgot", { email: freshAddress("no-such-account") })).status, 303);
      await assertEvent(stranger.ip, "reset_requested", { userId: null, outcome: "unknown_account" });

      const owner = await browserAt();
      assert.equal((await owner.post("/forgot", { email })).status, 303);
      await assertEvent(owner.ip, "reset_requested", { userId: id, outcome: "ok" });

      const path = linkPath(await waitForMail(app, email, /Reset your password/), app.config.baseUrl, "/reset/");
      secrets.add(path.split("/").at(-1)!);
      secrets.add(OTHER_PASSWORD);
      await owner.get(path);
      assert.equal((await owner.post(path, { password: OTHER_PASSWORD, confirm: OTHER_PASSWORD })).status, 303);
      await assertEvent(owner.ip, "reset_done", { userId: id, outcome: "ok" });
    });

    test("password_changed", async () => {
      const { browser, id } = await confirmedAccount("password");
      await browser.get("/profile");
      const next = "a brand new passphrase for audit";
      secrets.add(next);
      const res = await browser.post("/profile/password", { current_password: PASSWORD, password: next, confirm: next });
      assert.equal(res.status, 303);
      keep(browser);
      await assertEvent(browser.ip, "password_changed", { userId: id, outcome: "ok" });
    });

    test("email_change_requested, then email_changed when the new address's link is confirmed", async () => {
      const { browser, id } = await confirmedAccount("change");
      const newAddress = freshAddress("changed");
      await browser.get("/profile");
      assert.equal((await browser.post("/profile/email", { email: newAddress, current_password: PASSWORD })).status, 303);
      await assertEvent(browser.ip, "email_change_requested", { userId: id, outcome: "ok" });

      const path = linkPath(await waitForMail(app, newAddress, /Confirm your new email address/), app.config.baseUrl);
      secrets.add(path.split("/").at(-1)!);
      const other = await browserAt();
      assert.equal((await other.post(path)).status, 303);
      await assertEvent(other.ip, "email_changed", { userId: id, outcome: "ok" });
    });

    test("session_revoked", async () => {
      const { email, browser, id } = await confirmedAccount("revoke");
      const laptop = await browserAt();
      assert.equal((await laptop.post("/login", { email, password: PASSWORD })).status, 303);
      keep(laptop);
      const list = await browser.get("/sessions");
      assert.equal(list.status, 200);
      const rows = [...list.text.matchAll(/<tr data-session="([^"]+)">([\s\S]*?)<\/tr>/g)];
      const other = rows.find((m) => !m[2]!.includes("(this device)"));
      assert.ok(other, "the other session is listed");
      assert.equal((await browser.post(`/sessions/${other[1]}/revoke`)).status, 303);
      await assertEvent(browser.ip, "session_revoked", { userId: id, outcome: "ok" });
    });

    test("no column of any auth_events row holds a password, link token, code or cookie value", async () => {
      // A compact tour of its own, so this test stands alone too.
      const { browser } = await confirmedAccount("secrets");
      keep(browser);
      const sessionHashes = await db().selectFrom("sessions").select("id_hash").execute();
      for (const s of sessionHashes) secrets.add(s.id_hash);
      assert.ok(secrets.size >= 5, `collected ${secrets.size} secrets`);

      const rows = await db().selectFrom("auth_events").selectAll().execute();
      assert.ok(rows.length >= 10, `the log has rows (${rows.length})`);
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          if (value === null) continue;
          const text = String(value).toLowerCase();
          for (const secret of secrets) {
            assert.ok(!text.includes(secret.toLowerCase()), `auth_events.${column} of a ${row.type} row contains a secret`);
          }
        }
      }
    });

    test("pruning removes events older than the retention and keeps recent ones", async () => {
      const now = app.clock.now();
      const old = randomUUID();
      const recent = randomUUID();
      const base = { type: "login_failed" as const, user_id: null, ip: "192.0.2.1", user_agent: null, outcome: "unknown_account" };
      await db()
        .insertInto("auth_events")
        .values([
          { ...base, id: old, created_at: now - 200 * 86_400_000 },
          { ...base, id: recent, created_at: now - 179 * 86_400_000 },
        ])
        .execute();
      const removed = await pruneEvents(app.service.deps);
      assert.ok(removed >= 1, `pruned ${removed}`);
      const left = await db().selectFrom("auth_events").select("id").where("id", "in", [old, recent]).execute();
      assert.deepEqual(
        left.map((r) => r.id),
        [recent],
      );
      assert.ok(Number((await db().selectFrom("auth_events").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n) > 1, "the other events stay");

      // A shorter configured retention prunes what the default keeps.
      assert.equal(await pruneEvents(app.service.deps, 90), 1);
      assert.equal((await db().selectFrom("auth_events").select("id").where("id", "=", recent).execute()).length, 0);
    });
  });

  describe(`audit log of refusals (${dialect}, RATE_LIMITS=on)`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, env: { RATE_LIMITS: "on", TRUST_PROXY: "127.0.0.1" } });
    });
    after(() => app.close());

    test("a refused sign-in is a rate_limited row (no login_failed for it, no account named)", async () => {
      const b = new ClientAt(app.url, freshIp());
      await b.get("/login");
      for (let i = 1; i <= 30; i++) assert.equal((await b.post("/login", { email: freshAddress("limited"), password: "guess" })).status, 401);
      assert.equal((await b.post("/login", { email: freshAddress("limited"), password: "guess" })).status, 429);
      const rows = await app.service.deps.db.kysely.selectFrom("auth_events").selectAll().where("ip", "=", b.ip).execute();
      const limited = rows.filter((r) => r.type === "rate_limited");
      assert.equal(limited.length, 1);
      assert.equal(limited[0]!.user_id, null);
      assert.equal(limited[0]!.outcome, "POST /login");
      assert.equal(rows.filter((r) => r.type === "login_failed").length, 30, "the refused attempt is not a failed sign-in");
    });

    test("a refused resend is a rate_limited row naming the signed-in account", async () => {
      const b = new ClientAt(app.url, freshIp());
      const email = freshAddress("resend-limited");
      await b.get("/register");
      assert.equal((await b.post("/register", { email, password: PASSWORD, confirm: PASSWORD })).status, 303);
      await b.get("/unconfirmed");
      assert.equal((await b.post("/resend")).status, 429);
      const id = (await app.service.deps.db.kysely.selectFrom("users").select("id").where("email_canonical", "=", email).executeTakeFirstOrThrow()).id;
      const rows = await app.service.deps.db.kysely.selectFrom("auth_events").selectAll().where("ip", "=", b.ip).where("type", "=", "rate_limited").execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.user_id, id);
      assert.equal(rows[0]!.outcome, "POST /resend");
    });

    test("a refusal through the JSON API is a rate_limited row too", async () => {
      const b = new ClientAt(app.url, freshIp());
      const post = (email: string) =>
        b.request("POST", "/api/v1/login", { body: JSON.stringify({ email, password: "guess" }), headers: { "content-type": "application/json" } });
      for (let i = 1; i <= 30; i++) assert.equal((await post(freshAddress("api-limited"))).status, 401);
      assert.equal((await post(freshAddress("api-limited"))).status, 429);
      const rows = await app.service.deps.db.kysely.selectFrom("auth_events").selectAll().where("ip", "=", b.ip).where("type", "=", "rate_limited").execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.outcome, "POST /api/v1/login");
    });
  });
}
