import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseSetCookie } from "cookie";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { testDialects } from "../helpers/databases.ts";
import { device, PASSWORD, signIn, signUp } from "../helpers/flows.ts";
import { confirmationCode, linkPath } from "../helpers/smtp-sink.ts";

const TARGET = "http://app.example.test/reports?id=7";
const EVIL = ["//evil.test/", "/\\evil.test", "http://app.example.test.evil.test/", "http://app.example.test:8080/", "javascript:alert(1)", "http://evil.test/"];

for (const dialect of await testDialects()) {
  describe(`next across hosts (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, env: { REDIRECT_HOSTS: "app.example.test" } });
    });
    after(() => app.close());

    test("sign-in follows a next on an allowed host, and never one that leaves them", async () => {
      const email = "signin@example.com";
      const { browser } = await signUp(app, email);
      await browser.post(linkPath(await app.sink!.waitFor(email), app.config.baseUrl));
      const ok = await signIn(app, email, PASSWORD, { next: TARGET });
      assert.equal(ok.res.status, 303);
      assert.equal(ok.res.location, TARGET);
      const page = await app.client().get(`/login?next=${encodeURIComponent(TARGET)}`);
      assert.match(page.text, /name="next" value="http:\/\/app\.example\.test\/reports\?id=7"/);
      for (const next of EVIL) {
        const { res } = await signIn(app, email, PASSWORD, { next });
        assert.equal(res.status, 303);
        assert.equal(res.location, "/", `next=${next}`);
      }
    });

    test("sign-up → confirm by code on the same device lands on the original URL", async () => {
      const browser = app.client();
      const form = await browser.get(`/register?next=${encodeURIComponent(TARGET)}`);
      assert.match(form.text, /name="next" value="http:\/\/app\.example\.test\/reports\?id=7"/);
      const email = "by-code@example.com";
      const res = await browser.post("/register", { email, password: PASSWORD, confirm: PASSWORD, next: TARGET });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/unconfirmed");
      const code = confirmationCode(await app.sink!.waitFor(email));
      const confirmed = await browser.post("/confirm", { code });
      assert.equal(confirmed.status, 303);
      assert.equal(confirmed.location, TARGET);
    });

    test("sign-up → confirm by link on the same device lands on the original URL; on another device, /confirmed", async () => {
      const email = "by-link@example.com";
      const browser = app.client();
      await browser.get("/register");
      await browser.post("/register", { email, password: PASSWORD, confirm: PASSWORD, next: TARGET });
      const link = linkPath(await app.sink!.waitFor(email), app.config.baseUrl);
      await browser.get(link);
      const res = await browser.post(link);
      assert.equal(res.status, 303);
      assert.equal(res.location, TARGET);

      const other = "by-link-2@example.com";
      const { browser: b2 } = await signUp(app, other);
      const link2 = linkPath(await app.sink!.waitFor(other), app.config.baseUrl);
      const phone = await device(app);
      assert.equal((await phone.post(link2)).location, "/confirmed");
      assert.equal((await b2.get("/unconfirmed")).location, "/", "no next was carried");
    });

    test("an unconfirmed sign-in with next, confirmed elsewhere: /unconfirmed then sends the device on", async () => {
      const email = "later@example.com";
      await signUp(app, email);
      const mail = await app.sink!.waitFor(email);
      const { browser, res } = await signIn(app, email, PASSWORD, { next: TARGET });
      assert.equal(res.location, "/unconfirmed");
      assert.equal((await browser.get("/unconfirmed")).status, 200);
      await (await device(app)).post(linkPath(mail, app.config.baseUrl));
      const back = await browser.get("/unconfirmed");
      assert.equal(back.status, 303);
      assert.equal(back.location, TARGET);
    });

    test("/unconfirmed?next= (where forward-auth sends the unconfirmed) is carried, and checked", async () => {
      const email = "fa-unconfirmed@example.com";
      const { browser } = await signUp(app, email);
      assert.equal((await browser.get(`/unconfirmed?next=${encodeURIComponent(TARGET)}`)).status, 200);
      const code = confirmationCode(await app.sink!.waitFor(email));
      assert.equal((await browser.post("/confirm", { code })).location, TARGET);
      for (const next of EVIL) assert.equal((await browser.get(`/unconfirmed?next=${encodeURIComponent(next)}`)).location, "/", next);
      assert.equal((await browser.get(`/unconfirmed?next=${encodeURIComponent(TARGET)}`)).location, TARGET);
    });

    test("an anonymous visit to /unconfirmed?next= goes to sign in and keeps next", async () => {
      const res = await app.client().get(`/unconfirmed?next=${encodeURIComponent(TARGET)}`);
      assert.equal(res.status, 303);
      assert.equal(res.location, `/login?next=${encodeURIComponent(`/unconfirmed?next=${encodeURIComponent(TARGET)}`)}`);
    });
  });
}

describe("COOKIE_DOMAIN and SESSION_COOKIE_NAME", () => {
  test("the session cookie goes to the parent domain, under its own name, and sign-out clears it there", async () => {
    const app = await startTestApp({ env: { BASE_URL: "https://auth.example.test", COOKIE_DOMAIN: "example.test", SESSION_COOKIE_NAME: "latchkey_session" } });
    try {
      const browser = app.client();
      await browser.get("/register");
      const res = await browser.post("/register", { email: "domain@example.com", password: PASSWORD, confirm: PASSWORD });
      const cookies = res.headers.getSetCookie().map((l) => ({ line: l, c: parseSetCookie(l) }));
      const session = cookies.find((x) => x.c.name === "__Secure-latchkey_session");
      assert.ok(session, `set: ${cookies.map((x) => x.c.name).join(", ")}`);
      assert.equal(session.c.domain, "example.test");
      assert.ok(session.c.secure && session.c.httpOnly);
      assert.ok(!cookies.some((x) => x.c.name === "__Host-session" || x.c.name === "session"));
      assert.equal((await browser.get("/unconfirmed")).status, 200, "the renamed cookie signs in");
      const out = await browser.post("/logout");
      const cleared = out.headers.getSetCookie().map((l) => parseSetCookie(l)).find((c) => c.name === "__Secure-latchkey_session");
      assert.equal(cleared?.domain, "example.test", "cleared on the domain it was set on");
    } finally {
      await app.close();
    }
  });
});
