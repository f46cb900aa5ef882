import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseSetCookie } from "cookie";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import type { Client, Response } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import {
  canSignIn,
  confirmedUser,
  confirmLink,
  device,
  headerNames,
  isSignedIn,
  mailSettled,
  mailsLike,
  OTHER_PASSWORD,
  PASSWORD,
  SAFARI_IPHONE,
  signIn,
  signUp,
  waitForMail,
} from "../helpers/flows.ts";
import { linkPath } from "../helpers/smtp-sink.ts";

const RESET_SUBJECT = /reset your password/i;
const CHANGED_SUBJECT = /password was changed/i;
const RESET_LINK = new RegExp(`${TEST_BASE_URL}/reset/[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])`);

for (const dialect of await testDialects()) {
  describe(`password reset (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    async function forgot(email: string, browser?: Client): Promise<Response> {
      const b = browser ?? app.client();
      await b.get("/forgot");
      return b.post("/forgot", { email });
    }

    /** Asks for a reset and returns the path of the `count`-th reset link mailed to `email`. */
    async function resetLink(email: string, count = mailsLike(app, email, RESET_SUBJECT).length + 1): Promise<string> {
      const res = await forgot(email);
      assert.equal(res.status, 303);
      return linkPath(await waitForMail(app, email, RESET_SUBJECT, count), TEST_BASE_URL, "/reset/");
    }

    async function postReset(path: string, password: string, confirm = password, browser?: Client): Promise<Response> {
      return (browser ?? (await device(app))).post(path, { password, confirm });
    }

    test("POST /forgot answers the same 303 → /forgot/sent for known, unknown and unconfirmed addresses", async () => {
      await confirmedUser(app, "known@example.com");
      await signUp(app, "unconfirmed@example.com");
      await app.sink!.waitFor("unconfirmed@example.com");

      const known = await forgot("known@example.com");
      const unknown = await forgot("nobody-here@example.com");
      const unconfirmed = await forgot("unconfirmed@example.com");
      for (const [name, res] of Object.entries({ known, unknown, unconfirmed })) {
        assert.equal(res.status, 303, `${name}: status`);
        assert.equal(res.location, "/forgot/sent", `${name}: Location`);
        assert.deepEqual(headerNames(res), headerNames(known), `${name}: same header names`);
        assert.equal(res.text, known.text, `${name}: same body`);
        for (const h of res.headers.keys()) {
          if (h === "date" || h === "set-cookie") continue;
          assert.equal(res.headers.get(h), known.headers.get(h), `${name}: same ${h}`);
        }
      }
      const sent = await app.client().get("/forgot/sent");
      assert.equal(sent.status, 200);
    });

    test("a known address is mailed a reset link with a 256-bit token; an unknown address gets no mail", async () => {
      await confirmedUser(app, "linkme@example.com");
      await forgot("linkme@example.com");
      await forgot("no-account@example.com");
      const mail = await waitForMail(app, "linkme@example.com", RESET_SUBJECT);
      assert.match(mail.text, RESET_LINK, "text part carries the link");
      assert.match(mail.html, RESET_LINK, "HTML part carries the same kind of link");
      const path = linkPath(mail, TEST_BASE_URL, "/reset/");
      assert.ok(mail.html.includes(`${TEST_BASE_URL}${path}`), "HTML part carries the same link");
      assert.match(mail.raw, /^Content-Type: multipart\/alternative/im, "multipart text + HTML");
      await mailSettled(app);
      assert.equal(app.sink!.to("no-account@example.com").length, 0, "nothing is sent to an address without an account");
    });

    test("requesting a reset changes nothing else: the password still works and sessions stay signed in", async () => {
      const browser = await confirmedUser(app, "calm@example.com");
      const path = await resetLink("calm@example.com");
      assert.ok(await isSignedIn(browser), "the existing session survives a reset request");
      assert.ok(await canSignIn(app, "calm@example.com", PASSWORD), "the old password still works");
      assert.equal((await (await device(app)).get(path)).status, 200, "and the link is valid");
    });

    test("requesting a reset for an unconfirmed address does not confirm it; its confirmation link still works", async () => {
      const { browser } = await signUp(app, "pending-reset@example.com");
      const confirm = linkPath(await app.sink!.waitFor("pending-reset@example.com"), TEST_BASE_URL);
      await resetLink("pending-reset@example.com");
      assert.equal((await browser.get("/profile")).location, "/unconfirmed", "still unconfirmed");
      await confirmLink(app, confirm);
      assert.equal((await browser.get("/profile")).status, 200);
    });

    test("a new reset request kills the earlier link", async () => {
      await confirmedUser(app, "twice@example.com");
      const first = await resetLink("twice@example.com");
      const second = await resetLink("twice@example.com");
      assert.notEqual(first, second);
      assert.equal((await (await device(app)).get(first)).status, 400, "GET of the earlier link");
      assert.equal((await postReset(first, OTHER_PASSWORD)).status, 400, "POST of the earlier link");
      assert.ok(await canSignIn(app, "twice@example.com", PASSWORD), "the dead link changed nothing");
      const res = await postReset(second, OTHER_PASSWORD);
      assert.equal(res.status, 303);
      assert.equal(res.location, "/login");
    });

    test("GET /reset/:token changes nothing: opened three times, the link still works", async () => {
      const browser = await confirmedUser(app, "scanner@example.com");
      const path = await resetLink("scanner@example.com");
      const scanner = app.client();
      for (let i = 0; i < 3; i++) {
        const look = await scanner.get(path);
        assert.equal(look.status, 200);
        assert.match(look.text, /<form method="post"/);
        assert.match(look.text, /name="password"/);
        assert.match(look.text, /name="confirm"/);
      }
      assert.ok(await isSignedIn(browser), "looking revokes no session");
      assert.ok(await canSignIn(app, "scanner@example.com", PASSWORD), "looking changes no password");
      assert.equal((await postReset(path, OTHER_PASSWORD)).status, 303, "the link still works after being looked at");
    });

    test("20 concurrent POSTs of one reset link: exactly one succeeds (303 → /login), the rest get 400", async () => {
      await confirmedUser(app, "race@example.com");
      const path = await resetLink("race@example.com");
      const browsers = await Promise.all(Array.from({ length: 20 }, () => device(app)));
      const passwords = browsers.map((_, i) => `race winner number ${i} picks this`);
      const results = await Promise.all(browsers.map((b, i) => b.post(path, { password: passwords[i]!, confirm: passwords[i]! })));
      const winners = results.flatMap((r, i) => (r.status === 303 ? [i] : []));
      assert.equal(winners.length, 1, `one winner (statuses: ${results.map((r) => r.status).join(",")})`);
      assert.equal(results[winners[0]!]!.location, "/login");
      assert.deepEqual(
        results.filter((r) => r.status !== 303).map((r) => r.status),
        Array(19).fill(400),
        "every other request is refused with 400",
      );
      const winner = winners[0]!;
      assert.ok(await canSignIn(app, "race@example.com", passwords[winner]!), "the winner's password is set");
      const loser = winner === 0 ? 1 : 0;
      assert.equal(await canSignIn(app, "race@example.com", passwords[loser]!), false, "a loser's password is not");
      assert.equal(await canSignIn(app, "race@example.com", PASSWORD), false, "the old password is gone");
      await mailSettled(app);
      assert.equal(mailsLike(app, "race@example.com", CHANGED_SUBJECT).length, 1, "one change, one notice");
    });

    test("resetting sets the new password: the old one is refused with 401, the new one signs in", async () => {
      await confirmedUser(app, "newpass@example.com");
      const res = await postReset(await resetLink("newpass@example.com"), OTHER_PASSWORD);
      assert.equal(res.status, 303);
      assert.equal(res.location, "/login");
      const old = await signIn(app, "newpass@example.com", PASSWORD);
      assert.equal(old.res.status, 401);
      const fresh = await signIn(app, "newpass@example.com", OTHER_PASSWORD, { next: "/profile" });
      assert.equal(fresh.res.status, 303);
      assert.equal(fresh.res.location, "/profile");
    });

    test("resetting marks an unconfirmed address confirmed and kills its confirmation link", async () => {
      await signUp(app, "proven@example.com");
      const confirm = linkPath(await app.sink!.waitFor("proven@example.com"), TEST_BASE_URL);
      assert.equal((await postReset(await resetLink("proven@example.com"), OTHER_PASSWORD)).status, 303);
      const { res } = await signIn(app, "proven@example.com", OTHER_PASSWORD, { next: "/profile" });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/profile", "a confirmed user goes to next, not /unconfirmed");
      const phone = await device(app);
      assert.equal((await phone.get(confirm)).status, 400, "the earlier confirmation link is dead (GET)");
      assert.equal((await phone.post(confirm)).status, 400, "the earlier confirmation link is dead (POST)");
    });

    test("resetting revokes every session: a second browser's cookie is sent to sign in", async () => {
      const first = await confirmedUser(app, "everywhere@example.com");
      const { browser: second } = await signIn(app, "everywhere@example.com");
      assert.ok(await isSignedIn(second));
      assert.equal((await postReset(await resetLink("everywhere@example.com"), OTHER_PASSWORD)).status, 303);
      for (const [name, b] of [["first", first], ["second", second]] as const) {
        const res = await b.get("/profile");
        assert.equal(res.status, 303, `${name} browser`);
        assert.equal(res.location, "/login?next=%2Fprofile", `${name} browser is sent to sign in`);
      }
    });

    test("resetting kills every outstanding token of every purpose, including a newer reset link and an email change", async () => {
      const browser = await confirmedUser(app, "alltokens@example.com");
      const change = await browser.post("/profile/email", { email: "alltokens-new@example.com", current_password: PASSWORD });
      assert.equal(change.status, 303);
      const changeLink = linkPath(await app.sink!.waitFor("alltokens-new@example.com"), TEST_BASE_URL);
      const used = await resetLink("alltokens@example.com");
      assert.equal((await postReset(used, OTHER_PASSWORD)).status, 303);
      const phone = await device(app);
      assert.equal((await phone.post(changeLink)).status, 400, "the email-change link is dead");
      assert.equal(await canSignIn(app, "alltokens-new@example.com", OTHER_PASSWORD), false, "the address did not change");
      assert.equal((await postReset(used, "yet another long passphrase")).status, 400, "the used reset link is dead");
    });

    test("resetting mails a 'your password was changed' notice with a way to act if it wasn't you", async () => {
      await confirmedUser(app, "noticed@example.com");
      const path = await resetLink("noticed@example.com");
      const phone = await device(app);
      assert.equal((await phone.post(path, { password: OTHER_PASSWORD, confirm: OTHER_PASSWORD }, { headers: { "user-agent": SAFARI_IPHONE } })).status, 303);
      const notice = await waitForMail(app, "noticed@example.com", CHANGED_SUBJECT);
      assert.match(notice.text, new RegExp(`${TEST_BASE_URL}/forgot`), "text: what to do if it wasn't you");
      assert.match(notice.html, new RegExp(`${TEST_BASE_URL}/forgot`), "HTML: what to do if it wasn't you");
      assert.match(notice.text, /Safari on iOS/, "says from which browser and system");
      assert.match(notice.text, /127\.0\.0\.1/, "says from which IP");
      assert.doesNotMatch(notice.text, /\/reset\/[A-Za-z0-9_-]{43}/, "carries no live reset link");
    });

    test("resetting does not sign in: no session cookie, and the resetting browser is signed out", async () => {
      const browser = await confirmedUser(app, "noauto@example.com");
      const path = await resetLink("noauto@example.com");
      const res = await postReset(path, OTHER_PASSWORD, OTHER_PASSWORD, browser);
      assert.equal(res.status, 303);
      assert.equal(res.location, "/login");
      for (const line of res.headers.getSetCookie()) {
        const c = parseSetCookie(line);
        if (c.name !== "session") continue;
        const cleared = c.value === "" || (c.maxAge !== undefined && c.maxAge <= 0) || (c.expires !== undefined && c.expires.getTime() <= Date.now());
        assert.ok(cleared, `the only session cookie a reset sets is a deletion: ${line}`);
      }
      assert.equal(browser.session, undefined, "the browser holds no session");
      assert.equal((await browser.get("/profile")).location, "/login?next=%2Fprofile");
      const anonymous = await device(app);
      const other = await resetLink("noauto@example.com");
      assert.equal((await postReset(other, "third time lucky passphrase", undefined, anonymous)).status, 303);
      assert.equal(anonymous.session, undefined, "an anonymous resetter gets no session either");
    });

    test("an invalid new password re-renders the form with 422 and does not burn the link", async () => {
      await confirmedUser(app, "typo@example.com");
      const path = await resetLink("typo@example.com");
      for (const [why, password, confirm] of [
        ["common", "password", "password"],
        ["too short", "short", "short"],
        ["mismatched", OTHER_PASSWORD, `${OTHER_PASSWORD}!`],
        ["empty", "", ""],
      ] as const) {
        const res = await postReset(path, password, confirm);
        assert.equal(res.status, 422, `${why} password`);
        assert.ok(res.text.includes(`action="${path}"`), `${why}: the form is shown again for the same link`);
      }
      assert.ok(await canSignIn(app, "typo@example.com", PASSWORD), "nothing changed");
      assert.equal((await postReset(path, OTHER_PASSWORD)).status, 303, "the link still works");
      assert.ok(await canSignIn(app, "typo@example.com", OTHER_PASSWORD));
    });

    test("a confirmation link used on /reset/:token is refused with 400 (GET and POST) and still confirms afterwards", async () => {
      const { browser } = await signUp(app, "crossed@example.com");
      const confirm = linkPath(await app.sink!.waitFor("crossed@example.com"), TEST_BASE_URL);
      const asReset = confirm.replace("/confirm/", "/reset/");
      const attacker = await device(app);
      assert.equal((await attacker.get(asReset)).status, 400, "GET");
      assert.equal((await postReset(asReset, OTHER_PASSWORD, OTHER_PASSWORD, attacker)).status, 400, "POST");
      assert.equal(await canSignIn(app, "crossed@example.com", OTHER_PASSWORD), false, "no password was set");
      assert.ok(await canSignIn(app, "crossed@example.com", PASSWORD));
      await confirmLink(app, confirm);
      assert.equal((await browser.get("/profile")).status, 200);
    });

    test("a reset link used on /confirm/:token is refused with 400 (GET and POST) and still resets afterwards", async () => {
      const { browser } = await signUp(app, "crossed-back@example.com");
      await app.sink!.waitFor("crossed-back@example.com");
      const reset = await resetLink("crossed-back@example.com");
      const asConfirm = reset.replace("/reset/", "/confirm/");
      const phone = await device(app);
      assert.equal((await phone.get(asConfirm)).status, 400, "GET");
      assert.equal((await phone.post(asConfirm)).status, 400, "POST");
      assert.equal((await browser.get("/profile")).location, "/unconfirmed", "the address was not confirmed");
      assert.equal((await postReset(reset, OTHER_PASSWORD)).status, 303, "the reset link was not used up");
    });

    test("an email-change link used on /reset/:token is refused with 400 (GET and POST)", async () => {
      const browser = await confirmedUser(app, "mover@example.com");
      assert.equal((await browser.post("/profile/email", { email: "mover-new@example.com", current_password: PASSWORD })).status, 303);
      const change = linkPath(await app.sink!.waitFor("mover-new@example.com"), TEST_BASE_URL);
      const asReset = change.replace("/confirm/", "/reset/");
      const attacker = await device(app);
      assert.equal((await attacker.get(asReset)).status, 400, "GET");
      assert.equal((await postReset(asReset, OTHER_PASSWORD, OTHER_PASSWORD, attacker)).status, 400, "POST");
      assert.ok(await canSignIn(app, "mover@example.com", PASSWORD), "the password is unchanged");
      assert.ok(await isSignedIn(browser), "no session was revoked");
      await confirmLink(app, change);
      assert.ok(await canSignIn(app, "mover-new@example.com", PASSWORD), "the email-change link still works where it belongs");
    });

    test("a garbage reset token is 400", async () => {
      const phone = await device(app);
      assert.equal((await phone.get("/reset/not-a-token")).status, 400);
      assert.equal((await postReset(`/reset/${"A".repeat(43)}`, OTHER_PASSWORD, OTHER_PASSWORD, phone)).status, 400);
    });

    test("a reset POST without a valid CSRF token is refused with 403 and the link still works", async () => {
      await confirmedUser(app, "csrf-reset@example.com");
      const path = await resetLink("csrf-reset@example.com");
      const phone = await device(app);
      assert.equal((await phone.post(path, { password: OTHER_PASSWORD, confirm: OTHER_PASSWORD }, { csrf: false })).status, 403);
      assert.ok(await canSignIn(app, "csrf-reset@example.com", PASSWORD));
      assert.equal((await postReset(path, OTHER_PASSWORD)).status, 303);
    });

    describe("with RESET_TOKEN_TTL=60", () => {
      let short: TestApp;
      before(async () => {
        short = await startTestApp({ dialect, env: { RESET_TOKEN_TTL: "60" } });
      });
      after(() => short.close());

      test("a reset link is refused with 400 once it has expired, and changes nothing", async () => {
        await confirmedUser(short, "late@example.com");
        const b = await device(short);
        await b.get("/forgot");
        assert.equal((await b.post("/forgot", { email: "late@example.com" })).status, 303);
        const path = linkPath(await waitForMail(short, "late@example.com", RESET_SUBJECT), TEST_BASE_URL, "/reset/");
        assert.equal((await b.get(path)).status, 200, "valid before it expires");
        short.clock.advance(61_000);
        assert.equal((await b.get(path)).status, 400, "GET after expiry");
        assert.equal((await b.post(path, { password: OTHER_PASSWORD, confirm: OTHER_PASSWORD })).status, 400, "POST after expiry");
        assert.ok(await canSignIn(short, "late@example.com", PASSWORD), "the password is unchanged");
      });
    });
  });
}
