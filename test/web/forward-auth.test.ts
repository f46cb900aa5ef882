import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { createAdmin } from "../../src/accounts/admin.ts";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import type { Client } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, PASSWORD, signIn, signUp } from "../helpers/flows.ts";

const APP = "http://app.example.test";
const HTML = "text/html,application/xhtml+xml";

/** What Traefik/Caddy send for a request to `url` (forward-auth). */
function forwarded(url: string, method = "GET", accept = HTML): Record<string, string> {
  const u = new URL(url);
  return { "x-forwarded-proto": u.protocol.slice(0, -1), "x-forwarded-host": u.host, "x-forwarded-uri": u.pathname + u.search, "x-forwarded-method": method, accept };
}
/** What the documented nginx config sends (auth-request). */
function original(url: string, method = "GET", accept = HTML): Record<string, string> {
  return { "x-original-url": url, "x-original-method": method, accept };
}

const FA = "/api/authz/forward-auth";

/**
 * GET FA with each set of headers, each on a connection of its own, written in one go once the
 * server (in this process) has accepted every connection: it reads them all in the same turn of
 * its event loop. Answers in order, with lower-case header names.
 */
async function sentTogether(app: TestApp, requests: Array<Record<string, string>>): Promise<Array<{ status: number; headers: Map<string, string> }>> {
  const { hostname, port } = new URL(app.url);
  const server = app.service.app.server;
  const accepted = () => new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
  const before = await accepted();
  const sockets = await Promise.all(
    requests.map(
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(Number(port), hostname, () => resolve(socket)).on("error", reject);
        }),
    ),
  );
  while ((await accepted()) < before + sockets.length) await new Promise((resolve) => setImmediate(resolve));
  const answers = sockets.map(
    (socket) =>
      new Promise<string>((resolve, reject) => {
        let text = "";
        socket.setEncoding("latin1").on("data", (chunk: string) => (text += chunk)).on("end", () => resolve(text)).on("error", reject);
      }),
  );
  requests.forEach((headers, i) => {
    const lines = Object.entries({ host: `${hostname}:${port}`, connection: "close", ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
    sockets[i]!.write(`GET ${FA} HTTP/1.1\r\n${lines.join("")}\r\n`);
  });
  return (await Promise.all(answers)).map((text) => {
    const [statusLine, ...lines] = text.slice(0, text.indexOf("\r\n\r\n")).split("\r\n");
    const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
    return { status: Number(statusLine!.split(" ")[1]), headers };
  });
}
const AR = "/api/authz/auth-request";

for (const dialect of await testDialects()) {
  describe(`forward-auth verify routes (${dialect})`, () => {
    let app: TestApp;
    let member: Client;
    let admin: Client;
    let jwks: JSONWebKeySet;
    before(async () => {
      app = await startTestApp({ dialect, env: { FORWARD_AUTH: "on", REDIRECT_HOSTS: "app.example.test,.apps.test,wiki.example.test:8443" } });
      member = await confirmedUser(app, "member@example.com");
      await createAdmin(app.service.deps, "boss@example.com", async () => PASSWORD);
      admin = (await signIn(app, "boss@example.com")).browser;
      jwks = (await app.client().get("/.well-known/jwks.json")).json<JSONWebKeySet>();
    });
    after(() => app.close());

    test("an anonymous page view is sent to sign in with the protected URL as next; JSON and POST get 401", async () => {
      const anon = app.client();
      const page = await anon.get(FA, forwarded(`${APP}/private?q=1`));
      assert.equal(page.status, 302);
      assert.equal(page.location, `${TEST_BASE_URL}/login?next=${encodeURIComponent(`${APP}/private?q=1`)}`);
      assert.equal(page.headers.get("cache-control"), "no-store");
      assert.deepEqual(page.headers.getSetCookie(), []);
      for (const headers of [forwarded(`${APP}/api/x`, "GET", "application/json"), forwarded(`${APP}/form`, "POST")]) {
        const res = await anon.get(FA, headers);
        assert.equal(res.status, 401);
        assert.equal(res.json<{ error: { code: string } }>().error.code, "unauthenticated");
        assert.equal(res.location, null);
      }
    });

    test("auth-request answers 401 with the sign-in URL in Location (nginx turns it into a redirect)", async () => {
      const res = await app.client().get(AR, original(`${APP}/private`));
      assert.equal(res.status, 401);
      assert.equal(res.location, `${TEST_BASE_URL}/login?next=${encodeURIComponent(`${APP}/private`)}`);
      const json = await app.client().get(AR, original(`${APP}/private`, "GET", "application/json"));
      assert.equal(json.status, 401);
      assert.equal(json.location, null);
    });

    test("signed in: 200 with every identity header and an assertion that verifies against the JWKS", async () => {
      for (const [path, headers] of [[FA, forwarded(`${APP}/x`)], [AR, original(`${APP}/x`)]] as const) {
        const res = await member.get(path, { ...headers, "remote-user": "admin" });
        assert.equal(res.status, 200);
        assert.equal(res.text, "");
        const id = res.headers.get("remote-user")!;
        assert.match(id, /^[0-9a-f-]{36}$/);
        assert.equal(res.headers.get("remote-email"), "member@example.com");
        assert.equal(res.headers.get("remote-groups"), "", "present and empty for a non-admin");
        assert.equal(res.headers.get("x-auth-request-user"), id);
        assert.equal(res.headers.get("x-auth-request-email"), "member@example.com");
        assert.equal(res.headers.get("x-auth-request-groups"), "");
        assert.equal(res.headers.get("cache-control"), "no-store");
        assert.deepEqual(res.headers.getSetCookie(), []);
        const { payload, protectedHeader } = await jwtVerify(res.headers.get("latchkey-assertion")!, createLocalJWKSet(jwks), {
          issuer: TEST_BASE_URL,
          audience: APP,
          algorithms: ["EdDSA"],
        });
        assert.ok(protectedHeader.kid);
        assert.equal(payload.sub, id);
        assert.equal(payload.email, "member@example.com");
        assert.equal(payload.email_verified, true);
        assert.equal(payload.admin, false);
        assert.equal(payload.exp! - payload.iat!, 60);
        const session = (await member.get("/api/v1/session")).json<{ session: { id: string } }>();
        assert.equal(payload.sid, session.session.id);
      }
      const head = await member.request("HEAD", FA, { headers: forwarded(`${APP}/x`) });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("remote-email"), "member@example.com");
    });

    test("requests read together from several sessions each get their own identity (PostgreSQL looks them up in one query)", async () => {
      const callers = [
        { cookie: `session=${member.session}`, email: "member@example.com", groups: "" },
        { cookie: `session=${admin.session}`, email: "boss@example.com", groups: "admin" },
        { cookie: "session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", email: null, groups: null },
      ];
      const asked = Array.from({ length: 30 }, (_, i) => callers[i % callers.length]!);
      const answers = await sentTogether(
        app,
        asked.map((c) => ({ ...forwarded(`${APP}/x`, "GET", "application/json"), cookie: c.cookie })),
      );
      answers.forEach((res, i) => {
        const { email, groups } = asked[i]!;
        assert.equal(res.status, email ? 200 : 401, `request ${i}`);
        assert.equal(res.headers.get("remote-email") ?? null, email, `request ${i}`);
        assert.equal(res.headers.get("remote-groups") ?? null, groups, `request ${i}`);
      });
    });

    test("an assertion names the protected origin as its audience, and is refused for another", async () => {
      const res = await member.get(FA, forwarded("https://one.apps.test/page"));
      const token = res.headers.get("latchkey-assertion")!;
      await jwtVerify(token, createLocalJWKSet(jwks), { audience: "https://one.apps.test" });
      await assert.rejects(jwtVerify(token, createLocalJWKSet(jwks), { audience: APP }));
    });

    test("an assertion is reused for at most 15 s of its 60, then signed afresh", async () => {
      const token = async () => (await member.get(FA, forwarded(`${APP}/reuse`))).headers.get("latchkey-assertion")!;
      const first = await token();
      assert.equal(await token(), first, "the same session, app and identity within 15 s");
      app.clock.advance(16_000);
      const second = await token();
      assert.notEqual(second, first);
      const { payload } = await jwtVerify(second, createLocalJWKSet(jwks), { currentDate: new Date(app.clock.now()) });
      assert.ok(Math.abs(payload.iat! * 1000 - app.clock.now()) < 2000, "freshly issued");
    });

    test("?require=admin: 403 for a member, 200 with Remote-Groups admin for an admin", async () => {
      const denied = await member.get(`${FA}?require=admin`, forwarded(`${APP}/admin`));
      assert.equal(denied.status, 403);
      assert.equal(denied.json<{ error: { code: string } }>().error.code, "forbidden");
      const ok = await admin.get(`${AR}?require=admin`, original(`${APP}/admin`));
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get("remote-groups"), "admin");
      assert.equal(ok.headers.get("x-auth-request-groups"), "admin");
      assert.equal((await app.client().get(`${FA}?require=admin`, forwarded(`${APP}/admin`))).status, 302, "the anonymous still sign in");
    });

    test("an unconfirmed account is sent to /unconfirmed with next; JSON gets 403 email_unconfirmed", async () => {
      const { browser } = await signUp(app, "pending@example.com");
      const page = await browser.get(FA, forwarded(`${APP}/doc`));
      assert.equal(page.status, 302);
      assert.equal(page.location, `${TEST_BASE_URL}/unconfirmed?next=${encodeURIComponent(`${APP}/doc`)}`);
      const nginx = await browser.get(AR, original(`${APP}/doc`));
      assert.equal(nginx.status, 401);
      assert.equal(nginx.location, page.location);
      const json = await browser.get(FA, forwarded(`${APP}/doc`, "GET", "application/json"));
      assert.equal(json.status, 403);
      assert.equal(json.json<{ error: { code: string } }>().error.code, "email_unconfirmed");
    });

    test("sign-out and a revoked session are refused on the very next request", async () => {
      const a = await confirmedUser(app, "leaver@example.com");
      assert.equal((await a.get(FA, forwarded(`${APP}/`))).status, 200);
      await a.post("/logout");
      assert.equal((await a.get(FA, forwarded(`${APP}/`))).status, 302);

      const { browser: b } = await signIn(app, "leaver@example.com");
      const { browser: c } = await signIn(app, "leaver@example.com");
      const id = (await b.get("/api/v1/session")).json<{ session: { id: string } }>().session.id;
      assert.equal((await c.request("DELETE", `/api/v1/me/sessions/${id}`)).status, 204);
      assert.equal((await b.get(AR, original(`${APP}/`))).status, 401);
      assert.equal((await c.get(AR, original(`${APP}/`))).status, 200);
    });

    test("a protected URL on a host Latchkey does not guard, or unreadable headers, are a 400", async () => {
      const bad: Array<[string, Record<string, string>]> = [
        [FA, forwarded("https://evil.test/")],
        [FA, forwarded("https://app.example.test.evil.test/")],
        [FA, forwarded("https://apps.test/")],
        [FA, forwarded("http://app.example.test:8080/")],
        [FA, forwarded("https://wiki.example.test/")],
        [FA, {}],
        [FA, { "x-forwarded-proto": "https", "x-forwarded-host": "user@app.example.test", "x-forwarded-uri": "/" }],
        [FA, { "x-forwarded-proto": "javascript", "x-forwarded-host": "app.example.test", "x-forwarded-uri": "/" }],
        [FA, { "x-forwarded-proto": "https", "x-forwarded-host": "app.example.test", "x-forwarded-uri": "x" }],
        [FA, { ...forwarded(`${APP}/`), "x-forwarded-method": "G ET" }],
        [AR, {}],
        [AR, original("//evil.test/")],
        [AR, original("https://user:pw@app.example.test/")],
        [AR, original("ftp://app.example.test/")],
      ];
      for (const [path, headers] of bad) {
        const res = await member.get(path, headers);
        assert.equal(res.status, 400, `${path} ${JSON.stringify(headers)}`);
        assert.equal(res.json<{ error: { code: string } }>().error.code, "invalid_input");
      }
      assert.equal((await member.get(FA, forwarded("https://wiki.example.test:8443/"))).status, 200);
      assert.equal((await member.get(FA, forwarded("https://deep.one.apps.test/"))).status, 200);
    });

    test("only GET and HEAD are verify requests: another method is a 405 with Allow, never an identity", async () => {
      for (const method of ["POST", "PUT", "DELETE"]) {
        const res = await member.request(method, FA, { headers: forwarded(`${APP}/x`) });
        assert.equal(res.status, 405, method);
        assert.equal(res.headers.get("allow"), "GET, HEAD");
        assert.equal(res.headers.get("remote-user"), null);
        assert.equal(res.headers.get("cache-control"), "no-store");
        assert.equal(res.json<{ error: { code: string } }>().error.code, "invalid_input");
      }
      // Only the exact paths are verify routes; anything else is the app's as before.
      assert.equal((await member.get(`${FA}/`, forwarded(`${APP}/x`))).status, 404);
    });

    test("any forwarded headers at all: never a 5xx", async () => {
      const anyText = fc.string({ unit: "binary-ascii", maxLength: 60 }).map((s) => s.replace(/[\r\n\0]/g, ""));
      await fc.assert(
        fc.asyncProperty(
          fc.record({ proto: anyText, host: anyText, uri: anyText, method: anyText, url: anyText, route: fc.constantFrom(FA, AR) }),
          async (h) => {
            const headers: Record<string, string> = {
              "x-forwarded-proto": h.proto,
              "x-forwarded-host": h.host,
              "x-forwarded-uri": h.uri,
              "x-forwarded-method": h.method,
              "x-original-url": h.url,
              "x-original-method": h.method,
            };
            const res = await member.get(h.route, headers).catch((e: Error) => ({ status: 0, error: e }));
            // undici refuses some header bytes itself (status 0): those never reach the server.
            assert.ok(res.status === 0 || res.status < 500, `${res.status} for ${JSON.stringify(h)}`);
          },
        ),
        { numRuns: 150 },
      );
    });

    test("GET /api/v1/session describes the user and this session; 401 when anonymous", async () => {
      const res = await member.get("/api/v1/session");
      assert.equal(res.status, 200);
      const body = res.json<{ user: Record<string, unknown>; session: Record<string, unknown> }>();
      assert.deepEqual(Object.keys(body.user).sort(), ["admin", "email", "email_verified", "id"]);
      assert.equal(body.user.email, "member@example.com");
      assert.equal(body.user.email_verified, true);
      assert.equal(body.user.admin, false);
      assert.deepEqual(Object.keys(body.session).sort(), ["amr", "authenticated_at", "created_at", "expires_at", "id"]);
      assert.deepEqual(body.session.amr, ["pwd"]);
      assert.ok(Date.parse(body.session.expires_at as string) > Date.now());
      const anon = await app.client().get("/api/v1/session");
      assert.equal(anon.status, 401);
      assert.equal(anon.json<{ error: { code: string } }>().error.code, "unauthenticated");
    });

    test("a sign-up attempt with a taken address learns nothing of that account from /api/v1/session", async () => {
      const realId = (await member.get("/api/v1/session")).json<{ user: { id: string } }>().user.id;
      const { browser } = await signUp(app, "member@example.com", { password: "some other long password" });
      const body = (await browser.get("/api/v1/session")).json<{ user: { id: string; email_verified: boolean } }>();
      assert.notEqual(body.user.id, realId);
      assert.equal(body.user.email_verified, false);
      assert.equal((await browser.get(FA, forwarded(`${APP}/`))).status, 302);
    });

    test("the JWKS holds one Ed25519 public key with a kid, and no private part", async () => {
      assert.equal(jwks.keys.length, 1);
      const [key] = jwks.keys;
      assert.equal(key!.kty, "OKP");
      assert.equal(key!.crv, "Ed25519");
      assert.ok(key!.kid);
      assert.equal((key as Record<string, unknown>).d, undefined);
    });
  });
}

