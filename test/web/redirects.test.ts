import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { guardedHost, safeNext } from "../../src/web/redirects.ts";

const config = loadConfig({
  SECRET_KEY: "k".repeat(40),
  BASE_URL: "https://auth.example.test",
  REDIRECT_HOSTS: "app.example.test, .apps.test ,wiki.example.test:8443",
});

describe("safeNext: which `next` Latchkey follows (SPEC §7)", () => {
  test("same-origin paths and absolute URLs on allowed hosts are followed, normalised", () => {
    const followed: Array<[string, string]> = [
      ["/profile", "/profile"],
      ["/a/b?c=d#e", "/a/b?c=d#e"],
      ["/a/../b", "/b"],
      ["https://auth.example.test/profile", "https://auth.example.test/profile"],
      ["https://app.example.test/x?y=1", "https://app.example.test/x?y=1"],
      ["https://APP.Example.TEST/x", "https://app.example.test/x"],
      ["https://app.example.test:443/", "https://app.example.test/"],
      ["https://one.apps.test/", "https://one.apps.test/"],
      ["https://a.b.apps.test/deep", "https://a.b.apps.test/deep"],
      ["https://wiki.example.test:8443/page", "https://wiki.example.test:8443/page"],
    ];
    for (const [next, expected] of followed) assert.equal(safeNext(config, next), expected, next);
  });

  test("open-redirect tricks all end at /", () => {
    const refused = [
      "//evil.test",
      "///evil.test",
      "/\\evil.test",
      "\\\\evil.test",
      "/.//evil.test",
      "/%2F%2Fevil.test",
      "/%2f/evil.test",
      "/%5Cevil.test",
      "/%09/evil.test",
      "/x%0d%0aSet-Cookie:x",
      "/ /evil.test",
      "/\t/evil.test",
      "https://evil.test/",
      "https://app.example.test.evil.test/",
      "https://evil.test/app.example.test",
      "https://app.example.test@evil.test/",
      "https://user:pw@app.example.test/",
      "https://evil.test\\@app.example.test/",
      "https://apps.test/",
      "https://evilapps.test/",
      "https://app.example.test:8443/",
      "https://wiki.example.test/",
      "https://auth.example.test:444/",
      "http://app.example.test/",
      "http://auth.example.test/",
      "javascript:alert(1)",
      "JavaScript://app.example.test/%0aalert(1)",
      "data:text/html,<script>alert(1)</script>",
      "https:app.example.test",
      "https:/app.example.test",
      "app.example.test",
      "ftp://app.example.test/",
      "",
      "/" + "a".repeat(3000),
    ];
    for (const next of refused) assert.equal(safeNext(config, next), "/", JSON.stringify(next));
    for (const notAString of [undefined, null, 42, ["/a"], { next: "/a" }]) assert.equal(safeNext(config, notAString), "/");
  });

  test("whatever the input, the result is / , a single-slash path, or a URL on an allowed host without userinfo", () => {
    const pieces = fc.constantFrom("/", "//", "\\", "@", ":", ".", "%2F", "%5c", "%09", "%0a", "#", "?", "https:", "http:", "evil.test", "app.example.test", "apps.test", ":8443", " ", "\t", "\n", "javascript:", "..");
    const input = fc.oneof(fc.string(), fc.array(pieces, { maxLength: 10 }).map((a) => a.join("")));
    fc.assert(
      fc.property(input, (next) => {
        const out = safeNext(config, next);
        if (out.startsWith("/")) {
          assert.ok(!out.startsWith("//") && !out.startsWith("/\\"), out);
          assert.equal(new URL(out, "https://auth.example.test").origin, "https://auth.example.test");
          return;
        }
        const url = new URL(out);
        assert.equal(url.protocol, "https:");
        assert.equal(url.username + url.password, "");
        assert.ok(guardedHost(config, url), out);
        assert.ok(/^(auth|app)\.example\.test$|\.apps\.test$|^wiki\.example\.test$/.test(url.hostname), out);
      }),
      { numRuns: 3000 },
    );
  });

  test("with an http BASE_URL, an https next is refused (another scheme), and port rules use each scheme's default", () => {
    const dev = loadConfig({ SECRET_KEY: "k".repeat(40), BASE_URL: "http://localhost:3000", REDIRECT_HOSTS: "localhost:8080,app.local" });
    assert.equal(safeNext(dev, "http://localhost:3000/x"), "http://localhost:3000/x");
    assert.equal(safeNext(dev, "http://localhost:8080/x"), "http://localhost:8080/x");
    assert.equal(safeNext(dev, "http://localhost/x"), "/");
    assert.equal(safeNext(dev, "http://app.local/x"), "http://app.local/x");
    assert.equal(safeNext(dev, "http://app.local:443/x"), "/");
    assert.equal(safeNext(dev, "https://app.local/x"), "/");
  });
});

