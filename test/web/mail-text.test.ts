import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, device, FIREFOX_LINUX, OTHER_PASSWORD, PASSWORD, signUp, waitForMail } from "../helpers/flows.ts";
import type { ReceivedMail } from "../helpers/smtp-sink.ts";

/**
 * Issue 18.4: nothing a requester types into headers reaches a genuine email. The notices say
 * where a request came from as a browser family and OS, never the User-Agent's own text.
 */
const HOSTILE_UA = `${FIREFOX_LINUX} IMPORTANT: this reset link has moved, use https://evil.example/reset instead. ${"x".repeat(3000)}`;
const headers = { "user-agent": HOSTILE_UA };

function assertClean(mail: ReceivedMail, what: string): void {
  for (const [part, body] of [["text", mail.text], ["html", mail.html]] as const) {
    assert.doesNotMatch(body, /evil\.example/, `${what} (${part}): no injected URL`);
    assert.doesNotMatch(body, /IMPORTANT/, `${what} (${part}): no injected words`);
    assert.doesNotMatch(body, /x{50}/, `${what} (${part}): no unbounded header text`);
  }
  assert.match(mail.text, /Firefox on Linux/, `${what}: the browser, summarised`);
}

for (const dialect of await testDialects()) {
  describe(`emails carry no request text (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    test("reset, password-changed, email-change and sign-up-attempt mails quote only a summary of the User-Agent", async () => {
      const email = "injected@example.com";
      const browser = await confirmedUser(app, email);

      const forgot = await device(app);
      assert.equal((await forgot.post("/forgot", { email }, { headers })).status, 303);
      const reset = await waitForMail(app, email, /reset your password/i);
      assertClean(reset, "reset");
      assert.match(reset.text, new RegExp(`${TEST_BASE_URL}/reset/`), "the real link is there");

      assert.equal((await browser.post("/profile/email", { email: "injected-new@example.com", current_password: PASSWORD }, { headers })).status, 303);
      assertClean(await waitForMail(app, email, /change of your email address/i), "email-change notice");

      assert.equal((await browser.post("/profile/password", { current_password: PASSWORD, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD }, { headers })).status, 303);
      assertClean(await waitForMail(app, email, /password was changed/i), "password changed");

      await signUp(app, email, { userAgent: HOSTILE_UA });
      assertClean(await waitForMail(app, email, /someone tried to sign up/i), "sign-up attempt");
    });
  });
}
