import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import type { Client, Response } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import {
  canSignIn,
  confirmedUser,
  cookieShapes,
  device,
  headerNames,
  isSignedIn,
  mailSettled,
  mailsLike,
  OTHER_PASSWORD,
  PASSWORD,
  replaySession,
  signIn,
  signUp,
  waitForMail,
} from "../helpers/flows.ts";
import { linkPath } from "../helpers/smtp-sink.ts";

const RESET_SUBJECT = /reset your password/i;
const CHANGED_SUBJECT = /password was changed/i;
const CHANGE_LINK_SUBJECT = /confirm your new email/i;
const CHANGE_NOTICE_SUBJECT = /change of your email address/i;
const FORGOT_URL = new RegExp(`${TEST_BASE_URL}/forgot`);

for (const dialect of await testDialects()) {
  describe(`profile: change password and email (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    function changePassword(browser: Client, current: string, password: string, confirm = password): Promise<Response> {
      return browser.post("/profile/password", { current_password: current, password, confirm });
    }

    function changeEmail(browser: Client, email: string, current = PASSWORD): Promise<Response> {
      return browser.post("/profile/email", { email, current_password: current });
    }

    /** Asks for a reset of `email`'s password and returns the link's path. */
    async function resetLink(email: string): Promise<string> {
      const count = mailsLike(app, email, RESET_SUBJECT).length + 1;
      const b = await device(app);
      assert.equal((await b.post("/forgot", { email })).status, 303);
      return linkPath(await waitForMail(app, email, RESET_SUBJECT, count), TEST_BASE_URL, "/reset/");
    }

    /** The email-change link mailed to `address` (the `count`-th). */
    async function changeLink(address: string, count = 1): Promise<string> {
      return linkPath(await waitForMail(app, address, CHANGE_LINK_SUBJECT, count), TEST_BASE_URL);
    }

    // ---- change password -------------------------------------------------------------

    test("changing the password with a wrong current password is a 422 and changes nothing", async () => {
      const browser = await confirmedUser(app, "wrongcur@example.com");
      const { browser: other } = await signIn(app, "wrongcur@example.com");
      const session = browser.session;
      const res = await changePassword(browser, "not my password at all", OTHER_PASSWORD);
      assert.equal(res.status, 422);
      assert.match(res.text, /name="current_password"/, "the form is shown again");
      assert.equal(browser.session, session, "the session is not rotated");
      assert.ok(await isSignedIn(browser));
      assert.ok(await isSignedIn(other), "other sessions survive");
      assert.ok(await canSignIn(app, "wrongcur@example.com", PASSWORD), "the old password still works");
      assert.equal(await canSignIn(app, "wrongcur@example.com", OTHER_PASSWORD), false, "the new one was not set");
      const empty = await changePassword(browser, "", OTHER_PASSWORD);
      assert.equal(empty.status, 422, "an empty current password too");
      await mailSettled(app);
      assert.equal(mailsLike(app, "wrongcur@example.com", CHANGED_SUBJECT).length, 0, "no notice");
    });

    test("a new password is checked by the sign-up policy (422) and nothing changes", async () => {
      const browser = await confirmedUser(app, "policy@example.com");
      for (const [why, password, confirm] of [
        ["common", "password1", "password1"],
        ["too short", "short", "short"],
        ["the email address", "policy@example.com", "policy@example.com"],
        ["mismatched", OTHER_PASSWORD, `${OTHER_PASSWORD}.`],
      ] as const) {
        const res = await changePassword(browser, PASSWORD, password, confirm);
        assert.equal(res.status, 422, why);
      }
      assert.ok(await canSignIn(app, "policy@example.com", PASSWORD), "the old password still works");
      assert.ok(await isSignedIn(browser));
    });

    test("changing the password revokes other sessions, rotates this one, keeps it signed in, kills reset links and mails a notice", async () => {
      const browser = await confirmedUser(app, "rotate@example.com");
      const { browser: other } = await signIn(app, "rotate@example.com");
      const pendingReset = await resetLink("rotate@example.com");
      const oldSession = browser.session!;
      assert.ok(oldSession);

      const res = await changePassword(browser, PASSWORD, OTHER_PASSWORD);
      assert.equal(res.status, 303);
      assert.match(res.location ?? "", /^\/profile(\?|$)/);

      assert.ok(browser.session && browser.session !== oldSession, "a new session id was set");
      assert.ok(await isSignedIn(browser), "this browser stays signed in");
      assert.equal(await isSignedIn(replaySession(app, oldSession)), false, "the old session id no longer works");
      assert.equal(await isSignedIn(other), false, "the other browser was signed out");

      assert.equal(await canSignIn(app, "rotate@example.com", PASSWORD), false, "old password refused");
      assert.ok(await canSignIn(app, "rotate@example.com", OTHER_PASSWORD), "new password accepted");

      const phone = await device(app);
      assert.equal((await phone.get(pendingReset)).status, 400, "the outstanding reset link is dead");
      assert.equal((await phone.post(pendingReset, { password: "sneaky replacement phrase", confirm: "sneaky replacement phrase" })).status, 400);

      const notice = await waitForMail(app, "rotate@example.com", CHANGED_SUBJECT);
      assert.match(notice.text, FORGOT_URL, "the notice says what to do if it wasn't you");
      assert.match(notice.html, FORGOT_URL);
    });

    // ---- change email ------------------------------------------------------------------

    test("changing the email with a wrong current password is a 422; nothing is mailed or pending", async () => {
      const browser = await confirmedUser(app, "stay@example.com");
      const res = await changeEmail(browser, "stay-new@example.com", "not my password at all");
      assert.equal(res.status, 422);
      assert.equal((await changeEmail(browser, "stay-new@example.com", "")).status, 422);
      await mailSettled(app);
      assert.equal(app.sink!.to("stay-new@example.com").length, 0, "no link to the new address");
      assert.equal(mailsLike(app, "stay@example.com", CHANGE_NOTICE_SUBJECT).length, 0, "no notice to the old one");
      assert.doesNotMatch((await browser.get("/profile")).text, /stay-new@example\.com/, "no pending change");
    });

    test("changing the email mails a link to the new address and a notice with a /forgot link to the old one", async () => {
      const browser = await confirmedUser(app, "old-addr@example.com");
      const res = await changeEmail(browser, "new-addr@example.com");
      assert.equal(res.status, 303);
      assert.match(res.location ?? "", /^\/profile(\?|$)/);
      const link = await waitForMail(app, "new-addr@example.com", CHANGE_LINK_SUBJECT);
      assert.match(link.text, new RegExp(`${TEST_BASE_URL}/confirm/[A-Za-z0-9_-]{43}`));
      assert.match(link.html, new RegExp(`${TEST_BASE_URL}/confirm/[A-Za-z0-9_-]{43}`));
      const notice = await waitForMail(app, "old-addr@example.com", CHANGE_NOTICE_SUBJECT);
      assert.match(notice.text, FORGOT_URL, "text: 'this wasn't me' leads to a reset");
      assert.match(notice.html, FORGOT_URL, "HTML: 'this wasn't me' leads to a reset");
      assert.match(notice.text, /new-addr@example\.com/, "says what was asked");
      assert.match(notice.text, /127\.0\.0\.1/, "and from which IP");
      assert.doesNotMatch(notice.text, /\/confirm\//, "the old address never gets the link");
    });

    test("the login address changes only when the new link is POSTed; GETting it changes nothing", async () => {
      const browser = await confirmedUser(app, "before@example.com");
      assert.equal((await changeEmail(browser, "after@example.com")).status, 303);
      const waiting = (await browser.get("/profile")).text;
      assert.match(waiting, /<dd>before@example\.com<\/dd>/, "the profile still shows the old address");
      assert.match(waiting, /Change requested to<\/dt><dd>after@example\.com/, "and the pending one");
      const path = await changeLink("after@example.com");
      const scanner = app.client();
      for (let i = 0; i < 3; i++) assert.equal((await scanner.get(path)).status, 200);
      assert.ok(await canSignIn(app, "before@example.com", PASSWORD), "still the old address after GETs");
      assert.equal(await canSignIn(app, "after@example.com", PASSWORD), false, "not yet the new one");

      const res = await (await device(app)).post(path);
      assert.equal(res.status, 303);
      assert.equal(res.location, "/confirmed");
      assert.equal(await canSignIn(app, "before@example.com", PASSWORD), false, "the old address no longer signs in");
      assert.ok(await canSignIn(app, "after@example.com", PASSWORD), "the new address signs in");
      const changed = (await browser.get("/profile")).text;
      assert.match(changed, /<dd>after@example\.com<\/dd>/);
      assert.doesNotMatch(changed, /Change requested to/, "nothing pending any more");
      assert.equal((await (await device(app)).post(path)).status, 400, "the link works once");
    });

    test("the last change request wins: only the second link works, the first is 400", async () => {
      const browser = await confirmedUser(app, "fickle@example.com");
      assert.equal((await changeEmail(browser, "fickle-one@example.com")).status, 303);
      const first = await changeLink("fickle-one@example.com");
      assert.equal((await changeEmail(browser, "fickle-two@example.com")).status, 303);
      const second = await changeLink("fickle-two@example.com");
      const phone = await device(app);
      assert.equal((await phone.get(first)).status, 400, "GET of the first link");
      assert.equal((await phone.post(first)).status, 400, "POST of the first link");
      assert.ok(await canSignIn(app, "fickle@example.com", PASSWORD), "the first link changed nothing");
      assert.equal((await phone.post(second)).status, 303);
      assert.ok(await canSignIn(app, "fickle-two@example.com", PASSWORD));
      assert.equal(await canSignIn(app, "fickle-one@example.com", PASSWORD), false);
    });

    test("two concurrent change requests leave exactly one working link, and it sets its own address", async () => {
      const browser = await confirmedUser(app, "racer@example.com");
      const [a, b] = await Promise.all([changeEmail(browser, "racer-a@example.com"), changeEmail(browser, "racer-b@example.com")]);
      assert.equal(a.status, 303);
      assert.equal(b.status, 303);
      const links = { "racer-a@example.com": await changeLink("racer-a@example.com"), "racer-b@example.com": await changeLink("racer-b@example.com") };
      const phone = await device(app);
      const results = await Promise.all(Object.values(links).map((p) => phone.post(p)));
      const won = Object.keys(links).filter((_, i) => results[i]!.status === 303);
      assert.equal(won.length, 1, `statuses ${results.map((r) => r.status).join(",")}`);
      assert.ok(await canSignIn(app, won[0]!, PASSWORD), "the winning link set its own address");
      assert.equal(await canSignIn(app, "racer@example.com", PASSWORD), false);
    });

    test("a change to an address another account has answers the same 303 and mails nothing to that address", async () => {
      const taker = "taken-owner@example.com";
      await confirmedUser(app, taker);
      const mailsBefore = app.sink!.to(taker).length;
      const free = await confirmedUser(app, "wants-free@example.com");
      const grabby = await confirmedUser(app, "wants-taken@example.com");

      const ok = await changeEmail(free, "nobody-has-this@example.com");
      const taken = await changeEmail(grabby, "Taken-Owner@example.com");
      assert.equal(taken.status, ok.status);
      assert.equal(taken.location, ok.location);
      assert.deepEqual(headerNames(taken), headerNames(ok), "same header names");
      assert.deepEqual(cookieShapes(taken), cookieShapes(ok), "same cookies");
      assert.equal(taken.text, ok.text, "same body");

      await app.sink!.waitFor("nobody-has-this@example.com");
      await mailSettled(app);
      assert.equal(app.sink!.to(taker).length, mailsBefore, "nothing is sent to the taken address");
      assert.ok(await canSignIn(app, taker, PASSWORD), "the owner's account is untouched");
      assert.ok(await canSignIn(app, "wants-taken@example.com", PASSWORD), "the requester keeps its address");
    });

    test("an address taken by another account before the link is confirmed makes the link 400 and nothing changes", async () => {
      const browser = await confirmedUser(app, "slow@example.com");
      assert.equal((await changeEmail(browser, "contested@example.com")).status, 303);
      const path = await changeLink("contested@example.com");
      const { browser: squatter } = await signUp(app, "contested@example.com", { password: OTHER_PASSWORD });

      const phone = await device(app);
      assert.equal((await phone.get(path)).status, 400, "opening the link already says it no longer works");
      const res = await phone.post(path);
      assert.equal(res.status, 400);
      assert.ok(await canSignIn(app, "slow@example.com", PASSWORD), "the address is unchanged");
      const { res: theirs } = await signIn(app, "contested@example.com", OTHER_PASSWORD);
      assert.equal(theirs.status, 303, "the new account keeps its address");
      assert.equal(theirs.location, "/unconfirmed");
      assert.equal(await canSignIn(app, "contested@example.com", PASSWORD), false, "and is not merged with the old one");
      assert.equal((await squatter.get("/unconfirmed")).status, 200);
    });

    test("a password reset cancels a pending email change: its link is 400 afterwards", async () => {
      const browser = await confirmedUser(app, "hijacked@example.com");
      assert.equal((await changeEmail(browser, "attacker-box@example.com")).status, 303);
      const path = await changeLink("attacker-box@example.com");
      const reset = await resetLink("hijacked@example.com");
      assert.equal((await (await device(app)).post(reset, { password: OTHER_PASSWORD, confirm: OTHER_PASSWORD })).status, 303);

      const phone = await device(app);
      assert.equal((await phone.get(path)).status, 400, "GET");
      assert.equal((await phone.post(path)).status, 400, "POST");
      assert.ok(await canSignIn(app, "hijacked@example.com", OTHER_PASSWORD), "the account keeps its address");
      assert.equal(await canSignIn(app, "attacker-box@example.com", OTHER_PASSWORD), false);
      const { browser: again } = await signIn(app, "hijacked@example.com", OTHER_PASSWORD);
      assert.doesNotMatch((await again.get("/profile")).text, /attacker-box@example\.com/, "no change is pending");
    });

    test("after the change, tokens bound to the old address are dead and the old address gets no reset mail", async () => {
      const browser = await confirmedUser(app, "leaving@example.com");
      const oldReset = await resetLink("leaving@example.com");
      assert.equal((await changeEmail(browser, "arrived@example.com")).status, 303);
      assert.equal((await (await device(app)).post(await changeLink("arrived@example.com"))).status, 303);

      const phone = await device(app);
      assert.equal((await phone.get(oldReset)).status, 400, "GET of the reset link sent to the old address");
      assert.equal((await phone.post(oldReset, { password: OTHER_PASSWORD, confirm: OTHER_PASSWORD })).status, 400, "POST");
      assert.ok(await canSignIn(app, "arrived@example.com", PASSWORD), "the password is unchanged");

      const resetsBefore = mailsLike(app, "leaving@example.com", RESET_SUBJECT).length;
      assert.equal((await phone.post("/forgot", { email: "leaving@example.com" })).status, 303);
      await mailSettled(app);
      assert.equal(mailsLike(app, "leaving@example.com", RESET_SUBJECT).length, resetsBefore, "the old address is not the account's any more");
      const fresh = await resetLink("arrived@example.com");
      assert.equal((await phone.get(fresh)).status, 200, "the new address gets reset links");
    });

    test("the profile routes need a confirmed session", async () => {
      const anonymous = await device(app);
      const res = await anonymous.post("/profile/password", { current_password: PASSWORD, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD });
      assert.equal(res.status, 303);
      assert.match(res.location ?? "", /^\/login\?next=/);
      const { browser: unconfirmed } = await signUp(app, "not-yet@example.com");
      const email = await changeEmail(unconfirmed, "elsewhere@example.com");
      assert.equal(email.status, 303);
      assert.equal(email.location, "/unconfirmed");
      await mailSettled(app);
      assert.equal(app.sink!.to("elsewhere@example.com").length, 0);
    });
  });
}
