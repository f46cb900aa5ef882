import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { createSession } from "../../src/accounts/sessions.ts";
import { sha256 } from "../../src/secrets.ts";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import type { Client } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, mailSettled, PASSWORD, signUp, waitForMail } from "../helpers/flows.ts";
import { linkPath } from "../helpers/smtp-sink.ts";

// Hostile input (issue 4): whatever arrives at a form route, the answer is 2xx/3xx/4xx — never
// 5xx — and no row is left half-written. Seeded: FUZZ_SEED=<n> replays a run; FUZZ_RUNS=<n>
// changes the number of cases (default 2,400 per dialect, spread over the twelve form routes).

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 2400);
const MIN_RUNS = 2000;

// ---- raw HTTP (full control of headers, bodies and the Host header) -------------------

interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

function raw(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
  agent?: http.Agent,
): Promise<RawResponse> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        agent: agent ?? false,
        headers: { ...(body !== undefined ? { "content-length": String(body.length) } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${method} ${path} within 30 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** The cookie header a Client would send. */
function cookieHeader(c: Client): string {
  return [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
}

// ---- the routes under test -------------------------------------------------------------

type Who = "anyone" | "unconfirmed" | "confirmed";

interface Route {
  /** Path with `:param` placeholders. */
  readonly path: string;
  readonly fields: readonly string[];
  /** Which session reaches the handler's inside. */
  readonly who: Who;
}

const ROUTES: readonly Route[] = [
  { path: "/register", fields: ["email", "password", "confirm"], who: "anyone" },
  { path: "/login", fields: ["email", "password", "next"], who: "anyone" },
  { path: "/logout", fields: [], who: "confirmed" },
  { path: "/resend", fields: [], who: "unconfirmed" },
  { path: "/confirm", fields: ["code"], who: "unconfirmed" },
  { path: "/confirm/:token", fields: [], who: "anyone" },
  { path: "/unconfirmed/email", fields: ["email", "current_password"], who: "unconfirmed" },
  { path: "/profile/password", fields: ["current_password", "password", "confirm"], who: "confirmed" },
  { path: "/profile/email", fields: ["email", "current_password"], who: "confirmed" },
  { path: "/sessions/:id/revoke", fields: [], who: "confirmed" },
  { path: "/forgot", fields: ["email"], who: "anyone" },
  { path: "/reset/:token", fields: ["password", "confirm"], who: "anyone" },
];

// ---- arbitraries -----------------------------------------------------------------------

const GOOD_PASSWORD = "a perfectly fine new passphrase";

/** Values an attacker would try first. */
const adversarialText = fc.constantFrom(
  "",
  " ",
  "\0",
  "a\0b@example.com",
  "victim@example.com\0@evil.example",
  "a@example.com\r\nBcc: everyone@example.com",
  "\r\n\r\n<html>",
  "\u202Emoc.elpmaxe@resu",
  "user\u202E@example.com",
  "user＠example.com",
  "ＵＳＥＲ@ＥＸＡＭＰＬＥ.ＣＯＭ",
  '"a@evil"@victim.com',
  '"a\\"@evil.example',
  "a@b@c.example",
  "\uD800",
  "\uDFFF",
  "a\uD800b@example.com",
  "\uFEFFuser@example.com",
  "user@exam\u00ADple.com",
  "user@xn--80ak6aa92e.com",
  "user@[127.0.0.1]",
  "user@1.2.3.4",
  "<script>alert(1)</script>@example.com",
  "' OR '1'='1",
  "admin'--",
  "${7*7}{{7*7}}",
  "../../../../etc/passwd",
  "%00",
  "%ED%A0%80",
  "ABCD-EFGH",
  "abcd efgh",
  PASSWORD,
  GOOD_PASSWORD,
  "password",
  "fuzz.confirmed@example.com",
  "fuzz.unconfirmed@example.com",
  "FUZZ.CONFIRMED@EXAMPLE.COM ",
  "//evil.example",
  "/\\evil.example",
  "https:evil.example",
  "/.//evil.example",
);

/** Huge strings, up to 70 KiB (over the 64 KiB body limit). */
const hugeText = fc
  .tuple(fc.constantFrom("A", "é", "\0", "＠", "\u202E", "%", "&", "=", "\uD800", "a@", "🦀"), fc.integer({ min: 1000, max: 70 * 1024 }))
  .map(([s, n]) => s.repeat(Math.ceil(n / s.length)).slice(0, n));

/** UTF-16 code units one by one: lone surrogates included. */
const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 40 });

const emailish = fc.oneof(
  fc.emailAddress(),
  fc.tuple(fc.emailAddress(), fc.constantFrom("\0", "\r\n", "\u202E", "＠", " ", "\uD800", '"', "%", "\t")).map(([e, c]) => {
    const at = e.indexOf("@");
    return e.slice(0, at) + c + e.slice(at);
  }),
);

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: adversarialText },
  { weight: 1, arbitrary: hugeText },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 120 }) },
  { weight: 2, arbitrary: codeUnits },
  { weight: 3, arbitrary: emailish },
);

