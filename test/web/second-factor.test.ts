import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { resetSecondFactors } from "../../src/accounts/second-factor/enrolment.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, isSignedIn, mailSettled, mailsLike, PASSWORD, signIn, waitForMail } from "../helpers/flows.ts";
import { codeAt, enableTotp, keyFromPage } from "../helpers/second-factor.ts";

let serial = 0;
const address = (tag: string) => `${tag}.${++serial}@example.com`;
const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { "content-type": "application/json" } });

for (const dialect of await testDialects()) {
  describe(`second factor: TOTP and recovery codes (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    /** A confirmed user with TOTP on; the clock moved a step on, so the set-up code is spent. */
    async function withTotp(tag: string) {
      const email = address(tag);
      const browser = await confirmedUser(app, email);
      const { secret, codes } = await enableTotp(app, browser);
      app.clock.advance(30_000);
      return { email, browser, secret, codes };
    }

    test("set-up shows an inline SVG QR code and the key; the first code turns it on, shows 10 codes, ends other sessions, rotates this one, mails", async () => {
      const email = address("setup");
      const browser = await confirmedUser(app, email);
      const { browser: other } = await signIn(app, email);
      const setup = await browser.post("/profile/2fa/totp/setup");
      assert.equal(setup.status, 200);
      assert.match(setup.text, /<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.doesNotMatch(setup.text, /<script/);
      const secret = keyFromPage(setup.text);
      const wrong = await browser.post("/profile/2fa/totp", { code: "000000" === codeAt(app, secret) ? "111111" : "000000" });
      assert.equal(wrong.status, 422);
      assert.equal(keyFromPage(wrong.text), secret, "the same pending key is shown again");
      const before = browser.session;
      const done = await browser.post("/profile/2fa/totp", { code: codeAt(app, secret) });
      assert.equal(done.status, 200);
      assert.match(done.text, /download="latchkey-recovery-codes.txt"/);
      assert.notEqual(browser.session, before, "session id rotated");
      assert.equal(await isSignedIn(browser), true);
      assert.equal(await isSignedIn(other), false, "the other device was signed out");
      await waitForMail(app, email, /Two-step sign-in was turned on/);
      const status = await browser.get("/profile/2fa");
      assert.match(status.text, /data-totp="on"/);
    });

    test("sign-in then needs the code: the pending session opens only /login/2fa; a code finishes it under a new id", async () => {
      const { email, secret } = await withTotp("signin");
      const { browser, res } = await signIn(app, email, PASSWORD, { next: "/sessions" });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/login/2fa?next=%2Fsessions");
      for (const path of ["/", "/profile", "/sessions", "/profile/2fa"]) {
        const r = await browser.get(path);
        assert.equal(r.status, 303, path);
        assert.equal(r.location, "/login/2fa", path);
      }
      const api = await browser.get("/api/v1/me");
      assert.equal(api.status, 401);
      const err = api.json<{ error: { code: string; methods: string[] } }>().error;
      assert.equal(err.code, "mfa_required");
      assert.deepEqual(err.methods, ["totp", "recovery_code"]);
      assert.equal((await browser.get("/login/2fa")).status, 200);
      const pendingCookie = browser.session;
      const wrong = await browser.post("/login/2fa", { code: "12345x", next: "/sessions" });
      assert.equal(wrong.status, 401);
      const ok = await browser.post("/login/2fa", { code: codeAt(app, secret), next: "/sessions" });
      assert.equal(ok.status, 303);
      assert.equal(ok.location, "/sessions");
      assert.notEqual(browser.session, pendingCookie);
      assert.equal(await isSignedIn(browser), true);
    });

    test("a code works once: the same code (or an older one) fails on the next sign-in", async () => {
      const { email, secret } = await withTotp("replay");
      const code = codeAt(app, secret);
      const first = await signIn(app, email);
      assert.equal((await first.browser.post("/login/2fa", { code })).status, 303);
      const second = await signIn(app, email);
      assert.equal((await second.browser.post("/login/2fa", { code })).status, 401, "replay in the same step");
      assert.equal((await second.browser.post("/login/2fa", { code: codeAt(app, secret, -1) })).status, 401, "an older step");
      assert.equal((await second.browser.post("/login/2fa", { code: codeAt(app, secret, 1) })).status, 303, "the next step works");
    });

    test("10 parallel submissions of one code: exactly one signs in", async () => {
      const { email, secret } = await withTotp("race");
      const browsers = await Promise.all(Array.from({ length: 10 }, async () => (await signIn(app, email)).browser));
      const code = codeAt(app, secret);
      const results = await Promise.all(browsers.map((b) => b.request("POST", "/api/v1/login/2fa", json({ code }))));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 401, 401, 401, 401, 401, 401, 401, 401, 401]);
    });

    test("5 wrong codes end the pending sign-in (303 /login); 10 in a row lock the second step for 15 minutes (429)", async () => {
      const { email, secret } = await withTotp("limits");
      const { browser } = await signIn(app, email);
      for (let i = 1; i <= 4; i++) assert.equal((await browser.post("/login/2fa", { code: "000000" })).status, 401, `try ${i}`);
      const fifth = await browser.post("/login/2fa", { code: "000000" });
      assert.equal(fifth.status, 303);
      assert.equal(fifth.location, "/login");
      assert.equal((await browser.get("/login/2fa")).location, "/login", "the pending session is gone");
      const again = (await signIn(app, email)).browser;
      for (let i = 1; i <= 5; i++) await again.post("/login/2fa", { code: "000000" });
      const third = (await signIn(app, email)).browser;
      const locked = await third.post("/login/2fa", { code: codeAt(app, secret) });
      assert.equal(locked.status, 429, "even the right code waits");
      assert.ok(Number(locked.headers.get("retry-after")) > 800);
      app.clock.advance(15 * 60_000 + 1000);
      const later = (await signIn(app, email)).browser;
      assert.equal((await later.post("/login/2fa", { code: codeAt(app, secret) })).status, 303);
    });

    test("recovery codes: each works once, typed loosely; using one mails the owner; a new set kills the old", async () => {
      const { email, browser, codes } = await withTotp("recovery");
      const a = (await signIn(app, email)).browser;
      assert.equal((await a.post("/login/2fa", { code: ` ${codes[0]!.toLowerCase().replace("-", " ")} ` })).status, 303);
      await waitForMail(app, email, /A recovery code was used/);
      const b = (await signIn(app, email)).browser;
      assert.equal((await b.post("/login/2fa", { code: codes[0]! })).status, 401, "used once already");
      assert.equal((await b.post("/login/2fa", { code: codes[1]!.replace("-", "") })).status, 303);
      const fresh = await browser.post("/profile/2fa/recovery-codes");
      assert.equal(fresh.status, 200);
      const c = (await signIn(app, email)).browser;
      assert.equal((await c.post("/login/2fa", { code: codes[2]! })).status, 401, "the old set died");
    });

    test("stale sessions: sensitive steps send pages to /reauth?next=<page> and the API answers 403 reauth_required", async () => {
      const email = address("stale");
      const browser = await confirmedUser(app, email);
      app.clock.advance(301_000);
      const page = await browser.post("/profile/2fa/totp/setup");
      assert.equal(page.status, 303);
      assert.equal(page.location, "/reauth?next=%2Fprofile%2F2fa");
      const api = await browser.request("POST", "/api/v1/me/2fa/totp/setup", json({}));
      assert.equal(api.status, 403);
      assert.deepEqual(api.json(), { error: { code: "reauth_required", message: api.json<{ error: { message: string } }>().error.message, methods: ["password"] } });
      // Re-authenticate by password: a new session id, fresh again, back to the page.
      assert.equal((await browser.get("/reauth?next=%2Fprofile%2F2fa")).status, 200);
      const wrong = await browser.post("/reauth", { password: "not it at all", next: "/profile/2fa" });
      assert.equal(wrong.status, 401);
      const old = browser.session;
      const ok = await browser.post("/reauth", { password: PASSWORD, next: "/profile/2fa" });
      assert.equal(ok.status, 303);
      assert.equal(ok.location, "/profile/2fa");
      assert.notEqual(browser.session, old);
      assert.equal((await browser.post("/profile/2fa/totp/setup")).status, 200);
      const evil = await browser.post("/reauth", { password: PASSWORD, next: "//evil.example/x" });
      assert.equal(evil.location, "/");
    });

    test("turning TOTP off needs a re-authentication with a second factor, by code", async () => {
      const { email, browser, secret } = await withTotp("disable");
      app.clock.advance(301_000);
      assert.equal((await browser.post("/reauth", { password: PASSWORD, next: "/profile/2fa" })).status, 303);
      const byPassword = await browser.post("/profile/2fa/totp/disable");
      assert.equal(byPassword.location, "/reauth?next=%2Fprofile%2F2fa", "a password alone is not enough");
      const api = await browser.request("DELETE", "/api/v1/me/2fa/totp");
      assert.deepEqual(api.json<{ error: { methods: string[] } }>().error.methods, ["totp", "recovery_code"]);
      assert.equal((await browser.post("/reauth", { code: codeAt(app, secret), next: "/profile/2fa" })).status, 303);
      const off = await browser.post("/profile/2fa/totp/disable");
      assert.equal(off.location, "/profile/2fa?done=off");
      await waitForMail(app, email, /Two-step sign-in was turned off/);
      const { res } = await signIn(app, email);
      assert.equal(res.location, "/", "sign-in is one step again");
    });

    test("API twins: login → 401 mfa_required with the pending cookie; login/2fa; me/2fa; set-up and recovery codes", async () => {
      const email = address("api");
      const browser = await confirmedUser(app, email);
      const setup = await browser.request("POST", "/api/v1/me/2fa/totp/setup", json({}));
      assert.equal(setup.status, 200);
      const { secret, otpauth_uri } = setup.json<{ secret: string; otpauth_uri: string }>();
      assert.match(otpauth_uri, /^otpauth:\/\/totp\/Latchkey:/);
      const on = await browser.request("POST", "/api/v1/me/2fa/totp", json({ code: codeAt(app, secret) }));
      assert.equal(on.status, 200);
      assert.equal(on.json<{ recovery_codes: string[] }>().recovery_codes.length, 10);
      const me = await browser.get("/api/v1/me/2fa");
      assert.deepEqual(me.json(), { totp: true, recovery_codes_left: 10, passkeys: 0, methods: ["totp", "recovery_code"] });
      app.clock.advance(30_000);
      const api = app.client();
      const login = await api.request("POST", "/api/v1/login", json({ email, password: PASSWORD }));
      assert.equal(login.status, 401);
      assert.equal(login.json<{ error: { code: string } }>().error.code, "mfa_required");
      assert.ok(api.session, "the pending session cookie");
      assert.equal((await api.request("POST", "/api/v1/login/2fa", json({ code: "000000" }))).status, 401);
      assert.equal((await api.request("POST", "/api/v1/login/2fa", json({ code: codeAt(app, secret) }))).status, 200);
      assert.equal((await api.get("/api/v1/me")).status, 200);
      const codes = await browser.request("POST", "/api/v1/me/2fa/recovery-codes", json({}));
      assert.equal(codes.json<{ recovery_codes: string[] }>().recovery_codes.length, 10);
    });

    test("a password reset keeps the second factor; mfa-reset removes them all, audited and mailed", async () => {
      const { email } = await withTotp("reset");
      const f = app.client();
      await f.get("/forgot");
      assert.equal((await f.post("/forgot", { email })).status, 303);
      const mail = await waitForMail(app, email, /reset/i);
      const path = new URL(/https?:\/\/\S+\/reset\/[\w-]+/.exec(mail.text)![0]).pathname;
      const b = app.client();
      await b.get(path);
      assert.equal((await b.post(path, { password: "a brand new passphrase 42", confirm: "a brand new passphrase 42" })).status, 303);
      const { res } = await signIn(app, email, "a brand new passphrase 42");
      assert.equal(res.location, "/login/2fa", "the factor survived the reset");
      assert.equal(await resetSecondFactors(app.service.deps, email, { ip: null, userAgent: "test" }), true);
      app.service.worker?.wake();
      await waitForMail(app, email, /second factors were removed/);
      const after = await signIn(app, email, "a brand new passphrase 42");
      assert.equal(after.res.location, "/");
      const events = await app.service.deps.db.kysely.selectFrom("auth_events").select(["type", "outcome"]).where("type", "=", "mfa_changed").execute();
      assert.ok(events.some((e) => e.outcome === "mfa_reset"));
    });

    if (dialect === "sqlite") {
      test("the database file holds neither the TOTP secret nor a recovery code in plain text", async () => {
        const { secret, codes } = await withTotp("at-rest");
        await mailSettled(app);
        const file = app.database.url.slice("sqlite:".length);
        const bytes = Buffer.concat([readFileSync(file), ...["-wal"].map((s) => readFileSync(file + s, { flag: "r" }))]).toString("latin1");
        for (const s of [secret, ...codes, ...codes.map((c) => c.replace("-", ""))]) assert.ok(!bytes.includes(s), "not in the file");
        const rows = JSON.stringify(await app.service.deps.db.kysely.selectFrom("totp_credentials").selectAll().execute());
        assert.ok(!rows.includes(secret));
        assert.equal(mailsLike(app, "nobody@example.com", /./).length, 0);
      });
    }
  });
}