describe("who may ask, and when", () => {
  test("FORWARD_AUTH off (the default): the verify routes are a 404", async () => {
    const app = await startTestApp({ smtp: false });
    try {
      for (const path of [FA, AR]) assert.equal((await app.client().get(path, forwarded(`${TEST_BASE_URL}/`))).status, 404);
    } finally {
      await app.close();
    }
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === "IPv4" && !i.internal)?.address;

  test("a caller that is neither on loopback nor in TRUST_PROXY gets 403, whatever it forwards", { skip: external ? false : "no non-loopback IPv4 address on this machine" }, async () => {
    const app = await startTestApp({ smtp: false, host: "0.0.0.0", env: { FORWARD_AUTH: "on" } });
    try {
      const port = new URL(app.url).port;
      const res = await fetch(`http://${external}:${port}${FA}`, { headers: { ...forwarded(`${TEST_BASE_URL}/`), "x-forwarded-for": "127.0.0.1" } });
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "forbidden");
    } finally {
      await app.close();
    }
    const trusting = await startTestApp({ smtp: false, host: "0.0.0.0", env: { FORWARD_AUTH: "on", TRUST_PROXY: `${external}/32` } });
    try {
      const port = new URL(trusting.url).port;
      const res = await fetch(`http://${external}:${port}${FA}`, { headers: forwarded(`${TEST_BASE_URL}/`), redirect: "manual" });
      assert.equal(res.status, 302, "a proxy in TRUST_PROXY is heard");
    } finally {
      await trusting.close();
    }
  });
});
