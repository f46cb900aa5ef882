import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import type { Client, Response } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmationCode, linkPath } from "../helpers/smtp-sink.ts";

const PASSWORD = "correct horse battery staple";
const SECOND = 1000;

let serial = 0;
/** A fresh address per call, so tests sharing an app never collide. */
function address(tag: string): string {
  return `${tag}.${++serial}@example.com`;
}

function sha256hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

function db(app: TestApp) {
  return app.service.deps.db.kysely;
}

async function userRow(app: TestApp, email: string) {
  return db(app).selectFrom("users").selectAll().where("email", "=", email).executeTakeFirst();
}

async function sessionRow(app: TestApp, cookieValue: string) {
  return db(app).selectFrom("sessions").selectAll().where("id_hash", "=", sha256hex(cookieValue)).executeTakeFirst();
}

async function sessionCount(app: TestApp, userId: string): Promise<number> {
  return (await db(app).selectFrom("sessions").select("id_hash").where("user_id", "=", userId).execute()).length;
}

async function outboxCount(app: TestApp): Promise<number> {
  return (await db(app).selectFrom("outbox").select("id").execute()).length;
}

/** Every row of every table, as one string to search for secrets. */
async function databaseDump(app: TestApp): Promise<{ text: string; outbox: { payload: string | null }[] }> {
  const k = db(app);
  const users = await k.selectFrom("users").selectAll().execute();
  const sessions = await k.selectFrom("sessions").selectAll().execute();
  const tokens = await k.selectFrom("tokens").selectAll().execute();
  const outbox = await k.selectFrom("outbox").selectAll().execute();
  return { text: JSON.stringify({ users, sessions, tokens, outbox }), outbox };
}

async function signUp(app: TestApp, email: string): Promise<{ browser: Client; res: Response }> {
  const browser = app.client();
  await browser.get("/register");
  const res = await browser.post("/register", { email, password: PASSWORD, confirm: PASSWORD });
  assert.equal(res.status, 303, `sign-up of ${email}`);
  return { browser, res };
}

/** Signs up, then confirms through the emailed link from another device; the browser stays signed in. */
async function confirmedUser(app: TestApp, email: string): Promise<Client> {
  const { browser } = await signUp(app, email);
  const path = linkPath(await app.sink!.waitFor(email), app.config.baseUrl);
  const phone = app.client();
  await phone.get(path);
  const res = await phone.post(path);
  assert.equal(res.status, 303, "confirmation link works");
  return browser;
}

async function signIn(app: TestApp, email: string, next?: string): Promise<{ browser: Client; res: Response }> {
  const browser = app.client();
  await browser.get("/login");
  const res = await browser.post("/login", next === undefined ? { email, password: PASSWORD } : { email, password: PASSWORD, next });
  return { browser, res };
}

/** A browser that replays only the given session cookie (a stolen or kept copy). */
function replay(app: TestApp, cookieValue: string, name = "session"): Client {
  const c = app.client();
  c.cookies.set(name, cookieValue);
  return c;
}

// ---- CSRF ------------------------------------------------------------------------------

interface Forgery {
  readonly name: string;
  send(path: string, fields?: Record<string, string>): Promise<Response>;
}

/** Changes one character, keeping the length (so the comparison itself is exercised). */
function tamper(token: string): string {
  const last = token.at(-1) === "A" ? "B" : "A";
  return token.slice(0, -1) + last;
}

/**
 * The ways a POST can arrive without a valid CSRF token, all from (or on behalf of) `browser`:
 * no field, a tampered token, another browser's token, and the right token without its cookie.
 */
async function forgeries(app: TestApp, browser: Client): Promise<Forgery[]> {
  if (!browser.csrf) await browser.get("/login");
  const own = browser.csrf!;
  const other = app.client();
  await other.get("/login");
  assert.ok(other.csrf && other.csrf !== own, "two browsers get different CSRF tokens");
  return [
    { name: "without _csrf", send: (path, fields = {}) => browser.post(path, fields, { csrf: false }) },
    { name: "with a tampered _csrf", send: (path, fields = {}) => browser.post(path, { ...fields, _csrf: tamper(own) }) },
    { name: "with another browser's _csrf", send: (path, fields = {}) => browser.post(path, { ...fields, _csrf: other.csrf! }) },
    {
      name: "with the right _csrf but no csrf cookie",
      send: (path, fields = {}) => {
        const stripped = app.client();
        for (const [k, v] of browser.cookies) if (!/csrf/.test(k)) stripped.cookies.set(k, v);
        return stripped.post(path, { ...fields, _csrf: own });
      },
    },
  ];
}

