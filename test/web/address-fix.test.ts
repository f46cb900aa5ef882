import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import type { Client, Response } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import {
  canSignIn,
  confirmedUser,
  confirmLink,
  cookieShapes,
  device,
  FIREFOX_LINUX,
  headerNames,
  isSignedIn,
  mailSettled,
  mailsLike,
  OTHER_PASSWORD,
  PASSWORD,
  signIn,
  signUp,
  waitForMail,
  withoutCsrf,
} from "../helpers/flows.ts";
import { confirmationCode, linkPath } from "../helpers/smtp-sink.ts";

const ATTEMPT_SUBJECT = /someone tried to sign up/i;
const CONFIRM_LINK = /\/confirm\/[A-Za-z0-9_-]{43}/;
/** Past the resend cooldown (60 s). */
const COOLDOWN_MS = 61_000;
/** Past the owner's notice interval (10 min). */
const NOTICE_INTERVAL_MS = 10 * 60_000 + 1_000;

for (const dialect of await testDialects()) {
  describe(`fixing a mistyped address and enumeration-safe sign-up (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    function fix(browser: Client, email: string, current = PASSWORD): Promise<Response> {
      return browser.post("/unconfirmed/email", { email, current_password: current });
    }

    /** Mails to `address` that carry a confirmation link. */
    const confirmations = (address: string) => app.sink!.to(address).filter((m) => CONFIRM_LINK.test(m.text));

    // ---- "Wrong address?" ------------------------------------------------------------

    test("correcting the address with a wrong password is a 422 and changes nothing", async () => {
      const { browser } = await signUp(app, "typo@exmaple.com");
      const original = linkPath(await app.sink!.waitFor("typo@exmaple.com"), TEST_BASE_URL);
      const res = await fix(browser, "typo@example.com", "not the password I chose");
      assert.equal(res.status, 422);
      assert.match(res.text, /name="current_password"/, "the form is shown again");
      assert.equal((await fix(browser, "typo@example.com", "")).status, 422, "an empty password too");
      const page = await browser.get("/unconfirmed");
      assert.match(page.text, /typo@exmaple\.com/, "the address is unchanged");
      await mailSettled(app);
      assert.equal(app.sink!.to("typo@example.com").length, 0, "nothing went to the corrected address");
      assert.equal((await (await device(app)).get(original)).status, 200, "the original link still works");
    });

    test("correcting the address answers 303 → /unconfirmed, shows the new address, kills the old link and code, and mails a working confirmation", async () => {
      const { browser } = await signUp(app, "jane@gmial.com");
      const oldMail = await app.sink!.waitFor("jane@gmial.com");
      const oldLink = linkPath(oldMail, TEST_BASE_URL);
      const oldCode = confirmationCode(oldMail);

      const res = await fix(browser, "jane@gmail.com");
      assert.equal(res.status, 303);
      assert.equal(res.location, "/unconfirmed");
      const page = await browser.get("/unconfirmed");
      assert.equal(page.status, 200);
      assert.match(page.text, /jane@gmail\.com/, "the page shows the new address");
      assert.doesNotMatch(page.text, /jane@gmial\.com/, "and not the old one");

      const phone = await device(app);
      assert.equal((await phone.get(oldLink)).status, 400, "the old link is dead (GET)");
      assert.equal((await phone.post(oldLink)).status, 400, "the old link is dead (POST)");
      assert.equal((await browser.post("/confirm", { code: oldCode })).status, 400, "the old code is dead");
      assert.equal((await browser.get("/profile")).location, "/unconfirmed");

      const fresh = await app.sink!.waitFor("jane@gmail.com");
      assert.match(fresh.text, new RegExp(`${TEST_BASE_URL}/confirm/[A-Za-z0-9_-]{43}`));
      await confirmLink(app, linkPath(fresh, TEST_BASE_URL));
      assert.equal((await browser.get("/profile")).status, 200, "confirmed");
      assert.ok(await canSignIn(app, "jane@gmail.com", PASSWORD), "the corrected address signs in");
      assert.equal(await canSignIn(app, "jane@gmial.com", PASSWORD), false, "the mistyped one does not");
    });

    test("correcting to an address another account has looks the same, mails it no confirmation, and tells its owner", async () => {
      const owner = "owner-fix@example.com";
      await confirmedUser(app, owner);
      const { browser: control } = await signUp(app, "ctrl@exmaple.com");
      const { browser: typo } = await signUp(app, "clash@exmaple.com");
      await app.sink!.waitFor("clash@exmaple.com");
      app.clock.advance(COOLDOWN_MS);

      const free = await fix(control, "ctrl-fixed@example.com");
      const taken = await fix(typo, "Owner-Fix@example.com");
      assert.equal(taken.status, 303);
      assert.equal(taken.location, "/unconfirmed");
      assert.equal(taken.status, free.status);
      assert.equal(taken.location, free.location);
      assert.deepEqual(headerNames(taken), headerNames(free), "same header names");
      assert.deepEqual(cookieShapes(taken), cookieShapes(free), "same cookies");
      assert.equal(taken.text, free.text, "same body");

      const page = await typo.get("/unconfirmed");
      assert.equal(page.status, 200);
      assert.match(page.text, /Owner-Fix@example\.com/, "the page shows the address as typed");
      const controlPage = await control.get("/unconfirmed");
      assert.equal(
        withoutCsrf(page.text).replaceAll("Owner-Fix@example.com", "X"),
        withoutCsrf(controlPage.text).replaceAll("ctrl-fixed@example.com", "X"),
        "the inbox page gives nothing away",
      );

      const notice = await waitForMail(app, owner, ATTEMPT_SUBJECT);
      assert.doesNotMatch(notice.text, CONFIRM_LINK, "the owner's notice carries no confirmation link");
      await app.sink!.waitFor("ctrl-fixed@example.com");
      await mailSettled(app);
      assert.equal(confirmations(owner).length, 1, "no confirmation beyond the owner's own sign-up one");
      assert.ok(await canSignIn(app, owner, PASSWORD), "the owner's account is untouched");
      assert.equal((await typo.get("/profile")).location, "/unconfirmed", "the typo browser reaches nothing of the owner's account");
    });

    test("a placeholder session corrected to a free address gets a real confirmation that creates a new account with the sign-up password", async () => {
      const owner = "owner-placeholder@example.com";
      await confirmedUser(app, owner);
      app.clock.advance(COOLDOWN_MS);
      const { browser: placeholder } = await signUp(app, owner, { password: OTHER_PASSWORD });
      await waitForMail(app, owner, ATTEMPT_SUBJECT);

      assert.equal((await fix(placeholder, "second-account@example.com", PASSWORD)).status, 422, "the owner's password is not this session's");
      const res = await fix(placeholder, "second-account@example.com", OTHER_PASSWORD);
      assert.equal(res.status, 303);
      assert.equal(res.location, "/unconfirmed");
      assert.match((await placeholder.get("/unconfirmed")).text, /second-account@example\.com/);

      const mail = await app.sink!.waitFor("second-account@example.com");
      await confirmLink(app, linkPath(mail, TEST_BASE_URL));
      assert.equal((await placeholder.get("/profile")).status, 200, "the browser now holds the new, confirmed account");
      const { res: login } = await signIn(app, "second-account@example.com", OTHER_PASSWORD, { next: "/profile" });
      assert.equal(login.status, 303);
      assert.equal(login.location, "/profile", "the new account signs in with the password typed at sign-up, confirmed");
      assert.ok(await canSignIn(app, owner, PASSWORD), "the owner keeps its password");
      assert.equal(await canSignIn(app, owner, OTHER_PASSWORD), false, "and the sign-up password never reached it");
      assert.doesNotMatch((await placeholder.get("/profile")).text, new RegExp(owner.replace(/[.]/g, "\\.")), "and the new account is not the owner's");
    });

    // ---- enumeration-safe registration -------------------------------------------------

    test("registering a taken address gives the response a fresh registration gives, header by header", async () => {
      const owner = "registered@example.com";
      await confirmedUser(app, owner);
      app.clock.advance(COOLDOWN_MS);

      const fresh = await signUp(app, "brand-new@example.com");
      const dup = await signUp(app, "Registered@Example.com");
      assert.equal(dup.res.status, 303);
      assert.equal(dup.res.status, fresh.res.status, "status");
      assert.equal(dup.res.location, "/unconfirmed");
      assert.equal(dup.res.location, fresh.res.location, "Location");
      assert.deepEqual(headerNames(dup.res), headerNames(fresh.res), "header names");
      for (const h of fresh.res.headers.keys()) {
        if (h === "date" || h === "set-cookie") continue;
        assert.equal(dup.res.headers.get(h), fresh.res.headers.get(h), `header ${h}`);
      }
      assert.deepEqual(cookieShapes(dup.res), cookieShapes(fresh.res), "Set-Cookie names and attributes");
      assert.ok(dup.browser.session, "a session cookie is set");
      assert.equal(dup.browser.session!.length, fresh.browser.session!.length, "of the same shape");
      assert.equal(dup.res.text, fresh.res.text, "body");
      assert.equal((await dup.browser.get("/unconfirmed")).status, 200);
    });

    test("registering a taken address mails its owner a notice with ways to sign in and reset, and changes nothing", async () => {
      const owner = "told@example.com";
      await confirmedUser(app, owner);
      app.clock.advance(COOLDOWN_MS);
      await signUp(app, owner, { password: OTHER_PASSWORD, userAgent: FIREFOX_LINUX });
      const notice = await waitForMail(app, owner, ATTEMPT_SUBJECT);
      assert.match(notice.text, new RegExp(`${TEST_BASE_URL}/login`), "a way to sign in");
      assert.match(notice.text, new RegExp(`${TEST_BASE_URL}/forgot`), "a way to reset");
      assert.match(notice.html, new RegExp(`${TEST_BASE_URL}/forgot`));
      assert.match(notice.text, /Firefox on Linux/, "says from which browser");
      assert.doesNotMatch(notice.text, CONFIRM_LINK);
      assert.ok(await canSignIn(app, owner, PASSWORD), "the password is unchanged");
      assert.equal(await canSignIn(app, owner, OTHER_PASSWORD), false);
    });

    test("resend from a placeholder session has its own 60 s cooldown and re-sends the owner's notice at most once per 10 minutes", async () => {
      const owner = "resend-owner@example.com";
      await confirmedUser(app, owner);
      const { browser: placeholder } = await signUp(app, owner, { password: OTHER_PASSWORD });
      await waitForMail(app, owner, ATTEMPT_SUBJECT);

      const early = await placeholder.post("/resend");
      assert.equal(early.status, 429, "within 60 s of the sign-up, like a new account's");
      assert.match(early.headers.get("retry-after") ?? "", /^\d+$/);

      app.clock.advance(COOLDOWN_MS);
      const res = await placeholder.post("/resend");
      assert.equal(res.status, 303, "the same answer a new account gets");
      assert.equal(res.location, "/unconfirmed");
      assert.equal((await placeholder.post("/resend")).status, 429, "and the cooldown starts again");
      await mailSettled(app);
      assert.equal(mailsLike(app, owner, ATTEMPT_SUBJECT).length, 1, "but no second notice within 10 minutes");

      app.clock.advance(NOTICE_INTERVAL_MS);
      assert.equal((await placeholder.post("/resend")).status, 303);
      await waitForMail(app, owner, ATTEMPT_SUBJECT, 2);
      await mailSettled(app);
      assert.equal(mailsLike(app, owner, ATTEMPT_SUBJECT).length, 2, "after 10 minutes, one more");
      assert.equal(confirmations(owner).length, 1, "the owner never gets a new confirmation link");
    });

    test("a placeholder session reaches nothing but /unconfirmed", async () => {
      const owner = "fortress@example.com";
      const ownerBrowser = await confirmedUser(app, owner);
      app.clock.advance(COOLDOWN_MS);
      const { browser: placeholder } = await signUp(app, "Fortress@example.com", { password: OTHER_PASSWORD });

      for (const path of ["/profile", "/sessions"]) {
        const res = await placeholder.get(path);
        assert.equal(res.status, 303, path);
        assert.equal(res.location, "/unconfirmed", path);
      }
      const ownRow = /<tr data-session="([^"]+)"/.exec((await ownerBrowser.get("/sessions")).text)![1]!;
      const attempts: Array<[string, Record<string, string>]> = [
        ["/profile/password", { current_password: OTHER_PASSWORD, password: "taken over passphrase", confirm: "taken over passphrase" }],
        ["/profile/email", { email: "thief@example.com", current_password: OTHER_PASSWORD }],
        [`/sessions/${ownRow}/revoke`, {}],
      ];
      for (const [path, fields] of attempts) {
        const res = await placeholder.post(path, fields);
        assert.equal(res.status, 303, path);
        assert.equal(res.location, "/unconfirmed", path);
      }
      const ownerRows = (await ownerBrowser.get("/sessions")).text.match(/<tr data-session=/g) ?? [];
      assert.equal(ownerRows.length, 1, "the owner's devices page lists only the owner's own session, not the placeholder");
      const home = (await placeholder.get("/")).text;
      assert.match(home, /Fortress@example\.com/, "the home page shows the address as typed");
      assert.doesNotMatch(home, /fortress@example\.com/, "never the stored address of the owner's account");
      assert.ok(await isSignedIn(ownerBrowser), "the owner's session survives");
      assert.ok(await canSignIn(app, owner, PASSWORD), "the owner's password is unchanged");
      assert.equal(await canSignIn(app, owner, "taken over passphrase"), false);
      await mailSettled(app);
      assert.equal(app.sink!.to("thief@example.com").length, 0);
    });
  });
}