describe("config for apps behind the proxy (SPEC §2)", () => {
  const base = { SECRET_KEY: "k".repeat(40) };
  test("COOKIE_DOMAIN: BASE_URL's host or a parent of it; the session cookie is then __Secure- on https", () => {
    const c = loadConfig({ ...base, BASE_URL: "https://auth.example.test", COOKIE_DOMAIN: ".Example.test" });
    assert.equal(c.cookieDomain, "example.test");
    assert.equal(c.sessionCookie, "__Secure-session");
    const named = loadConfig({ ...base, BASE_URL: "https://auth.example.test", COOKIE_DOMAIN: "auth.example.test", SESSION_COOKIE_NAME: "latchkey_session" });
    assert.equal(named.sessionCookie, "__Secure-latchkey_session");
    assert.equal(loadConfig({ ...base, BASE_URL: "https://auth.example.test" }).sessionCookie, "__Host-session");
    assert.equal(loadConfig({ ...base, BASE_URL: "http://auth.example.test", SESSION_COOKIE_NAME: "lk" }).sessionCookie, "lk");
  });

  test("a COOKIE_DOMAIN that is not a parent of BASE_URL's host, an IP, or a bare TLD stops start-up with one line", () => {
    const bad: Array<Record<string, string>> = [
      { BASE_URL: "https://auth.example.test", COOKIE_DOMAIN: "other.test" },
      { BASE_URL: "https://auth.example.test", COOKIE_DOMAIN: "ample.test" },
      { BASE_URL: "https://auth.example.test", COOKIE_DOMAIN: "test" },
      { BASE_URL: "https://auth.example.test", COOKIE_DOMAIN: "sub.auth.example.test" },
      { BASE_URL: "http://127.0.0.1:3000", COOKIE_DOMAIN: "127.0.0.1" },
      { BASE_URL: "http://10.0.0.5:3000", COOKIE_DOMAIN: "0.5" },
      { BASE_URL: "http://[::1]:3000", COOKIE_DOMAIN: "::1" },
    ];
    for (const env of bad) {
      assert.throws(() => loadConfig({ ...base, ...env }), (e: unknown) => e instanceof ConfigError && e.message.includes("COOKIE_DOMAIN") && !e.message.includes("\n"), JSON.stringify(env));
    }
  });

  test("bad REDIRECT_HOSTS entries, cookie names and FORWARD_AUTH values are refused by name", () => {
    for (const [name, value] of [
      ["REDIRECT_HOSTS", "https://app.example.test"],
      ["REDIRECT_HOSTS", "app.example.test/path"],
      ["REDIRECT_HOSTS", "user@app.example.test"],
      ["REDIRECT_HOSTS", "app.example.test:"],
      ["SESSION_COOKIE_NAME", "a b"],
      ["SESSION_COOKIE_NAME", "__Host-x"],
      ["FORWARD_AUTH", "yes"],
    ] as const) {
      assert.throws(() => loadConfig({ ...base, [name]: value }), (e: unknown) => e instanceof ConfigError && e.message.includes(name), `${name}=${value}`);
    }
    assert.equal(loadConfig(base).forwardAuth, false);
    assert.deepEqual(loadConfig({ ...base, REDIRECT_HOSTS: ".apps.test:8443" }).redirectHosts, [{ host: "apps.test", port: "8443", subdomains: true }]);
  });
});
