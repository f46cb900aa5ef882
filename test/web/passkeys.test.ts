import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { SoftAuthenticator } from "../helpers/authenticator.ts";
import type { Client } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, isSignedIn, PASSWORD, signIn, waitForMail } from "../helpers/flows.ts";
import { enableTotp } from "../helpers/second-factor.ts";

/** Passkeys need a domain name: the relying party is "localhost" (the port is only in the origin). */
const BASE_URL = "http://localhost:3999";
const ORIGIN = BASE_URL;

let serial = 0;
const address = (tag: string) => `${tag}.${++serial}@example.com`;

/** A JSON POST from a page: the CSRF token in X-CSRF-Token, as passkeys.js sends it. */
async function postJson(browser: Client, path: string, body: unknown = {}) {
  if (!browser.csrf) await browser.get("/login");
  return browser.request("POST", path, { body: JSON.stringify(body), headers: { "content-type": "application/json", "x-csrf-token": browser.csrf! } });
}

for (const dialect of await testDialects()) {
  describe(`passkeys (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, env: { BASE_URL } });
    });
    after(() => app.close());

    /** A confirmed, fresh user who registered one passkey on this authenticator. */
    async function withPasskey(tag: string, authenticator = new SoftAuthenticator({ origin: ORIGIN })) {
      const email = address(tag);
      const browser = await confirmedUser(app, email);
      await browser.get("/profile/passkeys");
      const options = await postJson(browser, "/profile/passkeys/options");
      assert.equal(options.status, 200);
      const created = await postJson(browser, "/profile/passkeys", { response: authenticator.create(options.json()), name: "Test key" });
      assert.equal(created.status, 201, created.text);
      return { email, browser, authenticator };
    }

    async function passwordless(authenticator: SoftAuthenticator, opts: Parameters<SoftAuthenticator["get"]>[1] = {}) {
      const browser = app.client();
      await browser.get("/login");
      const options = await postJson(browser, "/login/passkey/options");
      assert.equal(options.status, 200);
      const response = authenticator.get(options.json(), opts);
      return { browser, response, res: await postJson(browser, "/login/passkey", { response, next: "/sessions" }) };
    }

    test("a passkey is added from /profile/passkeys (201, mailed, listed) and signs in without a password", async () => {
      const { email, browser, authenticator } = await withPasskey("register");
      await waitForMail(app, email, /A passkey was added/);
      const list = await browser.get("/profile/passkeys");
      assert.match(list.text, /Test key/);
      assert.match(list.text, /this device only/);
      const api = await browser.get("/api/v1/me/passkeys");
      assert.equal(api.json<{ passkeys: { name: string; synced: boolean }[] }>().passkeys[0]!.name, "Test key");
      const { browser: other, res } = await passwordless(authenticator);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json(), { redirect: "/sessions" });
      assert.equal(await isSignedIn(other), true);
      const session = await other.get("/api/v1/me");
      assert.equal(session.status, 200);
    });

    test("a replayed assertion, a wrong origin and a user handle of another account are refused (400)", async () => {
      const { authenticator } = await withPasskey("refused");
      const { browser, response, res } = await passwordless(authenticator);
      assert.equal(res.status, 200);
      const replay = await postJson(browser, "/login/passkey", { response });
      assert.equal(replay.status, 400);
      assert.equal(replay.json<{ error: { code: string } }>().error.code, "token_invalid");
      const evil = await passwordless(authenticator, { origin: "http://evil.localhost:3999" });
      assert.equal(evil.res.status, 400);
      const { authenticator: other } = await withPasskey("refused-other");
      const foreign = await passwordless(authenticator, { userHandle: other.credentials[0]!.userHandle });
      assert.equal(foreign.res.status, 400);
      assert.equal(await isSignedIn(foreign.browser), false);
    });

    test("without user verification a passkey does not sign in alone, but works as the second factor", async () => {
      const noUv = new SoftAuthenticator({ origin: ORIGIN, userVerified: false });
      const { email, browser, authenticator } = await withPasskey("no-uv", noUv);
      assert.equal((await passwordless(authenticator)).res.status, 400);
      await enableTotp(app, browser);
      const { browser: b, res } = await signIn(app, email, PASSWORD);
      assert.equal(res.location, "/login/2fa");
      const page = await b.get("/login/2fa");
      assert.match(page.text, /simplewebauthn-browser\.js/, "the passkey button's script is on the page");
      const options = await postJson(b, "/login/2fa/passkey/options");
      assert.equal(options.status, 200);
      const done = await postJson(b, "/login/2fa/passkey", { response: authenticator.get(options.json()), next: "/profile" });
      assert.equal(done.status, 200);
      assert.deepEqual(done.json(), { redirect: "/profile" });
      assert.equal(await isSignedIn(b), true);
    });

    test("as a second factor, another account's passkey is refused (400)", async () => {
      const { authenticator: mine } = await withPasskey("foreign-2fa-a");
      const { email, browser } = await withPasskey("foreign-2fa-b");
      await enableTotp(app, browser);
      const { browser: b } = await signIn(app, email, PASSWORD);
      const options = (await postJson(b, "/login/2fa/passkey/options")).json<{ challenge: string }>();
      const res = await postJson(b, "/login/2fa/passkey", { response: mine.get(options) });
      assert.equal(res.status, 400);
      assert.equal((await b.get("/profile")).location, "/login/2fa", "still pending");
    });

    test("counters: a device-bound passkey going backwards is refused, audited and mailed; a synced one with counter 0 always works", async () => {
      const { email, authenticator } = await withPasskey("counter");
      const first = app.client();
      await first.get("/login");
      const o1 = (await postJson(first, "/login/passkey/options")).json<{ challenge: string }>();
      const second = app.client();
      await second.get("/login");
      const o2 = (await postJson(second, "/login/passkey/options")).json<{ challenge: string }>();
      const older = authenticator.get(o1, { counter: 5 });
      const newer = authenticator.get(o2, { counter: 6 });
      assert.equal((await postJson(second, "/login/passkey", { response: newer })).status, 200);
      assert.equal((await postJson(first, "/login/passkey", { response: older })).status, 400, "counter 5 after 6");
      await waitForMail(app, email, /A passkey sign-in was refused/);
      const events = await app.service.deps.db.kysely.selectFrom("auth_events").select("outcome").where("type", "=", "passkey_counter_regression").execute();
      assert.ok(events.some((e) => e.outcome === "6->5"));

      const synced = new SoftAuthenticator({ origin: ORIGIN, backupEligible: true, counterStep: 0 });
      await withPasskey("synced", synced);
      for (let i = 0; i < 3; i++) assert.equal((await passwordless(synced)).res.status, 200, `synced sign-in ${i + 1}`);
    });

    test("adding and removing need a fresh session (303 → /reauth?next=/profile/passkeys; API 403); re-auth by passkey works", async () => {
      const { email, browser, authenticator } = await withPasskey("fresh");
      app.clock.advance(301_000);
      const stale = await postJson(browser, "/profile/passkeys/options");
      assert.equal(stale.status, 303);
      assert.equal(stale.location, "/reauth?next=%2Fprofile%2Fpasskeys");
      const api = await browser.request("POST", "/api/v1/me/passkeys/options", { body: "{}", headers: { "content-type": "application/json" } });
      assert.equal(api.status, 403);
      assert.deepEqual(api.json<{ error: { code: string; methods: string[] } }>().error.methods, ["password", "passkey"]);
      const id = /data-passkey="([^"]+)"/.exec((await browser.get("/profile/passkeys")).text)![1]!;
      assert.equal((await browser.post(`/profile/passkeys/${id}/delete`)).location, "/reauth?next=%2Fprofile%2Fpasskeys");
      // Re-authenticate with the passkey itself.
      await browser.get("/reauth?next=%2Fprofile%2Fpasskeys");
      const options = (await postJson(browser, "/reauth/passkey/options")).json<{ challenge: string }>();
      const old = browser.session;
      const re = await postJson(browser, "/reauth/passkey", { response: authenticator.get(options), next: "/profile/passkeys" });
      assert.equal(re.status, 200);
      assert.notEqual(browser.session, old);
      const removed = await browser.post(`/profile/passkeys/${id}/delete`);
      assert.equal(removed.location, "/profile/passkeys");
      await waitForMail(app, email, /A passkey was removed/);
      assert.equal((await passwordless(authenticator)).res.status, 400, "a removed passkey no longer signs in");
    });

    test("the JSON page routes need the CSRF token header; the browser library is served by the app", async () => {
      const browser = app.client();
      await browser.get("/login");
      const res = await browser.request("POST", "/login/passkey/options", { body: "{}", headers: { "content-type": "application/json" } });
      assert.equal(res.status, 403);
      const lib = await browser.get("/static/simplewebauthn-browser.js");
      assert.equal(lib.status, 200);
      assert.match(lib.text, /SimpleWebAuthnBrowser/);
      assert.equal((await browser.get("/static/passkeys.js")).status, 200);
      const login = await browser.get("/login");
      assert.match(login.text, /autocomplete="username webauthn"/);
      assert.doesNotMatch(login.text, /https?:\/\/[^"]*\.js/, "no script from another origin");
    });

    test("a TOTP account signs in by passkey alone when the passkey verified the user", async () => {
      const { email, browser, authenticator } = await withPasskey("uv-skips-totp");
      await enableTotp(app, browser);
      assert.equal((await signIn(app, email, PASSWORD)).res.location, "/login/2fa", "the password alone needs the code");
      const { browser: b, res } = await passwordless(authenticator);
      assert.equal(res.status, 200);
      assert.equal(await isSignedIn(b), true, "no second step after a verified passkey");
    });
  });
}

describe("passkeys with an IP address in BASE_URL", () => {
  test("are off (404) and the app still starts", async () => {
    const app = await startTestApp({ env: { BASE_URL: "http://127.0.0.1:3999" }, smtp: false, worker: false });
    try {
      const b = app.client();
      await b.get("/login");
      const res = await postJson(b, "/login/passkey/options");
      assert.equal(res.status, 404);
      assert.doesNotMatch((await b.get("/login")).text, /passkeys\.js/);
    } finally {
      await app.close();
    }
  });
});