// ---- cookies and headers ---------------------------------------------------------------

interface SetCookie {
  readonly name: string;
  readonly value: string;
  /** Lower-cased attribute names → values ("" for flags). */
  readonly attrs: Map<string, string>;
}

function setCookies(res: Response): SetCookie[] {
  return res.headers.getSetCookie().map((line) => {
    const [pair = "", ...rest] = line.split(";").map((s) => s.trim());
    const eq = pair.indexOf("=");
    const attrs = new Map<string, string>();
    for (const a of rest) {
      const i = a.indexOf("=");
      attrs.set((i < 0 ? a : a.slice(0, i)).toLowerCase(), i < 0 ? "" : a.slice(i + 1));
    }
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
  });
}

function setCookie(res: Response, name: string): SetCookie {
  const found = setCookies(res).find((c) => c.name === name);
  assert.ok(found, `Set-Cookie ${name} in ${JSON.stringify(res.headers.getSetCookie())}`);
  return found;
}

function assertPageHeaders(res: Response, what: string): void {
  const csp = res.headers.get("content-security-policy") ?? "";
  assert.match(csp, /(^|;)\s*frame-ancestors 'none'\s*(;|$)/, `${what}: CSP frame-ancestors 'none' (got ${csp})`);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff", `${what}: nosniff`);
  assert.equal(res.headers.get("referrer-policy"), "no-referrer", `${what}: Referrer-Policy`);
  assert.match(res.headers.get("cache-control") ?? "", /\bno-store\b/, `${what}: Cache-Control no-store`);
}

