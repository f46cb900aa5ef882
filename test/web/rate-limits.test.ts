import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { Client, type Response } from "../helpers/client.ts";
import { ClientAt, freshIp } from "../helpers/forwarded.ts";
import { testDialects } from "../helpers/databases.ts";
import { mailSettled, mailsLike, OTHER_PASSWORD, PASSWORD, signUp, waitForMail } from "../helpers/flows.ts";
import { confirmationCode, linkPath } from "../helpers/smtp-sink.ts";

// Every test here runs with RATE_LIMITS=on, the default of a real deployment. The app trusts
// 127.0.0.1 as a proxy, so each test plays its own client IPs through X-Forwarded-For and the
// tests do not share counters. The counters of rate-limiter-flexible run on real time; only the
// resend cooldown reads the app clock.

let addressCounter = 0;
function freshAddress(label: string): string {
  return `${label}.${++addressCounter}@example.com`;
}

/**
 * A refusal as SPEC §3 and issue 4 describe it: 429, a positive whole-second Retry-After, and
 * an HTML page with a human countdown (`data-countdown`) that agrees with the header.
 * Returns Retry-After in seconds.
 */
function assertRateLimited(res: Response, what: string): number {
  assert.equal(res.status, 429, `${what}: expected 429, got ${res.status}`);
  const header = res.headers.get("retry-after");
  assert.match(header ?? "", /^[1-9][0-9]*$/, `${what}: Retry-After is a positive integer (got ${header})`);
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/, `${what}: an HTML page`);
  const countdown = /data-countdown="([^"]*)"/.exec(res.text)?.[1];
  assert.ok(countdown !== undefined, `${what}: the page shows a countdown (data-countdown)`);
  assert.match(countdown, /^[1-9][0-9]*$/, `${what}: data-countdown is a positive number of seconds`);
  const retryAfter = Number(header);
  assert.ok(Math.abs(Number(countdown) - retryAfter) <= 1, `${what}: the countdown (${countdown}) agrees with Retry-After (${retryAfter})`);
  return retryAfter;
}

/** Whether a response set a (non-empty) session cookie, i.e. somebody was signed in. */
function setsSession(res: Response): boolean {
  return res.headers.getSetCookie().some((line) => /^session=[^;]+/.test(line));
}

