import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmationCode, linkPath } from "../helpers/smtp-sink.ts";

const PASSWORD = "correct horse battery staple";

for (const dialect of await testDialects()) {
  describe(`sign-up → confirm flow (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    async function signUp(email: string) {
      const browser = app.client();
      await browser.get("/register");
      const res = await browser.post("/register", { email, password: PASSWORD, confirm: PASSWORD });
      return { browser, res };
    }

    test("registering answers 303 to /unconfirmed with a session cookie and mails a link and a code", async () => {
      const { browser, res } = await signUp("new.user@example.com");
      assert.equal(res.status, 303);
      assert.equal(res.location, "/unconfirmed");
      assert.ok(browser.session, "session cookie set");
      const mail = await app.sink!.waitFor("new.user@example.com");
      assert.match(mail.text, new RegExp(`${TEST_BASE_URL}/confirm/[A-Za-z0-9_-]{43}`));
      assert.match(mail.html, new RegExp(`${TEST_BASE_URL}/confirm/[A-Za-z0-9_-]{43}`));
      assert.match(mail.text, /[A-Z0-9]{4}-[A-Z0-9]{4}/);
      assert.match(mail.text, /expire/);
      const page = await browser.get("/unconfirmed");
      assert.equal(page.status, 200);
      assert.match(page.text, /new\.user@example\.com/);
    });

    test("GET on a confirmation link changes nothing; POST confirms without a session", async () => {
      const { browser } = await signUp("phone@example.com");
      const path = linkPath(await app.sink!.waitFor("phone@example.com"), TEST_BASE_URL);
      const phone = app.client();
      for (let i = 0; i < 3; i++) {
        const look = await phone.get(path);
        assert.equal(look.status, 200);
        assert.match(look.text, /<form method="post"/);
      }
      assert.equal((await browser.get("/profile")).location, "/unconfirmed", "still unconfirmed after GETs");
      const confirm = await phone.post(path);
      assert.equal(confirm.status, 303);
      assert.equal(confirm.location, "/confirmed");
      assert.equal(phone.session, undefined, "confirming creates no session");
      assert.equal((await browser.get("/profile")).status, 200);
      assert.equal((await phone.post(path)).status, 400, "a used link is dead");
    });

    test("the 8-character code confirms the signed-in user", async () => {
      const { browser } = await signUp("code@example.com");
      const code = confirmationCode(await app.sink!.waitFor("code@example.com"));
      const res = await browser.post("/confirm", { code: code.toLowerCase() });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/confirmed");
      assert.equal((await browser.get("/profile")).status, 200);
    });
  });
}
