import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Client, Response } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, mailSettled, mailsLike, PASSWORD, signUp } from "../helpers/flows.ts";

/**
 * Issue 18, items 1 and 2: the flows that mail a link to an address the requester typed are
 * no mail cannon. With the default limits, as deployed.
 */
const CONFIRM = /^Confirm your email address$/;
const CHANGE_LINK = /^Confirm your new email address$/;
const CHANGE_NOTICE = /change of your email address/i;

function assertLimited(res: Response, what: string): void {
  assert.equal(res.status, 429, what);
  assert.match(res.headers.get("retry-after") ?? "", /^[1-9]\d*$/, `${what}: Retry-After`);
}

for (const dialect of await testDialects()) {
  describe(`links to typed addresses are rate limited (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, env: { RATE_LIMITS: "on" } });
    });
    after(() => app.close());

    test("correcting the address, alternating two targets, shares the resend cooldown and daily budget", async () => {
      const { browser } = await signUp(app, "cannon@exmaple.com");
      const targets = ["victim-a@example.com", "victim-b@example.com"];
      let current = 1;
      /** Corrects to whichever target the account does not have now. */
      const fix = async () => {
        const res = await browser.post("/unconfirmed/email", { email: targets[1 - current]!, current_password: PASSWORD });
        if (res.status === 303) current = 1 - current;
        return res;
      };

      assert.equal((await fix()).status, 303, "the first correction after sign-up goes at once");
      for (let i = 1; i < 16; i++) assertLimited(await fix(), `burst ${i}`);
      await mailSettled(app);
      assert.equal(mailsLike(app, targets[0]!, CONFIRM).length, 1);
      assert.equal(mailsLike(app, targets[1]!, CONFIRM).length, 0);

      let sent = 1;
      for (let i = 1; i < 16; i++) {
        app.clock.advance(61_000);
        const res = await fix();
        if (res.status === 303) sent++;
        else assertLimited(res, `correction ${i} a minute later`);
      }
      assert.equal(sent, 5, "five confirmation emails a day, corrections and resends together");
      app.clock.advance(61_000);
      assertLimited(await browser.post("/resend"), "and the resend budget is spent as well");
      await mailSettled(app);
      assert.equal(mailsLike(app, targets[0]!, CONFIRM).length + mailsLike(app, targets[1]!, CONFIRM).length, 5);
    });

    test("email change: at most 5 a day per account and per target address, then 429 with Retry-After (pages and API)", async () => {
      const first = await confirmedUser(app, "changer-one@example.com");
      const target = "foreign-target@example.com";
      const change = (browser: Client, email: string) => browser.post("/profile/email", { email, current_password: PASSWORD });

      for (let i = 0; i < 5; i++) assert.equal((await change(first, target)).status, 303, `request ${i + 1}`);
      for (let i = 0; i < 5; i++) assertLimited(await change(first, target), `request ${i + 6}`);
      assertLimited(await change(first, "another-target@example.com"), "the account's budget is spent, whatever the target");
      await mailSettled(app);
      assert.equal(mailsLike(app, target, CHANGE_LINK).length, 5, "five links to the target");
      assert.equal(mailsLike(app, "changer-one@example.com", CHANGE_NOTICE).length, 5, "five notices to the requester");

      const second = await confirmedUser(app, "changer-two@example.com");
      const api = (email: string) =>
        second.request("POST", "/api/v1/me/email", { body: JSON.stringify({ email, current_password: PASSWORD }), headers: { "content-type": "application/json" } });
      const capped = await api(target);
      assertLimited(capped, "the target has had its five links, from any account");
      assert.equal(capped.json<{ error: { code: string } }>().error.code, "rate_limited");
      assert.equal((await api("own-new-address@example.com")).status, 202, "another target is fine");
      await mailSettled(app);
      assert.equal(mailsLike(app, target, CHANGE_LINK).length, 5);
    });
  });
}