async function countEvents(app: TestApp, type: "login_ok" | "login_failed" | "register", userId?: string): Promise<number> {
  let q = app.service.deps.db.kysely
    .selectFrom("auth_events")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("type", "=", type);
  if (userId) q = q.where("user_id", "=", userId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

async function userId(app: TestApp, email: string): Promise<string> {
  const row = await app.service.deps.db.kysely.selectFrom("users").select("id").where("email_canonical", "=", email.toLowerCase()).executeTakeFirstOrThrow();
  return row.id;
}

for (const dialect of await testDialects()) {
  describe(`rate limits (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, env: { RATE_LIMITS: "on", TRUST_PROXY: "127.0.0.1" } });
    });
    after(() => app.close());

    /** A browser at a fresh IP that has loaded the sign-in page (holds a CSRF token). */
    async function browserAt(ip = freshIp()): Promise<ClientAt> {
      const b = new ClientAt(app.url, ip);
      await b.get("/login");
      return b;
    }

    /** Registers `email` from a fresh IP (so no test spends another's sign-up allowance). */
    async function account(label: string): Promise<string> {
      const email = freshAddress(label);
      await signUp(app, email, { browser: new ClientAt(app.url, freshIp()) });
      return email;
    }

    async function login(b: Client, email: string, password: string): Promise<Response> {
      return b.post("/login", { email, password });
    }

    test("login: the 11th attempt within a minute for one address from one IP is refused, even with the right password", async () => {
      const email = await account("login-pair");
      const b = await browserAt();
      for (let i = 1; i <= 10; i++) {
        const res = await login(b, email, PASSWORD);
        assert.equal(res.status, 303, `attempt ${i} signs in`);
      }
      const okBefore = await countEvents(app, "login_ok", await userId(app, email));
      const refused = await login(b, email, PASSWORD);
      const retryAfter = assertRateLimited(refused, "11th login for the pair");
      assert.ok(retryAfter <= 60, `the per-minute window (Retry-After ${retryAfter})`);
      assert.equal(setsSession(refused), false, "a refused attempt signs nobody in");
      assert.equal(await countEvents(app, "login_ok", await userId(app, email)), okBefore, "no login_ok for the refused attempt");

      // Keyed by IP and address: the same address from elsewhere, and another address from here, still go through.
      assert.equal((await login(await browserAt(), email, PASSWORD)).status, 303, "same address, other IP");
      assert.equal((await login(b, freshAddress("nobody"), PASSWORD)).status, 401, "other address, same IP: a plain 401");
    });

    test("login: 30 attempts a minute per IP across addresses; the 31st is refused before the password is checked", async () => {
      const email = await account("login-ip");
      const b = await browserAt();
      for (let i = 1; i <= 30; i++) {
        const res = await login(b, freshAddress("stuffed"), "some guessed password");
        assert.equal(res.status, 401, `attempt ${i} with a new address is an ordinary 401`);
      }
      const hasher = app.service.deps.hasher;
      const { verify, verifyDummy } = hasher;
      let verifies = 0;
      hasher.verify = (h, p) => (verifies++, verify(h, p));
      hasher.verifyDummy = (p) => (verifies++, verifyDummy(p));
      let refused: Response;
      try {
        refused = await login(b, email, PASSWORD);
      } finally {
        hasher.verify = verify;
        hasher.verifyDummy = verifyDummy;
      }
      const retryAfter = assertRateLimited(refused, "31st login from the IP");
      assert.ok(retryAfter <= 60, `the per-minute window (Retry-After ${retryAfter})`);
      assert.equal(setsSession(refused), false, "the right password does not sign in when refused");
      assert.equal(verifies, 0, "a refused attempt costs no password hash");
      assert.equal((await login(await browserAt(), email, PASSWORD)).status, 303, "the account itself is not locked");
    });

    test("failed sign-ins back off per account after 5 failures: the 6th attempt, from a different IP, is refused", async () => {
      const email = await account("backoff");
      for (let i = 1; i <= 5; i++) {
        const res = await login(await browserAt(), email, `wrong password number ${i}`);
        assert.equal(res.status, 401, `failure ${i}`);
      }
      const refused = await login(await browserAt(), email, PASSWORD);
      const retryAfter = assertRateLimited(refused, "6th attempt on a backing-off account");
      assert.ok(retryAfter <= 15 * 60, `back-off is capped at 15 minutes (Retry-After ${retryAfter})`);
      assert.equal(setsSession(refused), false, "the right password does not get through a back-off");
      // Another account is not affected.
      const other = await account("backoff-other");
      assert.equal((await login(await browserAt(), other, PASSWORD)).status, 303);
    });

    test("a successful password reset clears the failed-login back-off", async () => {
      const email = await account("reset-clears");
      for (let i = 1; i <= 5; i++) assert.equal((await login(await browserAt(), email, `wrong guess ${i}`)).status, 401);
      assertRateLimited(await login(await browserAt(), email, PASSWORD), "backing off before the reset");

      const owner = await browserAt();
      await owner.get("/forgot");
      assert.equal((await owner.post("/forgot", { email })).status, 303);
      const path = linkPath(await waitForMail(app, email, /Reset your password/), app.config.baseUrl, "/reset/");
      await owner.get(path);
      const reset = await owner.post(path, { password: OTHER_PASSWORD, confirm: OTHER_PASSWORD });
      assert.equal(reset.status, 303, "the reset succeeds");

      // With the five failures forgotten, one more wrong guess is just a 401 and starts no back-off,
      // so the owner signs in at once. (Without the clearing, it would be failure 6 → refused.)
      assert.equal((await login(await browserAt(), email, "yet another wrong guess")).status, 401);
      const res = await login(await browserAt(), email, OTHER_PASSWORD);
      assert.equal(res.status, 303, `signs in right after the reset (got ${res.status})`);
    });

    test("register: 10 sign-ups per hour per IP; the 11th is refused and creates nothing", async () => {
      const ip = freshIp();
      for (let i = 1; i <= 10; i++) {
        const b = new ClientAt(app.url, ip);
        await b.get("/register");
        const res = await b.post("/register", { email: freshAddress("bulk"), password: PASSWORD, confirm: PASSWORD });
        assert.equal(res.status, 303, `sign-up ${i}`);
      }
      const b = new ClientAt(app.url, ip);
      await b.get("/register");
      const email = freshAddress("bulk-refused");
      const refused = await b.post("/register", { email, password: PASSWORD, confirm: PASSWORD });
      const retryAfter = assertRateLimited(refused, "11th sign-up");
      assert.ok(retryAfter > 60 && retryAfter <= 3600, `the hourly window (Retry-After ${retryAfter})`);
      assert.equal(setsSession(refused), false);
      const row = await app.service.deps.db.kysely.selectFrom("users").select("id").where("email_canonical", "=", email).executeTakeFirst();
      assert.equal(row, undefined, "no account for the refused sign-up");
      // Another IP can still sign up.
      const other = new ClientAt(app.url, freshIp());
      await other.get("/register");
      assert.equal((await other.post("/register", { email, password: PASSWORD, confirm: PASSWORD })).status, 303);
    });

    test("forgot: 5 requests per hour per address, whichever IP they come from", async () => {
      const email = await account("forgot-addr");
      for (let i = 1; i <= 5; i++) {
        assert.equal((await (await browserAt()).post("/forgot", { email })).status, 303, `request ${i}`);
      }
      const refused = await (await browserAt()).post("/forgot", { email: ` ${email.toUpperCase()} ` });
      const retryAfter = assertRateLimited(refused, "6th reset request for the address (typed differently)");
      assert.ok(retryAfter > 60 && retryAfter <= 3600, `the hourly window (Retry-After ${retryAfter})`);
      // An unknown address is limited the same way (no enumeration through the limit).
      const unknown = freshAddress("forgot-unknown");
      for (let i = 1; i <= 5; i++) assert.equal((await (await browserAt()).post("/forgot", { email: unknown })).status, 303);
      assertRateLimited(await (await browserAt()).post("/forgot", { email: unknown }), "6th reset request for an unknown address");

      await waitForMail(app, email, /Reset your password/, 5);
      await mailSettled(app);
      assert.equal(mailsLike(app, email, /Reset your password/).length, 5, "exactly five reset emails went out");
    });

    test("forgot: 20 requests per hour per IP across addresses", async () => {
      const b = await browserAt();
      for (let i = 1; i <= 20; i++) {
        assert.equal((await b.post("/forgot", { email: freshAddress("forgot-ip") })).status, 303, `request ${i}`);
      }
      const refused = await b.post("/forgot", { email: freshAddress("forgot-ip") });
      const retryAfter = assertRateLimited(refused, "21st reset request from the IP");
      assert.ok(retryAfter > 60 && retryAfter <= 3600, `the hourly window (Retry-After ${retryAfter})`);
      assert.equal((await (await browserAt()).post("/forgot", { email: freshAddress("forgot-ip") })).status, 303, "another IP is unaffected");
    });

    test("resend: a 60 s cooldown, then at most 5 resends a day per address", async () => {
      const email = freshAddress("resend");
      const { browser } = await signUp(app, email, { browser: new ClientAt(app.url, freshIp()) });
      await browser.get("/unconfirmed");
      const cooling = await browser.post("/resend");
      const wait = assertRateLimited(cooling, "resend right after sign-up");
      assert.ok(wait <= 60, `the cooldown is a minute (Retry-After ${wait})`);

      for (let i = 1; i <= 5; i++) {
        app.clock.advance(61_000);
        const res = await browser.post("/resend");
        assert.equal(res.status, 303, `resend ${i} after the cooldown`);
      }
      app.clock.advance(61_000);
      const refused = await browser.post("/resend");
      const retryAfter = assertRateLimited(refused, "6th resend of the day");
      assert.ok(retryAfter > 60 && retryAfter <= 86_400, `the daily window, not the cooldown (Retry-After ${retryAfter})`);

      await waitForMail(app, email, /Confirm your email address/, 6);
      await mailSettled(app);
      assert.equal(mailsLike(app, email, /Confirm your email address/).length, 6, "the sign-up email and five resends; the refused ones sent nothing");
    });

    test("confirmation codes: 30 tries per hour per IP; the 31st is refused even when right", async () => {
      const ip = freshIp();
      const guesser = freshAddress("code-guesser");
      const { browser: g } = await signUp(app, guesser, { browser: new ClientAt(app.url, ip) });
      await g.get("/unconfirmed");
      for (let i = 1; i <= 30; i++) {
        const res = await g.post("/confirm", { code: `ZZZZ-${String(1000 + i).slice(-4)}` });
        assert.equal(res.status, 400, `wrong code ${i}`);
      }
      // A second account behind the same IP, with its right code.
      const email = freshAddress("code-victim");
      const { browser } = await signUp(app, email, { browser: new ClientAt(app.url, ip) });
      const code = confirmationCode(await waitForMail(app, email, /Confirm your email address/));
      await browser.get("/unconfirmed");
      const refused = await browser.post("/confirm", { code });
      const retryAfter = assertRateLimited(refused, "31st code from the IP");
      assert.ok(retryAfter > 60 && retryAfter <= 3600, `the hourly window (Retry-After ${retryAfter})`);
      assert.equal((await browser.get("/unconfirmed")).status, 200, "still unconfirmed");

      // The refusal consumed nothing: from another IP the same code confirms.
      const elsewhere = new ClientAt(app.url, freshIp());
      for (const [k, v] of browser.cookies) elsewhere.cookies.set(k, v);
      elsewhere.csrf = browser.csrf;
      const ok = await elsewhere.post("/confirm", { code });
      assert.equal(ok.status, 303);
      assert.equal(ok.location, "/confirmed");
    });

    test("with TRUST_PROXY, the forwarded client address is the key: different X-Forwarded-For values do not share a limit", async () => {
      const ip = freshIp();
      const b = await browserAt(ip);
      for (let i = 1; i <= 30; i++) assert.equal((await login(b, freshAddress("proxied"), "guess")).status, 401, `attempt ${i}`);
      assertRateLimited(await login(b, freshAddress("proxied"), "guess"), "31st from the same forwarded address");
      assert.equal((await login(await browserAt(), freshAddress("proxied"), "guess")).status, 401, "another forwarded address is not limited");
      // A client that prepends its own X-Forwarded-For entry behind the proxy is still keyed by the
      // address the proxy saw (the right-most untrusted one), so it cannot pick a fresh key.
      const forger = new Client(app.url);
      await forger.get("/login", { "x-forwarded-for": ip });
      const forged = await forger.post("/login", { email: freshAddress("proxied"), password: "guess" }, { headers: { "x-forwarded-for": `198.51.100.77, ${ip}` } });
      assertRateLimited(forged, "a forged left-most entry does not escape the limit");
    });

    test("long addresses (a valid 254-character one, and junk) go through every limit without a server error", async () => {
      const long = `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(57)}.com`;
      assert.equal(long.length, 254);
      const b = await browserAt();
      for (const email of [`${"x".repeat(1000)}@example.com`, `${"y".repeat(5000)}@example.com`]) {
        const res = await login(b, email, "whatever password");
        assert.equal(res.status, 401, `login with a ${email.length}-character address`);
        const forgot = await b.post("/forgot", { email });
        assert.ok(forgot.status === 303 || forgot.status === 422, `forgot with a ${email.length}-character address answered ${forgot.status}`);
      }

      // The longest valid address through sign-up, resend, failed and good sign-ins, forgot.
      const { browser } = await signUp(app, long, { browser: new ClientAt(app.url, freshIp()) });
      await browser.get("/unconfirmed");
      app.clock.advance(61_000);
      assert.equal((await browser.post("/resend")).status, 303, "resend");
      for (let i = 1; i <= 5; i++) assert.equal((await login(await browserAt(), long, `wrong ${i}`)).status, 401, `failure ${i}`);
      assertRateLimited(await login(await browserAt(), long, PASSWORD), "back-off for the long address");
      assert.equal((await (await browserAt()).post("/forgot", { email: long })).status, 303, "forgot");
    });
  });

  describe(`client IP without TRUST_PROXY (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, env: { RATE_LIMITS: "on" } });
    });
    after(() => app.close());

    test("a forged X-Forwarded-For changes nothing: 30 attempts with 30 different forged values trip the per-IP limit", async () => {
      const b = app.client();
      await b.get("/login");
      for (let i = 1; i <= 30; i++) {
        const res = await b.post("/login", { email: `forged.${i}@example.com`, password: "guess" }, { headers: { "x-forwarded-for": `198.51.100.${i}` } });
        assert.equal(res.status, 401, `attempt ${i}`);
      }
      const refused = await b.post("/login", { email: "forged.31@example.com", password: "guess" }, { headers: { "x-forwarded-for": "203.0.113.31" } });
      assertRateLimited(refused, "31st attempt from the same socket address");
      const rows = await app.service.deps.db.kysely.selectFrom("auth_events").select("ip").distinct().execute();
      assert.deepEqual(
        rows.map((r) => r.ip),
        ["127.0.0.1"],
        "the audit log records the socket address, not the forged one",
      );
    });
  });
}
