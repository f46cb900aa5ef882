import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { disableAccount, enableAccount, purgeUnconfirmed } from "../../src/accounts/lifecycle.ts";
import { sha256 } from "../../src/secrets.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Client } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { canSignIn, confirmedUser, device, isSignedIn, mailSettled, mailsLike, PASSWORD, signIn, signUp, waitForMail } from "../helpers/flows.ts";

const GOODBYE = /account was deleted/i;
const CONFIRM = /confirm/i;
const RESET = /reset/i;
const SYSTEM = { id: null, client: { ip: null, userAgent: "test" } };

function apiDelete(browser: Client, body?: object) {
  return browser.request("DELETE", "/api/v1/me", body ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {});
}

for (const dialect of await testDialects()) {
  describe(`account lifecycle (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    const userId = async (email: string) =>
      (await app.service.deps.db.kysely.selectFrom("users").select("id").where("email_canonical", "=", email).executeTakeFirst())?.id;

    test("deleting your account needs the address typed again: a mistyped one is a 422 and nothing changes", async () => {
      const browser = await confirmedUser(app, "keep@example.com");
      await browser.get("/profile");
      const res = await browser.post("/profile/delete", { email: "kep@example.com" });
      assert.equal(res.status, 422);
      assert.match(res.text, /name="email"/);
      assert.ok(await isSignedIn(browser), "still signed in");
      assert.ok(await userId("keep@example.com"), "the account is still there");
    });

    test("self-service deletion signs out, mails goodbye, frees the address (a new sign-up gets a fresh confirmation) and keeps audit rows by id only", async () => {
      const browser = await confirmedUser(app, "leaver@example.com");
      const { browser: phone } = await signIn(app, "leaver@example.com");
      const id = await userId("leaver@example.com");
      await browser.get("/profile");
      const res = await browser.post("/profile/delete", { email: "  LEAVER@example.com " });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/");
      assert.equal(browser.session, undefined, "the session cookie is cleared");
      assert.equal(await isSignedIn(phone), false, "every other session is gone too");
      assert.equal(await userId("leaver@example.com"), undefined);
      assert.equal(await canSignIn(app, "leaver@example.com", PASSWORD), false);

      const goodbye = await waitForMail(app, "leaver@example.com", GOODBYE);
      assert.ok(goodbye.text.length > 0 && goodbye.html.length > 0);

      const { kysely } = app.service.deps.db;
      const events = await kysely.selectFrom("auth_events").selectAll().where("user_id", "=", id!).execute();
      assert.ok(events.some((e) => e.type === "account_deleted"), "the deletion is audited");
      assert.ok(events.every((e) => !JSON.stringify(e).includes("leaver@")), "no audit row carries the address");
      for (const table of ["sessions", "tokens"] as const) {
        const rows = await kysely.selectFrom(table).select("user_id").where("user_id", "=", id!).execute();
        assert.equal(rows.length, 0, `no ${table} left`);
      }

      const before = mailsLike(app, "leaver@example.com", CONFIRM).length;
      await signUp(app, "leaver@example.com");
      await waitForMail(app, "leaver@example.com", CONFIRM, before + 1);
      assert.notEqual(await userId("leaver@example.com"), id, "a new account, not the old one");
    });

    test("deletion needs a fresh session: a stale one is sent to /reauth (page) or refused with reauth_required (API)", async () => {
      const browser = await confirmedUser(app, "stale@example.com");
      await browser.get("/profile");
      app.clock.advance(301_000);
      try {
        const res = await browser.post("/profile/delete", { email: "stale@example.com" });
        assert.equal(res.status, 303);
        assert.equal(res.location, "/reauth?next=%2Fprofile");
        const api = await apiDelete(browser);
        assert.equal(api.status, 403);
        assert.equal(api.json<{ error: { code: string } }>().error.code, "reauth_required");
        assert.ok(await userId("stale@example.com"), "nothing was deleted");
      } finally {
        app.clock.advance(-301_000);
      }
    });

    test("DELETE /api/v1/me deletes the account (204), with a mistyped address 422", async () => {
      const browser = await confirmedUser(app, "apiuser@example.com");
      const wrong = await apiDelete(browser, { email: "other@example.com" });
      assert.equal(wrong.status, 422);
      assert.equal(wrong.json<{ error: { code: string } }>().error.code, "invalid_input");
      const res = await apiDelete(browser);
      assert.equal(res.status, 204);
      assert.equal((await browser.get("/api/v1/me")).status, 401);
      assert.equal(await userId("apiuser@example.com"), undefined);
    });

    test("the export is a JSON attachment of the account's own data, without hashes, tokens or session ids", async () => {
      const browser = await confirmedUser(app, "exporter@example.com");
      const { kysely } = app.service.deps.db;
      const user = await kysely.selectFrom("users").selectAll().where("email_canonical", "=", "exporter@example.com").executeTakeFirstOrThrow();
      const sessions = await kysely.selectFrom("sessions").selectAll().where("user_id", "=", user.id).execute();
      await kysely.insertInto("passkeys").values({ id: "pk-export", user_id: user.id, credential_id: "cred-export-secret", public_key: "pub-export-secret", counter: 0, transports: null, backup_eligible: 1, backed_up: 1, name: "Work laptop", created_at: 0, last_used_at: null }).execute();
      for (const path of ["/profile/export", "/api/v1/me/export"]) {
        const res = await browser.get(path);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
        assert.match(res.headers.get("content-disposition") ?? "", /^attachment/);
        const data = res.json<{ account: { email: string }; sessions: unknown[]; passkeys: { name: string }[]; audit_events: { type: string }[] }>();
        assert.equal(data.account.email, "exporter@example.com");
        assert.ok(data.sessions.length >= 1);
        assert.ok(data.audit_events.some((e) => e.type === "register"));
        assert.deepEqual(data.passkeys.map((p) => p.name), ["Work laptop"], `${path}: passkeys by name`);
        assert.ok(!res.text.includes("cred-export-secret") && !res.text.includes("pub-export-secret"), `${path}: no credential`);
        assert.ok(!res.text.includes(user.password_hash) && !/argon2/.test(res.text), `${path}: no password hash`);
        assert.ok(!res.text.includes(browser.session!) && !res.text.includes(sha256(browser.session!)), `${path}: no session id`);
        for (const s of sessions) assert.ok(!res.text.includes(s.public_id) && !res.text.includes(s.id_hash), `${path}: no session handle`);
        assert.ok(!/token|code_hmac/i.test(res.text), `${path}: nothing of tokens`);
      }
      assert.equal((await app.client().get("/profile/export")).status, 303, "anonymous → sign in");
      assert.equal((await app.client().get("/api/v1/me/export")).status, 401);
    });

    test("a disabled account: its open session is refused on the very next request, its right password gets 403, its links fail; enabling restores sign-in only", async () => {
      const browser = await confirmedUser(app, "disabled@example.com");
      const id = (await userId("disabled@example.com"))!;
      const reset = (await device(app)).post("/forgot", { email: "disabled@example.com" });
      assert.equal((await reset).status, 303);
      const resetMail = await waitForMail(app, "disabled@example.com", RESET);
      assert.ok(await isSignedIn(browser));

      await disableAccount(app.service.deps, id, SYSTEM);
      assert.equal(await isSignedIn(browser), false, "the open session is refused at once");
      const { res: page } = await signIn(app, "disabled@example.com");
      assert.equal(page.status, 403);
      assert.equal((await signIn(app, "disabled@example.com", "wrong password entirely")).res.status, 401, "a wrong password stays a 401");
      const api = await app.client().request("POST", "/api/v1/login", {
        body: JSON.stringify({ email: "disabled@example.com", password: PASSWORD }),
        headers: { "content-type": "application/json" },
      });
      assert.equal(api.status, 403);
      assert.equal(api.json<{ error: { code: string } }>().error.code, "account_disabled");

      const link = /\/reset\/[A-Za-z0-9_-]+/.exec(resetMail.text)![0];
      assert.equal((await (await device(app)).get(link)).status, 400, "the reset link sent before is dead");
      await (await device(app)).post("/forgot", { email: "disabled@example.com" });
      await mailSettled(app);
      assert.equal(mailsLike(app, "disabled@example.com", RESET).length, 1, "no new reset link for a disabled account");

      await enableAccount(app.service.deps, id, SYSTEM);
      assert.equal(await isSignedIn(browser), false, "enabling brings no session back");
      assert.ok(await canSignIn(app, "disabled@example.com", PASSWORD), "sign-in works again");
    });
  });

  describe(`purge of never-confirmed accounts (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, env: { UNCONFIRMED_ACCOUNT_TTL: "2" } });
    });
    after(() => app.close());

    test("the worker's sweep deletes accounts never confirmed within UNCONFIRMED_ACCOUNT_TTL; the address can sign up again", async () => {
      const { kysely } = app.service.deps.db;
      await confirmedUser(app, "stays@example.com");
      const { browser } = await signUp(app, "squatter@example.com");
      await waitForMail(app, "squatter@example.com", CONFIRM);
      app.clock.advance(3000);
      const deadline = Date.now() + 20_000;
      while ((await kysely.selectFrom("users").select("id").where("email_canonical", "=", "squatter@example.com").executeTakeFirst()) !== undefined) {
        assert.ok(Date.now() < deadline, "purged within the sweep's period");
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(await kysely.selectFrom("users").select("id").where("email_canonical", "=", "stays@example.com").executeTakeFirst(), "confirmed accounts stay");
      assert.equal((await browser.get("/unconfirmed")).status, 303, "its session is gone");
      const purged = await kysely.selectFrom("auth_events").select("outcome").where("type", "=", "account_purged").execute();
      assert.equal(purged.length, 1);
      await mailSettled(app);
      assert.equal(mailsLike(app, "squatter@example.com", GOODBYE).length, 0, "no goodbye email for a purge");

      await signUp(app, "squatter@example.com");
      await waitForMail(app, "squatter@example.com", CONFIRM, 2);
    });
  });

  describe(`purge removes queued mail (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, worker: false, env: { UNCONFIRMED_ACCOUNT_TTL: "60" } });
    });
    after(() => app.close());

    test("mail queued to a deleted account is deleted with it; mail to others stays", async () => {
      const { kysely } = app.service.deps.db;
      await signUp(app, "unsent@example.com");
      app.clock.advance(30_000);
      await signUp(app, "younger@example.com");
      const count = async () => Number((await kysely.selectFrom("outbox").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
      assert.equal(await count(), 2);
      app.clock.advance(31_000);
      assert.equal(await purgeUnconfirmed(app.service.deps), 1);
      assert.equal(await count(), 1, "only the younger account's confirmation is left");
      const left = await kysely.selectFrom("outbox").select("recipient").executeTakeFirstOrThrow();
      assert.equal(left.recipient, app.service.deps.outbox.recipientKey("Younger@Example.com"));
      assert.equal(await purgeUnconfirmed(app.service.deps), 0, "nothing else is due");
    });
  });
}
