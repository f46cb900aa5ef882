import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, device, waitForMail } from "../helpers/flows.ts";

/** Issue 18 ("also noticed"): /forgot/sent tells the link's real lifetime, RESET_TOKEN_TTL. */
for (const dialect of await testDialects()) {
  describe(`the "check your inbox" page after /forgot (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, env: { RESET_TOKEN_TTL: "1800" } });
    });
    after(() => app.close());

    test("says how long the link works as RESET_TOKEN_TTL sets it, as the email does", async () => {
      await confirmedUser(app, "ttl@example.com");
      const browser = await device(app);
      const res = await browser.post("/forgot", { email: "ttl@example.com" });
      assert.equal(res.location, "/forgot/sent");
      const page = (await browser.get("/forgot/sent")).text;
      assert.match(page, /works for\s+30 minutes/);
      assert.doesNotMatch(page, /one hour/);
      assert.match((await waitForMail(app, "ttl@example.com", /reset your password/i)).text, /30 minutes/);
    });
  });
}
