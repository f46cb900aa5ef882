import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Client, Response } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";

const PASSWORD = "correct horse battery staple";
const KIB = 1024;

function assertNot5xx(res: Response, what: string): void {
  assert.ok(res.status < 500, `${what}: answered ${res.status}, not a server error`);
  assert.doesNotMatch(res.text, /\bat [\w.<>]+ \(.*:\d+:\d+\)/, `${what}: no stack trace`);
}

function assert4xx(res: Response, what: string): void {
  assertNot5xx(res, what);
  assert.ok(res.status >= 400 && res.status < 500, `${what}: answered ${res.status}, a 4xx`);
}

for (const dialect of await testDialects()) {
  describe(`bad input (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    const db = () => app.service.deps.db.kysely;

    async function userCount(): Promise<number> {
      return (await db().selectFrom("users").select("id").execute()).length;
    }

    async function userExists(email: string): Promise<boolean> {
      return (await db().selectFrom("users").select("id").where("email_canonical", "=", email.toLowerCase()).executeTakeFirst()) !== undefined;
    }

    /** A browser on the sign-up form, with the form's CSRF token. */
    async function onRegisterPage(): Promise<Client> {
      const b = app.client();
      await b.get("/register");
      assert.ok(b.csrf, "the form carries a CSRF token");
      return b;
    }

    /** Posts a raw body (with the browser's cookies) to `path`. */
    function postRaw(b: Client, path: string, body: string, contentType = "application/x-www-form-urlencoded"): Promise<Response> {
      return b.request("POST", path, { body, headers: { "content-type": contentType } });
    }

    test("a body over 64 KiB is refused with 413 and creates no user", async () => {
      const b = await onRegisterPage();
      const before = await userCount();
      const fields = new URLSearchParams({ _csrf: b.csrf!, email: "big.body@example.com", password: PASSWORD, confirm: PASSWORD });
      const form = `${fields}&pad=${"x".repeat(65 * KIB)}`;
      const tooBig = await postRaw(b, "/register", form);
      assert.equal(tooBig.status, 413);
      assertNot5xx(tooBig, "form over 64 KiB");

      const json = JSON.stringify({ _csrf: b.csrf, email: "big.json@example.com", password: PASSWORD, confirm: PASSWORD, pad: "x".repeat(65 * KIB) });
      const tooBigJson = await postRaw(b, "/register", json, "application/json");
      assert.equal(tooBigJson.status, 413);

      const huge = await postRaw(b, "/login", `${new URLSearchParams({ _csrf: b.csrf!, email: "big.body@example.com", password: "x".repeat(2 * 1024 * KIB) })}`);
      assert.equal(huge.status, 413, "a 2 MiB password to /login is cut off before any hashing");

      assert.equal(await userCount(), before);
      assert.equal(await userExists("big.body@example.com"), false);
      assert.equal(await userExists("big.json@example.com"), false);

      // Just under the limit is an ordinary request.
      const fits = await postRaw(b, "/register", `${fields.toString().replace("big.body", "fits")}&pad=${"x".repeat(60 * KIB)}`);
      assert.equal(fits.status, 303, "a 60 KiB body is within the limit");
      assert.equal(await userExists("fits@example.com"), true);
    });

    for (const email of ["not-an-email", "a@@b.com", "a@b", '"a"@b.com', "a b@c.com", "a@b.com\r\nBcc: x@y.com", "a@b.com\nBcc: x@y.com", "@example.com", "a@", "a@-b.com", ".a@b.com", "a..b@c.com", "a@b..com", "<a@b.com>", "a@b.com,c@d.com", "a@b.com;c@d.com", "a\u0000@b.com", "a\u200b@b.com", "x".repeat(250) + "@b.com"]) {
      test(`an email of ${JSON.stringify(email.length > 40 ? email.slice(0, 20) + "…" : email)} re-renders the form with 422 and an email message`, async () => {
        const b = await onRegisterPage();
        const before = await userCount();
        const res = await b.post("/register", { email, password: PASSWORD, confirm: PASSWORD });
        assert.equal(res.status, 422);
        assert.match(res.text, /<form method="post" action="\/register"/, "the form again");
        assert.match(res.text, /id="email-error"/, "a message on the email field");
        assert.doesNotMatch(res.text, /id="password-error"|id="confirm-error"/, "no message on the good fields");
        assert.match(res.text, /name="_csrf" value="[^"]+"/, "ready to be sent again");
        assert.ok(!res.text.includes(PASSWORD), "the password is never echoed back");
        assert.equal(b.session, undefined, "no session");
        assert.equal(await userCount(), before, "no user");
      });
    }

    test("a typed address is shown back escaped, never as markup", async () => {
      const b = await onRegisterPage();
      const res = await b.post("/register", { email: '"><script>alert(1)</script><x y="@example.com', password: PASSWORD, confirm: PASSWORD });
      assert.equal(res.status, 422);
      assert.ok(!res.text.includes("<script>alert(1)"), "no injected script");
      assert.ok(!res.text.includes('"><script'), "the attribute is not broken out of");
    });

    test("a header-injection address sends no email anywhere", async () => {
      const b = await onRegisterPage();
      const res = await b.post("/register", { email: "inject@example.com\r\nBcc: victim@example.org", password: PASSWORD, confirm: PASSWORD });
      assert.equal(res.status, 422);
      await sleep(200);
      assert.equal(app.sink!.to("victim@example.org").length, 0);
      assert.equal(app.sink!.to("inject@example.com").length, 0);
    });

    const badPasswords: Array<[string, Record<string, string>, string]> = [
      ["a short password", { password: "short1", confirm: "short1" }, "password"],
      ["an empty password", { password: "", confirm: "" }, "password"],
      ["a common password (password123)", { password: "password123", confirm: "password123" }, "password"],
      ["a common password (qwertyuiop)", { password: "qwertyuiop", confirm: "qwertyuiop" }, "password"],
      ["a common password in other case", { password: "PassWord123", confirm: "PassWord123" }, "password"],
      ["the address as password", { password: "pw.is.me@example.com", confirm: "pw.is.me@example.com" }, "password"],
      ["a mismatched confirmation", { password: PASSWORD, confirm: PASSWORD + "!" }, "confirm"],
      ["a 1025-character password", { password: "a1b2".repeat(256) + "z", confirm: "a1b2".repeat(256) + "z" }, "password"],
    ];
    for (const [what, fields, field] of badPasswords) {
      test(`${what} re-renders the form with 422 and a ${field} message`, async () => {
        const b = await onRegisterPage();
        const email = "pw.is.me@example.com";
        const res = await b.post("/register", { email, ...fields });
        assert.equal(res.status, 422);
        assert.match(res.text, new RegExp(`id="${field}-error"`));
        assert.doesNotMatch(res.text, /id="email-error"/);
        assert.match(res.text, /value="pw\.is\.me@example\.com"/, "the typed address is kept");
        if (fields.password && fields.password !== email) assert.ok(!res.text.includes(fields.password), "the password is not echoed back");
        assert.equal(await userExists(email), false);
      });
    }

    test("a 1024-character password is accepted", async () => {
      const b = await onRegisterPage();
      const long = "a1b2".repeat(256);
      const res = await b.post("/register", { email: "long.password@example.com", password: long, confirm: long });
      assert.equal(res.status, 303);
      const login = app.client();
      await login.get("/login");
      assert.equal((await login.post("/login", { email: "long.password@example.com", password: long })).status, 303);
    });

    test("repeated, missing and wrongly typed fields are a 4xx, never a 5xx, and create nothing", async () => {
      const before = await userCount();
      const b = await onRegisterPage();
      const csrf = b.csrf!;
      const cases: Array<[string, string, string?]> = [
        ["repeated email", `_csrf=${csrf}&email=a1@example.com&email=b1@example.com&password=${encodeURIComponent(PASSWORD)}&confirm=${encodeURIComponent(PASSWORD)}`],
        ["repeated password", `_csrf=${csrf}&email=a2@example.com&password=x&password=${encodeURIComponent(PASSWORD)}&confirm=${encodeURIComponent(PASSWORD)}`],
        ["nothing but the token", `_csrf=${csrf}`],
        ["no password", `_csrf=${csrf}&email=a3@example.com`],
        ["no email", `_csrf=${csrf}&password=${encodeURIComponent(PASSWORD)}&confirm=${encodeURIComponent(PASSWORD)}`],
        ["an empty body", ""],
        ["bracket syntax", `_csrf=${csrf}&email[]=a4@example.com&password=${encodeURIComponent(PASSWORD)}&confirm=${encodeURIComponent(PASSWORD)}`],
        ["prototype keys", `_csrf=${csrf}&__proto__=x&constructor=y&email=a5@example.com&hasOwnProperty=1`],
        ["a repeated CSRF token", `_csrf=${csrf}&_csrf=${csrf}&email=a6@example.com&password=${encodeURIComponent(PASSWORD)}&confirm=${encodeURIComponent(PASSWORD)}`],
        ["JSON with arrays", JSON.stringify({ _csrf: csrf, email: ["a7@example.com"], password: [PASSWORD], confirm: [PASSWORD] }), "application/json"],
        ["JSON with objects", JSON.stringify({ _csrf: csrf, email: { $ne: "" }, password: { length: 9 }, confirm: PASSWORD }), "application/json"],
        ["JSON with numbers and null", JSON.stringify({ _csrf: csrf, email: 12345, password: null, confirm: true }), "application/json"],
        ["JSON with __proto__", `{"_csrf":"${csrf}","__proto__":{"email":"a8@example.com"},"email":"a8@example.com"}`, "application/json"],
        ["JSON null", "null", "application/json"],
        ["a JSON array", `["a9@example.com"]`, "application/json"],
        ["broken JSON", `{"_csrf":"${csrf}","email":`, "application/json"],
        ["an unknown content type", `email=a10@example.com`, "text/plain"],
        ["multipart", `--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na11@example.com\r\n--x--\r\n`, "multipart/form-data; boundary=x"],
      ];
      // These carry a valid token, so they reach the form's validation.
      const fieldCases = new Set(["repeated email", "repeated password", "nothing but the token", "no password", "no email", "bracket syntax", "prototype keys", "JSON with arrays", "JSON with objects", "JSON with numbers and null"]);
      for (const [what, body, type] of cases) {
        const res = await postRaw(b, "/register", body, type);
        assert4xx(res, what);
        if (fieldCases.has(what)) assert.equal(res.status, 422, `${what}: a field message, not a crash or a bypass`);
      }
      // The same for the sign-in form.
      for (const [what, body, type] of cases) {
        const res = await postRaw(b, "/login", body, type);
        assert4xx(res, `login: ${what}`);
      }
      assert.equal(b.session, undefined, "no session came out of any of them");
      assert.equal(await userCount(), before, "no user was created");
    });

    test("JSON arrays in /register with a valid token get 422 field messages", async () => {
      const b = await onRegisterPage();
      const res = await postRaw(b, "/register", JSON.stringify({ _csrf: b.csrf, email: ["x@example.com", "y@example.com"], password: PASSWORD, confirm: PASSWORD }), "application/json");
      assert.equal(res.status, 422);
      assert.match(res.text, /id="email-error"/);
    });

    test("malformed percent-encoding is a 4xx, never a 5xx", async () => {
      const b = await onRegisterPage();
      const csrf = encodeURIComponent(b.csrf!);
      for (const body of [
        `_csrf=${csrf}&email=%E0%A4%A&password=%ZZ&confirm=%ZZ`,
        `_csrf=${csrf}&email=%&password=%%&confirm=%`,
        `_csrf=${csrf}&email=a%00@example.com&password=${encodeURIComponent(PASSWORD)}&confirm=${encodeURIComponent(PASSWORD)}`,
        `_csrf=%ZZ&email=x@example.com`,
        `%ZZ=%ZZ`,
      ]) {
        const res = await postRaw(b, "/register", body);
        assert4xx(res, body);
        assert.ok([400, 403, 422].includes(res.status), `${body}: ${res.status}`);
      }
      const login = await postRaw(b, "/login", `_csrf=${csrf}&email=%E0%A4%A&password=%ZZ`);
      assert4xx(login, "login with malformed encoding");
      for (const path of ["/confirm/%E0%A4%A", "/confirm/%ZZ", "/%ZZ", "/login?next=%E0%A4%A", "/unconfirmed?sent=%ZZ"]) {
        assertNot5xx(await b.get(path), `GET ${path}`);
      }
    });

    test("Alice@Example.COM and alice@example.com are one account", async () => {
      const before = await userCount();
      const first = await onRegisterPage();
      assert.equal((await first.post("/register", { email: "Alice@Example.COM", password: PASSWORD, confirm: PASSWORD })).status, 303);
      assert.equal(await userCount(), before + 1);
      for (const variant of ["alice@example.com", "ALICE@EXAMPLE.COM", "  alice@example.com  ", "alice@example.com.", "ａｌｉｃｅ@ｅｘａｍｐｌｅ.ｃｏｍ"]) {
        const again = await onRegisterPage();
        const res = await again.post("/register", { email: variant, password: PASSWORD + " two", confirm: PASSWORD + " two" });
        assert.equal(res.status, 303, `${JSON.stringify(variant)} answers like a sign-up`);
        assert.equal(res.location, "/unconfirmed");
      }
      assert.equal(await userCount(), before + 1, "no second account for any spelling");
      await app.sink!.waitFor("Alice@example.com");
      // The first password is the account's; the later ones changed nothing.
      const login = app.client();
      await login.get("/login");
      assert.equal((await login.post("/login", { email: "ALICE@example.com", password: PASSWORD + " two" })).status, 401);
      assert.equal((await login.post("/login", { email: "alice@EXAMPLE.com", password: PASSWORD })).status, 303);
    });

    test("double-submitting a new sign-up creates one account and never fails", async () => {
      const before = await userCount();
      const browsers = await Promise.all(Array.from({ length: 6 }, () => onRegisterPage()));
      const results = await Promise.all(browsers.map((b) => b.post("/register", { email: "double.click@example.com", password: PASSWORD, confirm: PASSWORD })));
      for (const res of results) {
        assert.equal(res.status, 303, `every submit answers like a sign-up (got ${res.status})`);
        assert.equal(res.location, "/unconfirmed");
      }
      assert.equal(await userCount(), before + 1);
    });

    test("no user row exists without its queued confirmation email", async () => {
      const valid = ["batch.one@example.com", "Batch.Two@example.com", "batch.three@example.com"];
      const attempts = [
        ...valid,
        "batch.one@example.com", // a duplicate: owner notice, no second row
        "BATCH.TWO@example.com", // a duplicate in another case
        "not-an-email",
        "batch.four@@example.com",
        "batch.five@example.com\r\nBcc: x@y.com",
      ];
      const passwords = [PASSWORD, PASSWORD, PASSWORD, PASSWORD, PASSWORD, PASSWORD, PASSWORD, PASSWORD, "short"];
      const results = await Promise.all(
        [...attempts, "batch.six@example.com"].map(async (email, i) => {
          const b = await onRegisterPage();
          return b.post("/register", { email, password: passwords[i]!, confirm: passwords[i]! });
        }),
      );
      for (const res of results) assertNot5xx(res, "batch registration");
      assert.equal(await userExists("batch.six@example.com"), false, "a refused password makes no user");

      const users = await db().selectFrom("users").select(["id", "email_canonical"]).execute();
      const confirmRows = await db().selectFrom("outbox").select(["id", "message_id"]).where("kind", "=", "confirm").execute();
      const tokenOwners = await db().selectFrom("tokens").select("user_id").where("purpose", "=", "confirm").execute();
      const owners = new Set(tokenOwners.map((t) => t.user_id));
      for (const u of users) assert.ok(owners.has(u.id), `${u.email_canonical} was issued a confirmation`);

      // Every user got exactly one confirmation email (no resends in this app) and nobody else did.
      assert.equal(confirmRows.length, users.length, "one queued confirmation email per user row");
      const canonical = new Set(users.map((u) => u.email_canonical));
      for (const v of valid) assert.ok(canonical.has(v.toLowerCase()), `${v} has an account`);

      // And they are really on their way: delivered recipients = users.
      await Promise.all(users.map((u) => app.sink!.waitFor(u.email_canonical)));
      const confirmRecipients = new Set(app.sink!.mails.filter((m) => /confirm your email/i.test(m.subject)).map((m) => m.to.toLowerCase()));
      assert.deepEqual([...confirmRecipients].sort(), [...canonical].sort(), "the confirmation recipients are exactly the accounts");
    });
  });
}