/** Bytes put into a urlencoded body as they are: bad percent-encoding, encoded lone surrogates, NUL, CRLF. */
const rawEncoded = fc.constantFrom("%ED%A0%80", "%ED%B0%80", "%", "%%", "%zz", "%E0%A4%A", "%C0%AF", "%FF%FE", "%uD800", "+%2B+", "a%00b", "%0D%0A", "%EF%BC%A0", "%E2%80%AE", "%F4%90%80%80", "&&&", "=", "==");

type Value = { readonly kind: "text"; readonly v: string } | { readonly kind: "raw"; readonly v: string } | { readonly kind: "json"; readonly v: unknown };

const jsonShaped: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(text, { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), text, { maxKeys: 4 }),
  fc.integer({ min: 2, max: 10_000 }).map((n) => Array.from({ length: n }, () => "a@example.com")),
  fc.constantFrom(null, true, 0, -1, 1e308, [], {}, [[[[[]]]]], { toString: "x" }, { __proto__: { polluted: 1 } }),
);

const value: fc.Arbitrary<Value> = fc.oneof(
  { weight: 6, arbitrary: text.map((v) => ({ kind: "text", v }) as const) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), rawEncoded).map(([a, b]) => ({ kind: "raw", v: encodeURIComponent(a) + b }) as const) },
  { weight: 2, arbitrary: jsonShaped.map((v) => ({ kind: "json", v }) as const) },
);

const repetitions = fc.oneof({ weight: 12, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.integer({ min: 2, max: 10 }) }, { weight: 1, arbitrary: fc.integer({ min: 11, max: 10_000 }) });

const oddFieldName = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "email[]", "email[0]", "password[x]", "__proto__[polluted]", "", "_csrf", "next"),
  fc.string({ unit: "binary", maxLength: 10 }),
);

interface Field {
  readonly name: string;
  readonly value: Value;
  readonly reps: number;
}

type Format = "form" | "json" | "badjson" | "wrongtype" | "empty";
type Auth = "none" | "csrf" | "session" | "garbage-cookies";

interface Case {
  readonly auth: Auth;
  readonly format: Format;
  readonly fields: readonly Field[];
  /** Raw path parameter (already URL-safe ASCII, or a marker resolved at run time). */
  readonly param: string;
  readonly contentType: string;
  readonly badJson: string;
}

const tokenParam = fc.oneof(
  fc.constantFrom("@valid", "@valid", "@valid", "%ED%A0%80", "%", "%zz", "..", "%2F", "%2e%2e", "%00", "%0D%0A", "a".repeat(201), "%E2%80%AE", "%EF%BC%A0", "null", "undefined", "__proto__", "@own", "@other"),
  fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
  fc.string({ unit: "binary", maxLength: 60 }).map((s) => (s.isWellFormed() ? encodeURIComponent(s) : "x%ED%A0%80")),
);

