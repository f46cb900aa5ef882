import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { after, before, describe, test } from "node:test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { PASSWORD } from "../helpers/flows.ts";
import { missingProxy, ProxyBrowser, RecordingApp, startProxy, type ProxyKind, type RunningProxy } from "../helpers/proxies.ts";
import { confirmationCode } from "../helpers/smtp-sink.ts";

const AUTH = "http://auth.example.test";
const APP = "http://app.example.test";
const PRIVATE = `${APP}/private?q=1`;

test("the README shows the very nginx and Caddy configurations these tests run", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  for (const file of ["nginx.conf", "Caddyfile"]) {
    assert.ok(readme.includes(readFileSync(new URL(`../../deploy/${file}`, import.meta.url), "utf8")), `README carries deploy/${file} verbatim`);
  }
});

for (const kind of ["nginx", "caddy"] as const satisfies readonly ProxyKind[]) {
  const missing = missingProxy(kind);
  if (missing && process.env.CI !== "true") {
    console.log(`# ${kind}: ${missing}; the ${kind} forward-auth tests are SKIPPED`);
    continue;
  }

  describe(`Latchkey in front of an app, through real ${kind} (deploy/${kind === "nginx" ? "nginx.conf" : "Caddyfile"})`, () => {
    let latchkey: TestApp;
    let upstream: RecordingApp;
    let proxy: RunningProxy;
    let user: ProxyBrowser;
    let userId: string;
    const hits = () => upstream.seen.length;

    before(async () => {
      if (missing) throw new Error(`CI=true and ${missing}`);
      latchkey = await startTestApp({
        host: "0.0.0.0",
        env: { BASE_URL: AUTH, FORWARD_AUTH: "on", REDIRECT_HOSTS: "app.example.test", COOKIE_DOMAIN: "example.test", SESSION_COOKIE_NAME: "latchkey_session" },
      });
      upstream = await new RecordingApp().start();
      proxy = await startProxy(kind, { latchkey: Number(new URL(latchkey.url).port), app: upstream.port });
      user = new ProxyBrowser(proxy.port);
    });
    after(async () => {
      await proxy?.stop();
      await upstream?.stop();
      await latchkey?.close();
    });

    test("an anonymous page view is redirected to sign in with next; JSON gets 401; the app sees neither", async () => {
      const anon = new ProxyBrowser(proxy.port);
      const page = await anon.get(PRIVATE, { accept: "text/html", "remote-user": "admin" });
      assert.equal(page.status, 302);
      assert.equal(page.location, `${AUTH}/login?next=${encodeURIComponent(PRIVATE)}`);
      const json = await anon.get(`${APP}/api/data`, { accept: "application/json" });
      assert.equal(json.status, 401);
      assert.equal(hits(), 0);
    });

    test("an anonymous POST never reaches the app, body and all", async () => {
      const anon = new ProxyBrowser(proxy.port);
      const res = await anon.request("POST", `${APP}/transfer`, { body: "amount=1000", headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html" } });
      assert.ok(res.status === 401 || res.status === 302, `status ${res.status}`);
      assert.equal(hits(), 0);
    });

    test("sign-up → confirm by code → back on the original URL; the app sees who it is, with a valid assertion", async () => {
      const toLogin = (await user.get(PRIVATE)).location!;
      const login = await user.get(toLogin);
      assert.equal(login.status, 200);
      const registerHref = /href="(\/register\?next=[^"]+)"/.exec(login.text)?.[1]?.replaceAll("&amp;", "&");
      assert.ok(registerHref, "the sign-in page links to sign-up, carrying next");
      const form = await user.get(`${AUTH}${registerHref}`);
      const next = /name="next" value="([^"]+)"/.exec(form.text)?.[1]?.replaceAll("&amp;", "&");
      assert.equal(next, PRIVATE);
      const email = `${kind}-user@example.com`;
      const registered = await user.post(`${AUTH}/register`, { email, password: PASSWORD, confirm: PASSWORD, next: next! });
      assert.equal(registered.status, 303);
      assert.ok(user.cookies.has("latchkey_session"), "SESSION_COOKIE_NAME names the cookie");
      assert.equal((await user.get(PRIVATE)).location, `${AUTH}/unconfirmed?next=${encodeURIComponent(PRIVATE)}`, "unconfirmed: confirm first");
      await user.get(`${AUTH}/unconfirmed`);
      const code = confirmationCode(await latchkey.sink!.waitFor(email));
      const confirmed = await user.post(`${AUTH}/confirm`, { code });
      assert.equal(confirmed.status, 303);
      assert.equal(confirmed.location, PRIVATE);
      assert.equal(hits(), 0);

      const res = await user.get(confirmed.location!, {
        accept: "text/html",
        "remote-user": "admin",
        "remote-email": "boss@example.com",
        "remote-groups": "admin",
        "x-auth-request-user": "admin",
        "latchkey-assertion": "forged",
      });
      assert.equal(res.status, 200);
      assert.equal(res.text, "app");
      const seen = upstream.seen.at(-1)!;
      assert.equal(seen.url, "/private?q=1");
      userId = String(seen.headers["remote-user"]);
      assert.match(userId, /^[0-9a-f-]{36}$/, "the client's Remote-User never reaches the app");
      assert.equal(seen.headers["remote-email"], email);
      assert.equal(seen.headers["remote-groups"] ?? "", "");
      assert.equal(seen.headers["x-auth-request-user"], userId);
      const jwks = createRemoteJWKSet(new URL(`${latchkey.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(String(seen.headers["latchkey-assertion"]), jwks, { issuer: AUTH, audience: APP, algorithms: ["EdDSA"] });
      assert.equal(payload.sub, userId);
      assert.equal(payload.email, email);
    });

    test("open-redirect attempts never leave the allowed hosts", async () => {
      const email = `${kind}-user@example.com`;
      for (const next of ["//evil.test/", "/\\evil.test", "http://app.example.test.evil.test/", "http://app.example.test:8080/", "javascript:alert(1)", "https://evil.test/"]) {
        const b = new ProxyBrowser(proxy.port);
        await b.get(`${AUTH}/login?next=${encodeURIComponent(next)}`);
        const res = await b.post(`${AUTH}/login`, { email, password: PASSWORD, next });
        assert.equal(res.status, 303);
        assert.equal(res.location, "/", `next=${next}`);
      }
      const evilHost = await user.get("http://evil.test/", { accept: "text/html" });
      assert.notEqual(evilHost.status, 302, "an unknown Host is not answered with a redirect to anywhere");
    });

    test("the verify routes are not reachable through Latchkey's own public name", async () => {
      const res = await user.get(`${AUTH}/api/authz/${kind === "nginx" ? "auth-request" : "forward-auth"}`, { "x-original-url": `${APP}/`, "x-forwarded-host": "app.example.test", "x-forwarded-proto": "http" });
      assert.equal(res.status, 404);
    });

    test("an untrusted caller asking Latchkey directly gets 403", { skip: externalIp() ? false : "no non-loopback address" }, async () => {
      const port = new URL(latchkey.url).port;
      const res = await fetch(`http://${externalIp()}:${port}/api/authz/forward-auth`, {
        headers: { "x-forwarded-proto": "http", "x-forwarded-host": "app.example.test", "x-forwarded-uri": "/", cookie: [...user.cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
      });
      assert.equal(res.status, 403);
    });

    test("after sign-out, and after a revoke from another device, the next request is refused", async () => {
      const email = `${kind}-user@example.com`;
      const before = hits();
      await user.get(`${AUTH}/`);
      const out = await user.post(`${AUTH}/logout`, {});
      assert.equal(out.status, 303);
      assert.equal((await user.get(PRIVATE)).status, 302);

      const laptop = new ProxyBrowser(proxy.port);
      const phone = new ProxyBrowser(proxy.port);
      for (const b of [laptop, phone]) {
        await b.get(`${AUTH}/login`);
        assert.equal((await b.post(`${AUTH}/login`, { email, password: PASSWORD })).status, 303);
      }
      assert.equal((await laptop.get(`${APP}/still`)).status, 200);
      const sessions = await phone.get(`${AUTH}/api/v1/me/sessions`, { accept: "application/json" });
      const other = JSON.parse(sessions.text).sessions.find((s: { current: boolean }) => !s.current);
      await phone.get(`${AUTH}/sessions`);
      assert.equal((await phone.post(`${AUTH}/sessions/${other.id}/revoke`, {})).status, 303);
      assert.equal((await laptop.get(`${APP}/after-revoke`)).status, 302);
      assert.equal((await phone.get(`${APP}/phone`)).status, 200);
      assert.deepEqual(
        upstream.seen.slice(before).map((s) => s.url),
        ["/still", "/phone"],
      );
    });
  });
}

function externalIp(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === "IPv4" && !i.internal)?.address;
}
