import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, PASSWORD } from "../helpers/flows.ts";

/** Issue 18.9: context-specific words are refused as passwords (ASVS 6.2.11). */
for (const dialect of await testDialects()) {
  describe(`context-specific passwords (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, env: { BASE_URL: "http://accounts.acmecorp.example" } });
    });
    after(() => app.close());

    async function signUpWith(email: string, password: string) {
      const browser = app.client();
      await browser.get("/register");
      return browser.post("/register", { email, password, confirm: password });
    }

    test("sign-up refuses the product's name in any case, the host's labels and the address's local part (422)", async () => {
      for (const password of ["latchkey", "Latchkey", "LATCHKEY", "Latchkey2026!", "acmecorp", "AcmeCorp#1", "margarethe99"]) {
        const res = await signUpWith("margarethe@example.com", password);
        assert.equal(res.status, 422, password);
        assert.match(res.text, /too easy to guess/, `${password}: the field says why`);
      }
      assert.equal((await signUpWith("margarethe@example.com", "latchkey under the doormat")).status, 303, "a passphrase that contains one is fine");
    });

    test("change of password and the API refuse them too", async () => {
      const browser = await confirmedUser(app, "changer@example.com");
      const res = await browser.post("/profile/password", { current_password: PASSWORD, password: "LatchKey", confirm: "LatchKey" });
      assert.equal(res.status, 422);
      const api = await app.client().request("POST", "/api/v1/register", {
        body: JSON.stringify({ email: "api-context@example.com", password: "latchkey", confirm: "latchkey" }),
        headers: { "content-type": "application/json" },
      });
      assert.equal(api.status, 422);
      assert.ok(api.json<{ error: { fields: Record<string, string> } }>().error.fields.password);
    });
  });
}