const wrongContentType = fc.constantFrom(
  "text/plain",
  "text/plain; charset=utf-8",
  "multipart/form-data; boundary=----fuzz",
  "multipart/form-data",
  "application/xml",
  "text/xml",
  "application/octet-stream",
  "application/x-www-form-urlencoded; charset=utf-16",
  "application/x-www-form-urlencoded; charset=latin1",
  "application/json; charset=utf-7",
  "application/json-patch+json",
  "application/x-www-form-urlencoded, application/json",
  "*/*",
  "",
  "x".repeat(2000),
);

const badJson = fc.oneof(
  fc.constantFrom("{", '{"email":', "{'email':'a'}", '{"email":"a",}', '{"email":"\\ud800"}', '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', "\uFEFF{}", "null", "[]", '"str"', "1e999", "NaN", '{"a":1}garbage', "[".repeat(5000), '{"a":' + "[".repeat(3000)),
  fc.string({ unit: "binary", maxLength: 200 }),
);

/** A value that passes (or nearly passes) the field's own checks. */
function plausible(name: string): fc.Arbitrary<string> {
  switch (name) {
    case "email":
      return fc.oneof(
        { weight: 4, arbitrary: fc.emailAddress() },
        { weight: 2, arbitrary: fc.constantFrom("fuzz.confirmed@example.com", "FUZZ.UNCONFIRMED@example.com ") },
        { weight: 1, arbitrary: fc.constantFrom("user＠example.com", "ＦＵＬＬ.ＷＩＤＴＨ@ＥＸＡＭＰＬＥ.ＣＯＭ", "\u202Eevil@example.com", '"a@evil"@victim.com') },
      );
    case "current_password":
      return fc.constantFrom(PASSWORD, PASSWORD, "not the password");
    case "code":
      return fc.constantFrom("ABCD-EFGH", "abcdefgh", "ABCD-EFG");
    case "next":
      return fc.constantFrom("/", "/profile", "//evil.example", "/.//evil.example");
    default:
      return text;
  }
}

function caseFor(route: Route): fc.Arbitrary<Case> {
  const named = route.fields.length > 0 ? fc.constantFrom(...route.fields) : oddFieldName;
  const field = fc.record({ name: fc.oneof({ weight: 4, arbitrary: named }, { weight: 1, arbitrary: oddFieldName }), value, reps: repetitions });
  // Each real field present most of the time, plus a few odd ones.
  const realFields = fc.tuple(...route.fields.map((name) => fc.option(fc.record({ name: fc.constant(name), value, reps: repetitions }), { freq: 5 })));
  const random = fc.tuple(realFields, fc.array(field, { maxLength: 3 })).map(([real, extra]) => [...real.filter((f): f is Field => f !== null), ...extra]);
  // Sometimes every field is plausible, so that the flows themselves run (accounts get created,
  // passwords and addresses change), with at most one odd field thrown in.
  const coherent = fc
    .tuple(fc.constantFrom(PASSWORD, GOOD_PASSWORD), fc.tuple(...route.fields.map((name) => plausible(name))), fc.option(field, { freq: 3 }))
    .map(([password, values, extra]) => {
      // One password for both `password` and `confirm` (and a sign-in with the accounts' real one).
      const real = route.fields.map((name, j): Field => ({ name, value: { kind: "text", v: name === "password" || name === "confirm" ? password : values[j]! }, reps: 1 }));
      return extra ? [...real, extra] : real;
    });
  return fc.record({
    auth: fc.constantFrom<Auth>("session", "session", "session", "csrf", "none", "garbage-cookies"),
    format: fc.constantFrom<Format>("form", "form", "form", "json", "json", "badjson", "wrongtype", "empty"),
    fields: fc.oneof({ weight: 3, arbitrary: random }, { weight: 2, arbitrary: coherent }),
    param: tokenParam,
    contentType: wrongContentType,
    badJson,
  });
}

// ---- bodies ----------------------------------------------------------------------------

const MAX_BODY = 160 * 1024;