const STACK_TRACE = /\bat [\w.<>$]+ \(|node_modules|\/work\/|\.[cm]?[jt]sx?:\d+:\d+|FST_ERR/;

/** A POST with headers fetch() would not send as given (it always sets Host itself). */
function rawPost(baseUrl: string, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, baseUrl), { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

for (const dialect of await testDialects()) {
  describe(`sessions and security (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    // ---- 1. CSRF ----------------------------------------------------------------------

    test("a sign-up without a valid CSRF token is refused with 403 and creates no account and sends no mail", async () => {
      const browser = app.client();
      await browser.get("/register");
      const mailBefore = await outboxCount(app);
      for (const forgery of await forgeries(app, browser)) {
        const email = address("csrf-register");
        const res = await forgery.send("/register", { email, password: PASSWORD, confirm: PASSWORD });
        assert.equal(res.status, 403, forgery.name);
        assert.equal(await userRow(app, email), undefined, `${forgery.name}: no user row`);
        assert.equal(browser.session, undefined, `${forgery.name}: no session cookie`);
      }
      assert.equal(await outboxCount(app), mailBefore, "no mail queued");
      // The same request with the token does create the account: the checks above can see one.
      const email = address("csrf-register-ok");
      assert.equal((await browser.post("/register", { email, password: PASSWORD, confirm: PASSWORD })).status, 303);
      assert.ok(await userRow(app, email));
    });

    test("a sign-in without a valid CSRF token is refused with 403 and creates no session", async () => {
      const email = address("csrf-login");
      await confirmedUser(app, email);
      const user = (await userRow(app, email))!;
      const sessions = await sessionCount(app, user.id);
      const browser = app.client();
      await browser.get("/login");
      for (const forgery of await forgeries(app, browser)) {
        const res = await forgery.send("/login", { email, password: PASSWORD });
        assert.equal(res.status, 403, forgery.name);
        assert.equal(browser.session, undefined, `${forgery.name}: no session cookie`);
      }
      assert.equal(await sessionCount(app, user.id), sessions, "no session row created");
      assert.equal((await browser.post("/login", { email, password: PASSWORD })).status, 303);
      assert.equal(await sessionCount(app, user.id), sessions + 1);
    });

    test("a sign-out without a valid CSRF token is refused with 403 and the session survives", async () => {
      const browser = await confirmedUser(app, address("csrf-logout"));
      const cookie = browser.session!;
      for (const forgery of await forgeries(app, browser)) {
        const res = await forgery.send("/logout");
        assert.equal(res.status, 403, forgery.name);
        assert.ok(await sessionRow(app, cookie), `${forgery.name}: session row kept`);
      }
      assert.equal(browser.session, cookie, "cookie not cleared");
      assert.equal((await browser.get("/profile")).status, 200, "still signed in");
      assert.equal((await browser.post("/logout")).status, 303);
      assert.equal(await sessionRow(app, cookie), undefined);
    });

    test("a resend without a valid CSRF token is refused with 403 and queues no mail", async () => {
      const email = address("csrf-resend");
      const { browser } = await signUp(app, email);
      await app.sink!.waitFor(email);
      app.clock.advance(61 * SECOND); // past the resend cooldown: a real resend would go out
      await browser.get("/unconfirmed");
      const before = await outboxCount(app);
      for (const forgery of await forgeries(app, browser)) {
        assert.equal((await forgery.send("/resend")).status, 403, forgery.name);
      }
      assert.equal(await outboxCount(app), before, "no mail queued");
      const res = await browser.post("/resend");
      assert.equal(res.status, 303);
      assert.match(res.location ?? "", /^\/unconfirmed/);
      await app.sink!.waitFor(email, 2);
      assert.equal(app.sink!.to(email).length, 2, "only the genuine resend was mailed");
    });

    test("a confirmation code posted without a valid CSRF token is refused with 403, confirms nothing and costs no attempt", async () => {
      const email = address("csrf-code");
      const { browser } = await signUp(app, email);
      const code = confirmationCode(await app.sink!.waitFor(email));
      await browser.get("/unconfirmed");
      for (const forgery of await forgeries(app, browser)) {
        assert.equal((await forgery.send("/confirm", { code })).status, 403, forgery.name);
      }
      const user = (await userRow(app, email))!;
      assert.equal(user.confirmed, 0, "not confirmed");
      const token = await db(app).selectFrom("tokens").selectAll().where("user_id", "=", user.id).executeTakeFirstOrThrow();
      assert.equal(token.used_at, null, "code not used");
      assert.equal(token.code_attempts, 0, "no strike counted");
      assert.equal((await browser.get("/profile")).location, "/unconfirmed");
      const res = await browser.post("/confirm", { code });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/confirmed");
    });

    test("a confirmation link posted without a valid CSRF token is refused with 403 and the link still works", async () => {
      const email = address("csrf-link");
      const { browser } = await signUp(app, email);
      const path = linkPath(await app.sink!.waitFor(email), TEST_BASE_URL);
      const phone = app.client();
      assert.equal((await phone.get(path)).status, 200);
      for (const forgery of await forgeries(app, phone)) {
        assert.equal((await forgery.send(path)).status, 403, forgery.name);
      }
      assert.equal((await userRow(app, email))!.confirmed, 0, "not confirmed");
      assert.equal((await browser.get("/profile")).location, "/unconfirmed");
      const res = await phone.post(path);
      assert.equal(res.status, 303);
      assert.equal(res.location, "/confirmed");
      assert.equal((await userRow(app, email))!.confirmed, 1);
    });

    // ---- 2. security headers ----------------------------------------------------------

    test("pages forbid framing, sniffing, referrers and caching", async () => {
      const email = address("headers");
      const { browser } = await signUp(app, email);
      const path = linkPath(await app.sink!.waitFor(email), TEST_BASE_URL);
      const phone = app.client();
      const link = await phone.get(path);
      assert.equal(link.status, 200);
      assertPageHeaders(link, "GET /confirm/:token (valid)");
      const dead = await phone.get(`/confirm/${"x".repeat(43)}`);
      assert.equal(dead.status, 400);
      assertPageHeaders(dead, "GET /confirm/:token (invalid)");
      const unconfirmed = await browser.get("/unconfirmed");
      assert.equal(unconfirmed.status, 200);
      assertPageHeaders(unconfirmed, "/unconfirmed");
      assert.equal((await phone.post(path)).status, 303);
      const profile = await browser.get("/profile");
      assert.equal(profile.status, 200);
      assertPageHeaders(profile, "/profile");
      for (const p of ["/", "/login", "/register"]) {
        const res = await app.client().get(p);
        assert.equal(res.status, 200, p);
        assertPageHeaders(res, p);
      }
    });

    // ---- 3. session cookie ------------------------------------------------------------

    test("the session cookie is `session`, HttpOnly, SameSite=Lax, Path=/ and not Secure over an http BASE_URL", async () => {
      const email = address("cookie");
      const { res: registered } = await signUp(app, email);
      const { res: signedIn } = await signIn(app, email);
      assert.equal(signedIn.status, 303);
      for (const [what, res] of [["sign-up", registered], ["sign-in", signedIn]] as const) {
        const c = setCookie(res, "session");
        assert.match(c.value, /^[A-Za-z0-9_-]{43}$/, `${what}: 256-bit base64url value`);
        assert.ok(c.attrs.has("httponly"), `${what}: HttpOnly`);
        assert.equal(c.attrs.get("samesite")?.toLowerCase(), "lax", `${what}: SameSite=Lax`);
        assert.equal(c.attrs.get("path"), "/", `${what}: Path=/`);
        assert.ok(!c.attrs.has("secure"), `${what}: no Secure over http`);
        assert.ok(!c.attrs.has("domain"), `${what}: host-only`);
        assert.ok(!setCookies(res).some((x) => x.name.startsWith("__Host-")), `${what}: no __Host- cookies over http`);
      }
    });

    describe("with an https BASE_URL", () => {
      let secure: TestApp;
      before(async () => {
        secure = await startTestApp({ dialect, env: { BASE_URL: "https://latchkey.test" } });
      });
      after(() => secure.close());

      test("the session cookie is __Host-session with Secure, and a plain `session` cookie is ignored", async () => {
        const email = address("https-cookie");
        const browser = secure.client();
        await browser.get("/register");
        const res = await browser.post("/register", { email, password: PASSWORD, confirm: PASSWORD });
        assert.equal(res.status, 303);
        const c = setCookie(res, "__Host-session");
        assert.ok(c.attrs.has("secure"), "Secure");
        assert.ok(c.attrs.has("httponly"), "HttpOnly");
        assert.equal(c.attrs.get("samesite")?.toLowerCase(), "lax");
        assert.equal(c.attrs.get("path"), "/");
        assert.ok(!c.attrs.has("domain"), "__Host- cookies carry no Domain");
        assert.ok(!setCookies(res).some((x) => x.name === "session"), "no unprefixed session cookie");
        assert.equal((await browser.get("/unconfirmed")).status, 200, "the __Host- cookie signs in");
        // A cookie a sibling subdomain could plant is not the session cookie here.
        const planted = await replay(secure, c.value, "session").get("/unconfirmed");
        assert.equal(planted.status, 303);
        assert.match(planted.location ?? "", /^\/login/);
        const mail = await secure.sink!.waitFor(email);
        assert.match(mail.text, /https:\/\/latchkey\.test\/confirm\//);
        // Sign-out clears it with the attributes a browser needs to accept the deletion.
        const out = await browser.post("/logout");
        assert.equal(out.status, 303);
        const cleared = setCookie(out, "__Host-session");
        assert.equal(cleared.value, "");
        assert.ok(cleared.attrs.has("secure"), "cleared with Secure");
        assert.equal(cleared.attrs.get("path"), "/");
        assert.equal(await sessionRow(secure, c.value), undefined);
      });
    });

    // ---- 4. a copy of the database gives nothing usable ---------------------------------

    test("the database holds only hashes of session ids, link tokens and codes, and queued mail is sealed", async () => {
      const email = address("at-rest");
      // Hold delivery (a temporary SMTP refusal) so the queued mail is still in the outbox.
      app.sink!.rejectWith = { code: 451, message: "try again later" };
      let dump: Awaited<ReturnType<typeof databaseDump>>;
      let cookie: string;
      try {
        const { browser } = await signUp(app, email);
        cookie = browser.session!;
        dump = await databaseDump(app);
      } finally {
        app.sink!.rejectWith = undefined;
      }
      const mail = await app.sink!.waitFor(email);
      const token = linkPath(mail, TEST_BASE_URL).slice("/confirm/".length);
      const code = confirmationCode(mail);

      const ours = dump.outbox.filter((r) => r.payload !== null && app.service.deps.outbox.open(r.payload).to === email);
      assert.equal(ours.length, 1, "the confirmation mail was still queued, sealed, when the copy was taken");
      assert.ok(app.service.deps.outbox.open(ours[0]!.payload!).text.includes(token), "the sealed payload is that mail");

      for (const [what, secret] of [
        ["session id", cookie],
        ["link token", token],
        ["code", code],
        ["code without dash", code.replace("-", "")],
        ["password", PASSWORD],
      ] as const) {
        assert.ok(!dump.text.includes(secret), `${what} not stored in plaintext`);
      }
      assert.ok(await sessionRow(app, cookie), "sessions are found by sha256(cookie)");
      const tokenRow = await db(app).selectFrom("tokens").select("id").where("token_hash", "=", sha256hex(token)).executeTakeFirst();
      assert.ok(tokenRow, "tokens are found by sha256(token)");
    });

    // ---- 5. rotation and logout ---------------------------------------------------------

    test("signing in issues a new session id and the old one stops working", async () => {
      const email = address("rotate");
      const browser = await confirmedUser(app, email);
      const old = browser.session!;
      await browser.get("/login");
      const res = await browser.post("/login", { email, password: PASSWORD });
      assert.equal(res.status, 303);
      assert.ok(browser.session && browser.session !== old, "new cookie value");
      assert.equal((await browser.get("/profile")).status, 200, "the new id works");
      assert.equal(await sessionRow(app, old), undefined, "old row deleted");
      const stale = await replay(app, old).get("/profile");
      assert.equal(stale.status, 303);
      assert.equal(stale.location, "/login?next=%2Fprofile");
    });

    test("a session id planted before sign-in is not adopted", async () => {
      const email = address("fixation");
      await confirmedUser(app, email);
      const planted = "A".repeat(43);
      const victim = replay(app, planted);
      await victim.get("/login");
      assert.equal((await victim.post("/login", { email, password: PASSWORD })).status, 303);
      assert.notEqual(victim.session, planted);
      assert.equal(await sessionRow(app, planted), undefined);
      assert.equal((await replay(app, planted).get("/profile")).status, 303, "the attacker's copy is not signed in");
    });

    test("signing out deletes the session on the server, so a kept copy of the cookie is useless", async () => {
      const browser = await confirmedUser(app, address("logout"));
      const cookie = browser.session!;
      const copy = replay(app, cookie);
      assert.equal((await copy.get("/profile")).status, 200, "the copy works while signed in");
      const res = await browser.post("/logout");
      assert.equal(res.status, 303);
      assert.equal(res.location, "/");
      assert.equal(browser.session, undefined, "cookie cleared");
      assert.equal(await sessionRow(app, cookie), undefined, "row deleted");
      const after = await copy.get("/profile");
      assert.equal(after.status, 303);
      assert.equal(after.location, "/login?next=%2Fprofile");
    });

    // ---- 6. last seen -------------------------------------------------------------------

    test("last-seen is written at most once a minute", async () => {
      const browser = await confirmedUser(app, address("last-seen"));
      const cookie = browser.session!;
      const lastSeen = async () => (await sessionRow(app, cookie))!.last_seen_at;
      const first = await lastSeen();
      app.clock.advance(10 * SECOND);
      assert.equal((await browser.get("/profile")).status, 200);
      assert.equal(await lastSeen(), first, "not written 10 s later");
      app.clock.advance(61 * SECOND);
      const before = app.clock.now();
      assert.equal((await browser.get("/profile")).status, 200);
      const moved = await lastSeen();
      assert.ok(moved >= before, `written after a minute (${moved} >= ${before})`);
      app.clock.advance(10 * SECOND);
      assert.equal((await browser.get("/profile")).status, 200);
      assert.equal(await lastSeen(), moved, "not written again 10 s later");
    });

    describe("with short session lifetimes (idle 120 s, absolute 300 s)", () => {
      let short: TestApp;
      before(async () => {
        short = await startTestApp({ dialect, env: { SESSION_IDLE_TTL: "120", SESSION_ABSOLUTE_TTL: "300" } });
      });
      after(() => short.close());

      test("a session idle longer than SESSION_IDLE_TTL is signed out on the server; activity keeps it alive", async () => {
        const browser = await confirmedUser(short, address("idle"));
        const cookie = browser.session!;
        short.clock.advance(70 * SECOND);
        assert.equal((await browser.get("/profile")).status, 200);
        short.clock.advance(70 * SECOND); // 140 s after sign-in, 70 s after the last request
        assert.equal((await browser.get("/profile")).status, 200, "activity extends the idle window");
        short.clock.advance(121 * SECOND);
        const res = await browser.get("/profile");
        assert.equal(res.status, 303);
        assert.equal(res.location, "/login?next=%2Fprofile");
        assert.equal(await sessionRow(short, cookie), undefined, "expired row deleted");
      });

      test("a session older than SESSION_ABSOLUTE_TTL ends even while in use", async () => {
        const browser = await confirmedUser(short, address("absolute"));
        for (const step of [100, 100, 95]) {
          short.clock.advance(step * SECOND);
          assert.equal((await browser.get("/profile")).status, 200, `still signed in after +${step} s`);
        }
        short.clock.advance(10 * SECOND); // ~305 s after sign-in, 10 s after the last request
        const res = await browser.get("/profile");
        assert.equal(res.status, 303);
        assert.equal(res.location, "/login?next=%2Fprofile");
        assert.equal((await browser.get("/profile")).status, 303, "and stays signed out");
      });
    });

    // ---- 7. /profile gate ---------------------------------------------------------------

    test("/profile sends anonymous visitors to sign in, unconfirmed users to /unconfirmed, and shows confirmed users their profile", async () => {
      const anonymous = await app.client().get("/profile");
      assert.equal(anonymous.status, 303);
      assert.equal(anonymous.location, "/login?next=%2Fprofile");
      const { browser: unconfirmed } = await signUp(app, address("gate-unconfirmed"));
      const early = await unconfirmed.get("/profile");
      assert.equal(early.status, 303);
      assert.equal(early.location, "/unconfirmed");
      const email = address("gate-confirmed");
      const confirmed = await confirmedUser(app, email);
      const page = await confirmed.get("/profile");
      assert.equal(page.status, 200);
      assert.ok(page.text.includes(email), "the profile shows the address");
    });

    // ---- 8. open redirects --------------------------------------------------------------

    test("sign-in follows `next` only to same-origin paths", async () => {
      const email = address("next");
      await confirmedUser(app, email);
      for (const next of ["//evil.example", "/\\evil.example", "https:evil.example", "http://evil.example", "%2F%2Fevil.example", "/%5Cevil", "/%2F%2Fevil.example"]) {
        const { res } = await signIn(app, email, next);
        assert.equal(res.status, 303, next);
        assert.equal(res.location, "/", `next=${next}`);
      }
      const { res } = await signIn(app, email, "/profile?x=1");
      assert.equal(res.status, 303);
      assert.equal(res.location, "/profile?x=1");
    });

    test("the sign-in form does not carry an unsafe `next` into its hidden field", async () => {
      const form = await app.client().get(`/login?next=${encodeURIComponent("//evil.example/x")}`);
      assert.equal(form.status, 200);
      assert.match(form.text, /name="next" value="\/"/);
      assert.ok(!form.text.includes("evil.example"));
      const kept = await app.client().get(`/login?next=${encodeURIComponent("/profile")}`);
      assert.match(kept.text, /name="next" value="\/profile"/);
    });

    // ---- 9. Host header abuse -----------------------------------------------------------

    test("links in emails use BASE_URL even when Host and X-Forwarded-Host name another site", async () => {
      const email = address("host");
      const browser = app.client();
      await browser.get("/register");
      const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      const body = new URLSearchParams({ _csrf: browser.csrf!, email, password: PASSWORD, confirm: PASSWORD }).toString();
      const res = await rawPost(app.url, "/register", body, {
        host: "evil.example",
        "x-forwarded-host": "evil.example",
        "x-forwarded-proto": "https",
        cookie,
        "content-type": "application/x-www-form-urlencoded",
      });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/unconfirmed", "redirects stay relative");
      const mail = await app.sink!.waitFor(email);
      assert.ok(mail.text.includes(`${TEST_BASE_URL}/confirm/`), "text link starts with BASE_URL");
      assert.ok(mail.html.includes(`${TEST_BASE_URL}/confirm/`), "html link starts with BASE_URL");
      assert.ok(!mail.raw.includes("evil.example"), "the forged host appears nowhere in the mail");
    });

    // ---- 10. health and errors ----------------------------------------------------------

    test("/healthz and /readyz answer 200 with JSON", async () => {
      const client = app.client();
      for (const path of ["/healthz", "/readyz"]) {
        const res = await client.get(path);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/, path);
        assert.equal(typeof res.json<object>(), "object", path);
      }
      assert.equal((await client.get("/readyz")).json<{ checks: { database: unknown } }>().checks.database, "ok", "readiness checked the database");
    });

    test("an unknown path is a 404 HTML page without a stack trace", async () => {
      const res = await app.client().get("/no/such/page");
      assert.equal(res.status, 404);
      assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
      assert.doesNotMatch(res.text, STACK_TRACE);
      assertPageHeaders(res, "404");
    });

    test("a malformed request body gets an error page without a stack trace", async () => {
      const res = await app.client().request("POST", "/login", { body: "{not json", headers: { "content-type": "application/json" } });
      assert.ok(res.status >= 400 && res.status < 500, `4xx, got ${res.status}`);
      assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
      assert.doesNotMatch(res.text, STACK_TRACE);
      assert.doesNotMatch(res.text, /Unexpected token|JSON/);
    });
  });
}
