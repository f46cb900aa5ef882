import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Response } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";

/** Issue 18.7: answers the router gives before any hook still carry the app's headers and shapes. */
function assertAppHeaders(res: Response, what: string): void {
  assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/, `${what}: CSP`);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff", `${what}: nosniff`);
  assert.equal(res.headers.get("cache-control"), "no-store", `${what}: Cache-Control`);
  assert.equal(res.headers.get("referrer-policy"), "no-referrer", `${what}: Referrer-Policy`);
  assert.doesNotMatch(res.text, /FST_ERR/, `${what}: no framework error code`);
}

for (const dialect of await testDialects()) {
  describe(`router-level errors (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    test("a malformed percent-escape in a page path: 400, the app's error page and headers", async () => {
      const res = await app.client().get("/reset/AAAAAAAAAAAAAAAAAAAA%ZZ");
      assert.equal(res.status, 400);
      assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
      assertAppHeaders(res, "bad URL");
    });

    test("an over-long path parameter: 414, the app's page, and the path is not echoed", async () => {
      const res = await app.client().get(`/reset/${encodeURIComponent("<script>alert(1)</script>")}${"A".repeat(220)}`);
      assert.equal(res.status, 414);
      assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
      assertAppHeaders(res, "long param");
      assert.doesNotMatch(res.text, /<script>alert/);
    });

    test("the same under /api/: the JSON error shape", async () => {
      const res = await app.client().request("DELETE", "/api/v1/me/sessions/%ZZ");
      assert.equal(res.status, 400);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assertAppHeaders(res, "API bad URL");
      assert.equal(res.json<{ error: { code: string } }>().error.code, "invalid_input");
    });
  });
}