function formValue(v: Value): string {
  if (v.kind === "raw") return v.v;
  const s = v.kind === "text" ? v.v : typeof v.v === "string" ? v.v : JSON.stringify(v.v);
  // Buffer.from turns lone surrogates into U+FFFD; the raw kind carries the encoded ones.
  return [...Buffer.from(s, "utf8")].map((b) => (/[A-Za-z0-9*\-._]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`)).join("");
}

function formBody(fields: readonly Field[], csrf: string | undefined): string {
  const parts: string[] = csrf ? [`_csrf=${csrf}`] : [];
  let size = 0;
  for (const f of fields) {
    const one = `${formValue({ kind: "text", v: f.name })}=${formValue(f.value)}`;
    const reps = Math.max(1, Math.min(f.reps, Math.floor(MAX_BODY / (one.length + 1))));
    for (let i = 0; i < reps; i++) parts.push(one);
    size += reps * (one.length + 1);
    if (size > MAX_BODY) break;
  }
  return parts.join("&");
}

function jsonBody(fields: readonly Field[], csrf: string | undefined): string {
  // Written by hand so that keys may repeat and `__proto__` stays a plain key.
  const entries: string[] = csrf ? [`"_csrf":${JSON.stringify(csrf)}`] : [];
  for (const f of fields) {
    const v = f.value.kind === "raw" ? f.value.v : f.value.v;
    const one = `${JSON.stringify(f.name)}:${JSON.stringify(v) ?? "null"}`;
    const reps = Math.max(1, Math.min(f.reps, Math.floor(MAX_BODY / (one.length + 1))));
    for (let i = 0; i < reps; i++) entries.push(one);
  }
  return `{${entries.join(",")}}`;
}

function multipartBody(fields: readonly Field[], csrf: string | undefined): string {
  const parts = csrf ? [["_csrf", csrf] as const] : [];
  const all = [...parts, ...fields.map((f) => [f.name, f.value.kind === "json" ? JSON.stringify(f.value.v) ?? "" : f.value.v] as const)];
  return all.map(([k, v]) => `------fuzz\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("") + "------fuzz--\r\n";
}

// ---- the suite -------------------------------------------------------------------------

// The fuzz runs on SQLite and on PostgreSQL (each case is a few milliseconds either way).
for (const dialect of await testDialects()) {
  describe(`hostile input (${dialect})`, () => {
    let app: TestApp;
    let csrfCookie: string;
    let csrfToken: string;
    const users = { confirmed: "", unconfirmed: "" };
    const originalHashes = new Map<string, string>();
    const tokens = { confirm: "", reset: "" };
    let casesRun = 0;

    before(async () => {
      app = await startTestApp({ dialect });
      const page = app.client();
      await page.get("/login");
      csrfCookie = page.cookies.get("csrf")!;
      csrfToken = page.csrf!;
      assert.ok(csrfCookie && csrfToken);

      await confirmedUser(app, "fuzz.confirmed@example.com");
      await signUp(app, "fuzz.unconfirmed@example.com");
      // An account whose real confirmation link and reset link the fuzz may hit.
      await signUp(app, "fuzz.links@example.com");
      tokens.confirm = linkPath(await waitForMail(app, "fuzz.links@example.com", /Confirm your email address/), TEST_BASE_URL).split("/").at(-1)!;
      await page.post("/forgot", { email: "fuzz.confirmed@example.com" });
      tokens.reset = linkPath(await waitForMail(app, "fuzz.confirmed@example.com", /Reset your password/), TEST_BASE_URL, "/reset/").split("/").at(-1)!;

      const rows = await app.service.deps.db.kysely.selectFrom("users").select(["id", "email", "password_hash"]).execute();
      for (const r of rows) {
        if (r.email === "fuzz.confirmed@example.com") users.confirmed = r.id;
        if (r.email === "fuzz.unconfirmed@example.com") users.unconfirmed = r.id;
        originalHashes.set(r.id, r.password_hash);
      }
    });
    after(() => app.close());

    async function newSession(userId: string): Promise<{ cookie: string; publicId: string }> {
      const deps = app.service.deps;
      const cookie = await createSession(deps.db.kysely, deps, { userId, email: "fuzz@example.com", now: app.clock.now(), client: { ip: "127.0.0.1", userAgent: "fuzz" } });
      const row = await deps.db.kysely.selectFrom("sessions").select("public_id").where("id_hash", "=", sha256(cookie)).executeTakeFirstOrThrow();
      return { cookie, publicId: row.public_id };
    }

    /** Sends one case; returns the response. */
    async function send(route: Route, c: Case): Promise<RawResponse> {
      const headers: Record<string, string> = {};
      let csrf: string | undefined;
      let own: { cookie: string; publicId: string } | undefined;
      if (c.auth === "garbage-cookies") headers.cookie = `session=${"%E0%A4%A".repeat(50)}; csrf=${"x".repeat(43)}; =; ;;`;
      if (c.auth === "csrf" || c.auth === "session") {
        csrf = csrfToken;
        headers.cookie = `csrf=${csrfCookie}`;
      }
      if (c.auth === "session") {
        const who = route.who === "anyone" ? (c.param.length % 2 ? "confirmed" : "unconfirmed") : route.who;
        own = await newSession(users[who]);
        headers.cookie += `; session=${own.cookie}`;
      }

      let param = c.param;
      if (param === "@valid") param = route.path.startsWith("/reset") ? tokens.reset : route.path.startsWith("/confirm") ? tokens.confirm : (own?.publicId ?? "x");
      else if (param === "@own") param = own?.publicId ?? "none";
      else if (param === "@other") param = (await newSession(users.confirmed)).publicId;
      const path = route.path.replace(/:[a-z]+/, param);

      let body: Buffer | undefined;
      switch (c.format) {
        case "form":
          headers["content-type"] = "application/x-www-form-urlencoded";
          body = Buffer.from(formBody(c.fields, csrf));
          break;
        case "json":
          headers["content-type"] = "application/json";
          body = Buffer.from(jsonBody(c.fields, csrf));
          break;
        case "badjson":
          headers["content-type"] = "application/json";
          body = Buffer.from(c.badJson);
          break;
        case "wrongtype":
          if (c.contentType) headers["content-type"] = c.contentType;
          body = Buffer.from(c.contentType.startsWith("multipart") ? multipartBody(c.fields, csrf) : formBody(c.fields, csrf));
          break;
        case "empty":
          if (c.fields.length % 2) headers["content-type"] = "application/x-www-form-urlencoded";
          break;
      }
      return raw(app.url, "POST", path, headers, body);
    }

    for (const [i, route] of ROUTES.entries()) {
      test(`POST ${route.path}: random and adversarial input never gets a 5xx`, async (t) => {
        const statuses = new Map<number, number>();
        const numRuns = Math.ceil(TOTAL_RUNS / ROUTES.length);
        const seed = SEED + i;
        try {
          await fc.assert(
            fc.asyncProperty(caseFor(route), async (c) => {
              casesRun++;
              const res = await send(route, c);
              statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
              // Keep the accounts' passwords as they were, so later cases reach as deep.
              if (route.path === "/profile/password" || route.path === "/reset/:token") {
                for (const [id, hash] of originalHashes) {
                  await app.service.deps.db.kysely.updateTable("users").set({ password_hash: hash }).where("id", "=", id).execute();
                }
              }
              return res.status >= 200 && res.status < 500;
            }),
            { seed, numRuns, endOnFailure: false },
          );
        } catch (err) {
          console.log(`# hostile-input fuzz failed on POST ${route.path} (${dialect}): replay with FUZZ_SEED=${SEED} (fast-check seed ${seed})`);
          throw err;
        }
        t.diagnostic(`seed ${seed}; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
      });
    }

    test(`the fuzz ran at least ${MIN_RUNS} cases, and no row is half-written`, async () => {
      assert.ok(casesRun >= Math.min(MIN_RUNS, TOTAL_RUNS), `ran ${casesRun} cases (seed ${SEED})`);
      const kysely = app.service.deps.db.kysely;
      const count = async (q: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) => Number((await q.executeTakeFirstOrThrow()).n);
      const users = await count(kysely.selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n")));
      const mails = await count(
        kysely
          .selectFrom("outbox")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("kind", "in", ["confirm", "signup_attempt"]),
      );
      assert.ok(users <= mails, `${users} accounts but only ${mails} confirmation/sign-up emails: some account's email was lost`);
      const broken = await kysely
        .selectFrom("users")
        .select(["id", "email"])
        .where((eb) => eb.or([eb("email", "=", ""), eb("email_canonical", "=", ""), eb("password_hash", "=", ""), eb("password_hash", "not like", "$argon2id$%")]))
        .execute();
      assert.deepEqual(broken, [], "every account has an address and an argon2id hash");
      const orphanSessions = await kysely
        .selectFrom("sessions")
        .select("public_id")
        .where((eb) => eb.not(eb.exists(eb.selectFrom("users").select("id").whereRef("users.id", "=", "sessions.user_id"))))
        .execute();
      assert.deepEqual(orphanSessions, [], "no session without its account");
      const orphanTokens = await kysely
        .selectFrom("tokens")
        .select("id")
        .where((eb) => eb.not(eb.exists(eb.selectFrom("users").select("id").whereRef("users.id", "=", "tokens.user_id"))))
        .execute();
      assert.deepEqual(orphanTokens, [], "no token without its account");
      const res = await fetch(new URL("/healthz", app.url));
      assert.equal(res.status, 200, "still alive");
    });

    test("open-redirect attempts in `next` all land on /", async () => {
      const attempts = [
        "//evil.example",
        "/\\evil.example",
        "https:evil.example",
        "https://evil.example/",
        "%2F%2Fevil.example",
        "/%2F/evil.example",
        "/%2f%2fevil.example",
        "/%5Cevil.example",
        "\\\\/evil.example",
        "\\/evil.example",
        "/\t/evil.example",
        " //evil.example",
        "///evil.example",
        "/.//evil.example",
        "/..//evil.example",
        "/a/..//evil.example",
        "/%2e%2e//evil.example",
        "javascript:alert(1)",
        "http://127.0.0.1.evil.example/",
      ];
      for (const next of attempts) {
        const browser = app.client();
        const look = await browser.get(`/login?next=${encodeURIComponent(next)}`);
        assert.equal(/name="next" value="([^"]*)"/.exec(look.text)?.[1], "/", `GET /login?next=${next} keeps / as the target`);
        const res = await browser.post("/login", { email: "fuzz.confirmed@example.com", password: PASSWORD, next });
        assert.equal(res.status, 303, `sign-in with next=${next}`);
        assert.equal(res.location, "/", `next=${JSON.stringify(next)} lands on /`);
      }
      // A same-origin path is honoured (so the test above can tell "ignored" from "broken").
      const browser = app.client();
      await browser.get("/login");
      const res = await browser.post("/login", { email: "fuzz.confirmed@example.com", password: PASSWORD, next: "/sessions?x=1" });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/sessions?x=1");
    });

    test("a body over 64 KiB is a 413 and a header block over 16 KiB a 431; neither a 5xx", async () => {
      const page = app.client();
      await page.get("/login");
      const big = await page.post("/login", { email: "a@example.com", password: "x".repeat(70 * 1024) });
      assert.equal(big.status, 413);
      const headers = await raw(app.url, "GET", "/", { "x-big": "y".repeat(20 * 1024) });
      assert.equal(headers.status, 431);
      const healthz = await fetch(new URL("/healthz", app.url));
      assert.equal(healthz.status, 200);
    });

    test("a slowloris-style crowd of half-sent requests does not stop others from being served", async () => {
      const port = Number(new URL(app.url).port);
      const sockets: net.Socket[] = [];
      const timers: NodeJS.Timeout[] = [];
      try {
        for (let i = 0; i < 50; i++) {
          const s = net.connect({ host: "127.0.0.1", port });
          s.on("error", () => {});
          sockets.push(s);
          // Half the crowd dribbles header lines, the other half a promised but never-finished body.
          if (i % 2 === 0) {
            s.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
          } else {
            s.write(`POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nemail=`);
          }
          let n = 0;
          const timer = setInterval(() => {
            if (++n > 20 || s.destroyed) return clearInterval(timer);
            s.write(i % 2 === 0 ? `X-Slow-${n}: ${n}\r\n` : "a");
          }, 100);
          timers.push(timer);
        }
        await new Promise((r) => setTimeout(r, 200));
        const signedIn = app.client();
        await signedIn.get("/login");
        assert.equal((await signedIn.post("/login", { email: "fuzz.confirmed@example.com", password: PASSWORD })).status, 303);
        for (let i = 0; i < 20; i++) {
          const health = await fetch(new URL("/healthz", app.url));
          assert.equal(health.status, 200, `GET /healthz #${i} while 50 clients stall`);
          await health.arrayBuffer();
          assert.equal((await signedIn.get("/profile")).status, 200, `GET /profile #${i} while 50 clients stall`);
        }
      } finally {
        for (const t of timers) clearInterval(t);
        for (const s of sockets) s.destroy();
      }
    });
  });

  describe(`emailed links ignore Host and X-Forwarded-Host (${dialect})`, () => {
    for (const env of [{}, { TRUST_PROXY: "127.0.0.1" }] as Record<string, string>[]) {
      const label = "TRUST_PROXY" in env ? "behind a trusted proxy" : "direct";
      test(`Host: evil.example and X-Forwarded-Host never change an emailed link (${label})`, async () => {
        const app = await startTestApp({ dialect, env });
        try {
          const evil = { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https", forwarded: "host=evil.example;proto=https" };
          const browser = app.client();
          await browser.get("/register");
          const post = async (path: string, fields: Record<string, string>) => {
            const body = Buffer.from(new URLSearchParams({ _csrf: browser.csrf!, ...fields }).toString());
            return raw(app.url, "POST", path, { ...evil, cookie: cookieHeader(browser), "content-type": "application/x-www-form-urlencoded" }, body);
          };
          const tag = randomBytes(4).toString("hex");
          const a = `host-a-${tag}@example.com`;
          const b = `host-b-${tag}@example.com`;
          assert.equal((await post("/register", { email: a, password: PASSWORD, confirm: PASSWORD })).status, 303);
          app.clock.advance(61_000); // past the cooldown, so the owner of the taken address is told
          assert.equal((await post("/register", { email: a, password: PASSWORD, confirm: PASSWORD })).status, 303, "a taken address: the owner is told");
          assert.equal((await post("/forgot", { email: a })).status, 303);
          await confirmedUser(app, b);
          const owner = app.client();
          await owner.get("/login");
          const login = await owner.post("/login", { email: b, password: PASSWORD });
          assert.equal(login.status, 303);
          await owner.get("/profile");
          const change = await raw(
            app.url,
            "POST",
            "/profile/email",
            { ...evil, cookie: cookieHeader(owner), "content-type": "application/x-www-form-urlencoded" },
            Buffer.from(new URLSearchParams({ _csrf: owner.csrf!, email: `host-c-${tag}@example.com`, current_password: PASSWORD }).toString()),
          );
          assert.equal(change.status, 303);

          await waitForMail(app, a, /Confirm your email address/);
          await waitForMail(app, a, /Someone tried to sign up/);
          await waitForMail(app, a, /Reset your password/);
          await waitForMail(app, `host-c-${tag}@example.com`, /Confirm your new email address/);
          await mailSettled(app);
          const mails = app.sink!.mails;
          assert.ok(mails.length >= 5);
          for (const mail of mails) {
            for (const part of [mail.text, mail.html]) {
              assert.doesNotMatch(part, /evil/i, `"${mail.subject}" never mentions the forged host`);
              const links = [...part.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]);
              for (const link of links) assert.ok(link.startsWith(`${TEST_BASE_URL}/`), `"${mail.subject}" links only to BASE_URL (${link})`);
            }
          }
          assert.ok(mails.some((m) => m.text.includes(`${TEST_BASE_URL}/confirm/`)));
          assert.ok(mails.some((m) => m.text.includes(`${TEST_BASE_URL}/reset/`)));
        } finally {
          await app.close();
        }
      });
    }
  });
}
