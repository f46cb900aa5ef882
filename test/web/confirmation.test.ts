import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import type { Client, Response } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { cookieShapes } from "../helpers/flows.ts";
import { confirmationCode, linkPath } from "../helpers/smtp-sink.ts";

const PASSWORD = "correct horse battery staple";
/** Long enough that the 61 s resend steps never expire a link; the expiry test jumps past it. */
const CONFIRM_TTL_SECONDS = 600;

/** A confirmation code that is well-formed but (almost surely) not the one mailed. */
function wrongCode(right: string): string {
  return right.startsWith("ZZZZ") ? "YYYY-YYYY" : "ZZZZ-ZZZZ";
}

/** A page body with everything per-request (CSRF token values) blanked out. */
function withoutCsrf(text: string): string {
  return text.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');
}

/** A JSON value's structure: object keys and value types, not the values. */
function jsonShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonShape);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => [k, jsonShape(v)]));
  return value === null ? "null" : typeof value;
}


for (const dialect of await testDialects()) {
  describe(`email confirmation (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, env: { CONFIRM_TOKEN_TTL: String(CONFIRM_TTL_SECONDS) } });
    });
    after(() => app.close());

    const db = () => app.service.deps.db.kysely;

    async function signUp(email: string, browser: Client = app.client()) {
      await browser.get("/register");
      const res = await browser.post("/register", { email, password: PASSWORD, confirm: PASSWORD });
      assert.equal(res.status, 303, `registering ${email}`);
      return { browser, res };
    }

    /** Another browser (a phone) that has seen a form, so it has a CSRF token like a real one. */
    async function device(): Promise<Client> {
      const b = app.client();
      await b.get("/login");
      return b;
    }

    async function userRow(email: string) {
      return db().selectFrom("users").selectAll().where("email_canonical", "=", email.toLowerCase()).executeTakeFirst();
    }

    test("a resend within 60 s is refused with 429 and Retry-After; after 61 s it sends a second email", async () => {
      const address = "resend@example.com";
      const { browser } = await signUp(address);
      await app.sink!.waitFor(address);

      await browser.get("/unconfirmed");
      const tooSoon = await browser.post("/resend");
      assert.equal(tooSoon.status, 429);
      const retryAfter = tooSoon.headers.get("retry-after");
      assert.match(retryAfter ?? "", /^\d+$/, "Retry-After is whole seconds");
      assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `Retry-After ${retryAfter} is within 1..60`);

      app.clock.advance(30_000);
      const stillTooSoon = await browser.post("/resend");
      assert.equal(stillTooSoon.status, 429);
      assert.ok(Number(stillTooSoon.headers.get("retry-after")) <= 31, "Retry-After counts down with the clock");

      app.clock.advance(31_000);
      const again = await browser.post("/resend");
      assert.equal(again.status, 303);
      assert.equal(new URL(again.location!, TEST_BASE_URL).pathname, "/unconfirmed");
      const second = await app.sink!.waitFor(address, 2);
      assert.equal(second.subject, app.sink!.to(address)[0]!.subject);
      assert.notEqual(linkPath(second, TEST_BASE_URL), linkPath(app.sink!.to(address)[0]!, TEST_BASE_URL), "a new link");
      const page = await browser.get(again.location!);
      assert.equal(page.status, 200);

      const immediately = await browser.post("/resend");
      assert.equal(immediately.status, 429, "the cooldown starts again after a resend");
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(app.sink!.to(address).length, 2, "a refused resend sends nothing");
    });

    test("a resend keeps the earlier unexpired link alive; once one link confirms, the other link and the code die", async () => {
      const address = "two-links@example.com";
      const { browser } = await signUp(address);
      const first = await app.sink!.waitFor(address);
      app.clock.advance(61_000);
      await browser.get("/unconfirmed");
      assert.equal((await browser.post("/resend")).status, 303);
      const second = await app.sink!.waitFor(address, 2);
      const [link1, link2] = [linkPath(first, TEST_BASE_URL), linkPath(second, TEST_BASE_URL)];
      assert.notEqual(link1, link2);

      const phone = await device();
      assert.equal((await phone.get(link1)).status, 200, "the older link still works after a resend");
      assert.equal((await phone.get(link2)).status, 200);

      // The older email arrives last and is the one used.
      const confirmed = await phone.post(link1);
      assert.equal(confirmed.status, 303);
      assert.equal(confirmed.location, "/confirmed");

      assert.equal((await phone.get(link2)).status, 400, "the other link is dead once one confirmed");
      assert.equal((await phone.post(link2)).status, 400);
      assert.equal((await phone.get(link1)).status, 400, "the used link is dead");

      // Both emails' codes die with the links: no confirmation token of the user is left usable.
      const user = await userRow(address);
      assert.equal(user?.confirmed, 1);
      const liveTokens = await db()
        .selectFrom("tokens")
        .select("id")
        .where("user_id", "=", user!.id)
        .where("purpose", "=", "confirm")
        .where("used_at", "is", null)
        .execute();
      assert.deepEqual(liveTokens, [], "no confirmation token or code is left usable");
      assert.equal((await browser.get("/profile")).status, 200);
    });

    test("a link pressed on several devices at once confirms exactly once", async () => {
      const address = "race@example.com";
      await signUp(address);
      const path = linkPath(await app.sink!.waitFor(address), TEST_BASE_URL);
      const devices = await Promise.all(Array.from({ length: 8 }, () => device()));
      const results = await Promise.all(devices.map((d) => d.post(path)));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [303, 400, 400, 400, 400, 400, 400, 400], "one winner, the rest see a used link");
      assert.equal((await userRow(address))!.confirmed, 1);
    });

    test("confirmed_on is set once: confirming again by code or link changes nothing", async () => {
      const address = "once@example.com";
      const { browser } = await signUp(address);
      const mail = await app.sink!.waitFor(address);
      const registered = (await userRow(address))!;
      assert.equal(registered.confirmed, 0);
      assert.equal(registered.confirmed_on, null);

      app.clock.advance(2_000);
      const atConfirm = app.clock.now();
      assert.equal((await (await device()).post(linkPath(mail, TEST_BASE_URL))).status, 303);
      const confirmed = (await userRow(address))!;
      assert.equal(confirmed.confirmed, 1);
      assert.ok(confirmed.confirmed_on !== null, "confirmed_on is set");
      assert.ok(Math.abs(confirmed.confirmed_on - atConfirm) < 5_000, "confirmed_on is the (test) time of confirmation");
      assert.ok(confirmed.confirmed_on >= registered.registered_on, "confirmed after registered");

      app.clock.advance(10 * 60_000);
      await browser.get("/");
      await browser.post("/confirm", { code: confirmationCode(mail) });
      assert.equal((await (await device()).post(linkPath(mail, TEST_BASE_URL))).status, 400);
      const after = (await userRow(address))!;
      assert.equal(after.confirmed_on, confirmed.confirmed_on, "confirmed_on did not move");
      assert.equal(after.confirmed, 1);
    });

    test("five wrong codes kill that code, but its link still confirms", async () => {
      const address = "five-wrong@example.com";
      const { browser } = await signUp(address);
      const mail = await app.sink!.waitFor(address);
      const code = confirmationCode(mail);
      await browser.get("/unconfirmed");
      for (let i = 0; i < 5; i++) {
        const res = await browser.post("/confirm", { code: wrongCode(code) });
        assert.equal(res.status, 400, `wrong code #${i + 1} is refused`);
      }
      const right = await browser.post("/confirm", { code });
      assert.equal(right.status, 400, "the right code no longer works after 5 wrong ones");
      assert.equal((await browser.get("/profile")).location, "/unconfirmed", "still unconfirmed");
      assert.equal((await userRow(address))!.confirmed, 0);

      const phone = await device();
      assert.equal((await phone.get(linkPath(mail, TEST_BASE_URL))).status, 200);
      const viaLink = await phone.post(linkPath(mail, TEST_BASE_URL));
      assert.equal(viaLink.status, 303, "the link of the same email still confirms");
      assert.equal((await browser.get("/profile")).status, 200);
    });

    test("four wrong codes do not stop the right one", async () => {
      const address = "four-wrong@example.com";
      const { browser } = await signUp(address);
      const code = confirmationCode(await app.sink!.waitFor(address));
      await browser.get("/unconfirmed");
      for (let i = 0; i < 4; i++) assert.equal((await browser.post("/confirm", { code: wrongCode(code) })).status, 400);
      const right = await browser.post("/confirm", { code });
      assert.equal(right.status, 303);
      assert.equal(right.location, "/confirmed");
    });

    test("an expired link answers 400 to GET and POST and confirms nothing; a garbage token is 400", async () => {
      const address = "expired@example.com";
      const { browser } = await signUp(address);
      const mail = await app.sink!.waitFor(address);
      const path = linkPath(mail, TEST_BASE_URL);
      const phone = await device();
      assert.equal((await phone.get(path)).status, 200, "valid before expiry");

      app.clock.advance((CONFIRM_TTL_SECONDS + 1) * 1000);
      const look = await phone.get(path);
      assert.equal(look.status, 400);
      assert.match(look.text, /expired/i);
      assert.match(look.text, /href="\/login"/, "offers to sign in");
      assert.equal((await phone.post(path)).status, 400);
      await browser.get("/unconfirmed");
      assert.equal((await browser.post("/confirm", { code: confirmationCode(mail) })).status, 400, "the code expired with the link");
      assert.equal((await userRow(address))!.confirmed, 0);
      assert.equal((await browser.get("/profile")).location, "/unconfirmed");

      for (const garbage of ["/confirm/garbage", `/confirm/${"A".repeat(43)}`, `/confirm/${"A".repeat(199)}`, "/confirm/%00%ff", "/confirm/..%2f..%2fetc"]) {
        assert.equal((await phone.get(garbage)).status, 400, `GET ${garbage}`);
        assert.equal((await phone.post(garbage)).status, 400, `POST ${garbage}`);
      }
    });

    test("the inbox tab's status poll turns confirmed when the link is confirmed on another device", async () => {
      const address = "poll@example.com";
      const { browser } = await signUp(address);
      const page = await browser.get("/unconfirmed");
      assert.equal(page.status, 200);
      assert.match(page.text, /<script src="\/static\/unconfirmed\.js"/, "the polling script is included");
      assert.match(page.text, /<a href="\/profile">/, "a plain link to continue without JavaScript");
      assert.match(page.text, /poll@example\.com/);
      const script = await browser.get("/static/unconfirmed.js");
      assert.equal(script.status, 200);
      assert.match(script.text, /\/unconfirmed\/status/);

      const before = await browser.get("/unconfirmed/status");
      assert.equal(before.status, 200);
      assert.deepEqual(before.json(), { confirmed: false });

      const phone = await device();
      assert.equal((await phone.post(linkPath(await app.sink!.waitFor(address), TEST_BASE_URL))).status, 303);

      assert.deepEqual((await browser.get("/unconfirmed/status")).json(), { confirmed: true });
      const moved = await browser.get("/unconfirmed");
      assert.equal(moved.status, 303);
      assert.equal(moved.location, "/");
      assert.equal((await browser.get("/profile")).status, 200);
    });

    test("the status poll and the inbox page need a session", async () => {
      const page = await app.client().get("/unconfirmed");
      assert.equal(page.status, 303);
      assert.equal(page.location, "/login?next=%2Funconfirmed");
      const res = await app.client().get("/unconfirmed/status");
      assert.equal(res.status, 401);
      assert.equal(JSON.stringify(res.json()).includes("confirmed\":"), false);
    });

    const duplicates = [
      { how: "as registered", owner: "alex@example.com", typed: "alex@example.com", shown: "alex@example.com", fresh: "bob.one@example.com" },
      { how: "in another case", owner: "alice@example.com", typed: "ALICE@Example.com", shown: "ALICE@example.com", fresh: "bob.two@example.com" },
    ];
    for (const { how, owner, typed, shown, fresh: freshAddress } of duplicates) {
      test(`registering a taken address ${how} looks exactly like a new sign-up and changes nothing`, async () => {
        await signUp(owner);
        const confirmMail = await app.sink!.waitFor(owner);
        assert.equal((await (await device()).post(linkPath(confirmMail, TEST_BASE_URL))).status, 303);
        const before = (await userRow(owner))!;
        const usersBefore = await db().selectFrom("users").select("id").execute();
        // The owner's last email was a moment ago; notices are not sent more than once a minute.
        app.clock.advance(61_000);

        const fresh = await signUp(freshAddress);
        const dup = await signUp(typed);

        assert.equal(dup.res.status, fresh.res.status);
        assert.equal(dup.res.location, fresh.res.location);
        assert.deepEqual([...dup.res.headers.keys()].sort(), [...fresh.res.headers.keys()].sort(), "same header names");
        assert.deepEqual(cookieShapes(dup.res), cookieShapes(fresh.res), "same cookies, same attributes");
        assert.equal(dup.res.text, fresh.res.text, "same body");
        assert.ok(dup.browser.session, "the duplicate sign-up gets a session cookie too");

        // No account change.
        const afterRow = (await userRow(owner))!;
        assert.equal(afterRow.password_hash, before.password_hash, "password unchanged");
        assert.equal(afterRow.email, before.email);
        assert.equal(afterRow.confirmed_on, before.confirmed_on);
        assert.equal((await db().selectFrom("users").select("id").execute()).length, usersBefore.length + 1, "only bob got a row");
        const login = app.client();
        await login.get("/login");
        const signedIn = await login.post("/login", { email: owner, password: PASSWORD, next: "/profile" });
        assert.equal(signedIn.status, 303);
        assert.equal(signedIn.location, "/profile", "the original password still works");

        // The owner is told, without any confirmation link or code.
        const notice = await app.sink!.waitFor(owner, 2);
        assert.match(notice.subject, /someone tried to sign up/i);
        assert.doesNotMatch(notice.text, /\/confirm\//);
        assert.doesNotMatch(notice.html, /\/confirm\//);
        assert.doesNotMatch(notice.text, /[A-Z0-9]{4}-[A-Z0-9]{4}/);
        await app.sink!.waitFor(freshAddress);

        // The placeholder session sees the same inbox page as a new sign-up, with the typed address.
        const dupPage = await dup.browser.get("/unconfirmed");
        const freshPage = await fresh.browser.get("/unconfirmed");
        assert.equal(dupPage.status, 200);
        assert.ok(dupPage.text.includes(shown), "shows the address as typed");
        if (shown !== owner) assert.ok(!dupPage.text.includes(owner), "not the stored account's address");
        assert.equal(
          withoutCsrf(dupPage.text).replaceAll(shown, "X"),
          withoutCsrf(freshPage.text).replaceAll(freshAddress, "X"),
          "the inbox page gives nothing away",
        );
        assert.deepEqual((await dup.browser.get("/unconfirmed/status")).json(), { confirmed: false });
        // Nothing else the placeholder session can reach differs from a new account's either.
        for (const path of ["/", "/profile", "/sessions", "/unconfirmed/status", "/api/v1/me", "/api/v1/me/sessions"]) {
          const [a, b] = [await dup.browser.get(path), await fresh.browser.get(path)];
          assert.equal(a.status, b.status, `${path}: same status`);
          assert.equal(a.location, b.location, `${path}: same redirect`);
          const isJson = (a.headers.get("content-type") ?? "").includes("json");
          if (isJson) assert.deepEqual(jsonShape(a.json()), jsonShape(b.json()), `${path}: same JSON fields`);
          else assert.equal(withoutCsrf(a.text).replaceAll(shown, "X"), withoutCsrf(b.text).replaceAll(freshAddress, "X"), `${path}: same page`);
        }
        const profile = await dup.browser.get("/profile");
        assert.equal(profile.status, 303);
        assert.equal(profile.location, "/unconfirmed");
        const resend = await dup.browser.post("/resend");
        assert.equal(resend.status, 429);
        assert.match(resend.headers.get("retry-after") ?? "", /^\d+$/);
        const freshResend = await fresh.browser.post("/resend");
        assert.equal(freshResend.status, 429, "a new sign-up's resend is refused the same way");
        const wait = (r: Response) => Number(r.headers.get("retry-after"));
        assert.ok(Math.abs(wait(resend) - wait(freshResend)) <= 1, `same Retry-After (${wait(resend)} vs ${wait(freshResend)})`);
      });
    }

    test("registering an unconfirmed account's address again does not confirm it or take it over", async () => {
      const owner = "carol@example.com";
      const { browser: carol } = await signUp(owner);
      await app.sink!.waitFor(owner);
      const before = (await userRow(owner))!;
      app.clock.advance(61_000);
      const dup = await signUp("Carol@example.com");
      assert.equal(dup.res.status, 303);
      assert.equal(dup.res.location, "/unconfirmed");
      const notice = await app.sink!.waitFor(owner, 2);
      assert.match(notice.subject, /someone tried to sign up/i);
      assert.doesNotMatch(notice.text, /\/confirm\//);
      // The placeholder cannot confirm the account with codes (it has none) nor see it.
      await dup.browser.get("/unconfirmed");
      assert.equal((await dup.browser.post("/confirm", { code: confirmationCode(app.sink!.to(owner)[0]!) })).status, 400);
      const after = (await userRow(owner))!;
      assert.equal(after.password_hash, before.password_hash);
      assert.equal(after.confirmed, 0);
      assert.equal((await carol.get("/unconfirmed")).status, 200, "the owner's own session is untouched");
    });

    test("wrong password and unknown email give the same 401 page; unconfirmed users go to /unconfirmed; confirmed to next", async () => {
      const confirmedUser = "dora@example.com";
      await signUp(confirmedUser);
      assert.equal((await (await device()).post(linkPath(await app.sink!.waitFor(confirmedUser), TEST_BASE_URL))).status, 303);
      const unconfirmedUser = "eve-unconfirmed@example.com";
      await signUp(unconfirmedUser);

      async function attempt(email: string, password: string, next = "/profile") {
        const b = app.client();
        await b.get("/login");
        return { browser: b, res: await b.post("/login", { email, password, next }) };
      }
      const wrong = await attempt(confirmedUser, "not the password at all");
      const unknown = await attempt("nobody-here@example.com", "not the password at all");
      assert.equal(wrong.res.status, 401);
      assert.equal(unknown.res.status, 401);
      assert.equal(wrong.browser.session, undefined, "no session on failure");
      assert.equal(unknown.browser.session, undefined);
      assert.equal(
        withoutCsrf(wrong.res.text).replaceAll(confirmedUser, "X"),
        withoutCsrf(unknown.res.text).replaceAll("nobody-here@example.com", "X"),
        "the same body for unknown email and wrong password",
      );
      assert.deepEqual([...wrong.res.headers.keys()].sort(), [...unknown.res.headers.keys()].sort());
      const wrongCase = await attempt(confirmedUser.toUpperCase(), PASSWORD.toUpperCase());
      assert.equal(wrongCase.res.status, 401, "passwords are case-sensitive");

      const pending = await attempt(unconfirmedUser, PASSWORD);
      assert.equal(pending.res.status, 303);
      assert.equal(pending.res.location, "/unconfirmed");
      assert.ok(pending.browser.session, "an unconfirmed user is signed in");

      const ok = await attempt(confirmedUser, PASSWORD, "/profile?tab=1");
      assert.equal(ok.res.status, 303);
      assert.equal(ok.res.location, "/profile?tab=1");
      assert.equal((await ok.browser.get("/profile")).status, 200);

      const byOtherCase = await attempt("Dora@EXAMPLE.com", PASSWORD, "/");
      assert.equal(byOtherCase.res.status, 303, "the address is matched case-insensitively");
      assert.equal(byOtherCase.res.location, "/");

      for (const evil of ["//evil.example/x", "https://evil.example/", "/\\evil.example"]) {
        const res = await attempt(confirmedUser, PASSWORD, evil);
        assert.equal(res.res.status, 303);
        assert.equal(res.res.location, "/", `next=${evil} is not followed`);
      }
    });
  });
}
