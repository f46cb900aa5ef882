import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { testDialects } from "../helpers/databases.ts";
import { isSignedIn, PASSWORD, replaySession, signUp, waitForMail } from "../helpers/flows.ts";
import { confirmationCode } from "../helpers/smtp-sink.ts";

/** Issue 18.6: confirming by code (unconfirmed → confirmed) gives the session a new id. */
const CONFIRM = /^Confirm your email address$/;

for (const dialect of await testDialects()) {
  describe(`confirming by code rotates the session id (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    test("POST /confirm with the right code sets a new session cookie; a copy of the old one opens nothing", async () => {
      const email = "rotate-page@example.com";
      const { browser } = await signUp(app, email);
      const before = browser.session!;
      const res = await browser.post("/confirm", { code: confirmationCode(await waitForMail(app, email, CONFIRM)) });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/confirmed");
      assert.ok(browser.session, "a session cookie");
      assert.notEqual(browser.session, before, "with a new value");
      assert.ok(await isSignedIn(browser), "the new one is signed in and confirmed");
      assert.equal(await isSignedIn(replaySession(app, before)), false, "the pre-confirmation copy opens nothing");
    });

    test("the API twin: POST /api/v1/confirm with the code rotates the id too", async () => {
      const email = "rotate-api@example.com";
      const client = app.client();
      const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { "content-type": "application/json" } });
      assert.equal((await client.request("POST", "/api/v1/register", json({ email, password: PASSWORD, confirm: PASSWORD }))).status, 201);
      const before = client.session!;
      const res = await client.request("POST", "/api/v1/confirm", json({ code: confirmationCode(await waitForMail(app, email, CONFIRM)) }));
      assert.equal(res.status, 200);
      assert.notEqual(client.session, before, "a new session cookie");
      assert.equal((await client.request("GET", "/api/v1/me")).status, 200);
      assert.equal((await replaySession(app, before).request("GET", "/api/v1/me")).status, 401, "the old id is dead");
    });
  });
}
