import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Client, Response } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, mailSettled, mailsLike, OTHER_PASSWORD, signUp, waitForMail } from "../helpers/flows.ts";

/**
 * Issue 11: the "someone tried to sign up with your address" notice. The first attempt always
 * mails the owner; later ones at most once per 10 minutes; and it never touches the owner's own
 * resend cooldown or daily cap.
 */
const NOTICE = /someone tried to sign up/i;
const CONFIRM = /^Confirm your email address$/;
const COOLDOWN_MS = 61_000;

for (const dialect of await testDialects()) {
  describe(`the notice to the owner of a taken address (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    function api(client: Client, path: string, body: unknown): Promise<Response> {
      return client.request("POST", `/api/v1${path}`, { body: JSON.stringify(body), headers: { "content-type": "application/json" } });
    }

    test("(a) sign up and confirm, then at once a second sign-up with the address → the owner is mailed", async () => {
      const owner = "quick-owner@example.com";
      await confirmedUser(app, owner);
      await signUp(app, owner, { password: OTHER_PASSWORD });
      await waitForMail(app, owner, NOTICE);
      // Any case of the same address is the same account.
      const other = "case-owner@example.com";
      await confirmedUser(app, other);
      await signUp(app, "CASE-Owner@example.com", { password: OTHER_PASSWORD });
      await waitForMail(app, other, NOTICE);
    });

    test("(b) a sign-up with an unconfirmed account's address does not stop the owner's resend", async () => {
      const owner = "pending-owner@example.com";
      const { browser } = await signUp(app, owner);
      await waitForMail(app, owner, CONFIRM);
      app.clock.advance(COOLDOWN_MS);

      await signUp(app, owner, { password: OTHER_PASSWORD });
      const res = await browser.post("/resend");
      assert.equal(res.status, 303, "the owner's resend goes through at once");
      assert.equal(res.location, "/unconfirmed");
      await waitForMail(app, owner, CONFIRM, 2);
      await waitForMail(app, owner, NOTICE);

      // And the other way round: the owner's resend never suppresses a later notice's first send.
      const second = "pending-second@example.com";
      const { browser: b2 } = await signUp(app, second);
      app.clock.advance(COOLDOWN_MS);
      assert.equal((await b2.post("/resend")).status, 303);
      await signUp(app, second, { password: OTHER_PASSWORD });
      await waitForMail(app, second, NOTICE);
    });

    test("(c) five sign-ups with one address within 10 minutes → exactly one notice; the next after 10 minutes mails again", async () => {
      const owner = "bombed-owner@example.com";
      await confirmedUser(app, owner);
      for (let i = 0; i < 5; i++) {
        await signUp(app, owner, { password: OTHER_PASSWORD });
        app.clock.advance(100_000);
      }
      await waitForMail(app, owner, NOTICE);
      await mailSettled(app);
      assert.equal(mailsLike(app, owner, NOTICE).length, 1);

      app.clock.advance(10 * 60_000);
      await signUp(app, owner, { password: OTHER_PASSWORD });
      await waitForMail(app, owner, NOTICE, 2);
    });

    test("(d) the API twin: a notice at once, one per 10 minutes, and the owner's resend unaffected", async () => {
      const owner = "api-owner@example.com";
      const ownerClient = app.client();
      assert.equal((await api(ownerClient, "/register", { email: owner, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD })).status, 201);
      await waitForMail(app, owner, CONFIRM);
      app.clock.advance(COOLDOWN_MS);

      for (let i = 0; i < 5; i++) {
        const res = await api(app.client(), "/register", { email: owner.toUpperCase(), password: OTHER_PASSWORD, confirm: OTHER_PASSWORD });
        assert.equal(res.status, 201, "the same answer as a new sign-up");
      }
      await waitForMail(app, owner, NOTICE);
      const resend = await api(ownerClient, "/resend", {});
      assert.equal(resend.status, 202, "the owner's resend is not refused");
      await waitForMail(app, owner, CONFIRM, 2);
      await mailSettled(app);
      assert.equal(mailsLike(app, owner, NOTICE).length, 1, "five attempts, one notice");
    });
  });

  describe(`the notice and the owner's daily resend cap, with the default rate limits (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, env: { RATE_LIMITS: "on" } });
    });
    after(() => app.close());

    test("(b′) a placeholder session's resends never use up the owner's cooldown or daily resends", async () => {
      const owner = "daily-owner@example.com";
      const { browser } = await signUp(app, owner);
      const { browser: attacker } = await signUp(app, owner, { password: OTHER_PASSWORD });
      for (let i = 0; i < 5; i++) {
        app.clock.advance(COOLDOWN_MS);
        assert.equal((await attacker.post("/resend")).status, 303, `the attempt's resend ${i + 1}`);
        assert.equal((await browser.post("/resend")).status, 303, `the owner's resend ${i + 1} of the day`);
      }
      await waitForMail(app, owner, CONFIRM, 6);
      app.clock.advance(COOLDOWN_MS);
      assert.equal((await browser.post("/resend")).status, 429, "the owner's own sixth is over the cap");
    });
  });
}
