import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Client } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { createAdmin } from "../../src/accounts/admin.ts";
import { linkPath } from "../helpers/smtp-sink.ts";
import { confirmLink, OTHER_PASSWORD, PASSWORD, signIn, waitForMail } from "../helpers/flows.ts";
import { codeAt, enableTotp } from "../helpers/second-factor.ts";

/** Issue 16 / SPEC §8: pages, emails and API messages in English and German. */
const GERMAN = { "accept-language": "de-DE,de;q=0.9" };
const ENGLISH = { "accept-language": "en-US,en;q=0.9" };
const CONFIRM_DE = /^Bestätigen Sie Ihre E-Mail-Adresse$/;
const RESET_DE = /^Setzen Sie Ihr Passwort zurück$/;
const NOTICE_DE = /^Jemand wollte sich mit Ihrer E-Mail-Adresse registrieren$/;

const htmlLang = (text: string) => /<html lang="([^"]+)"/.exec(text)?.[1];

/** Signs up from a browser whose every request carries `headers`. */
async function signUpWith(app: TestApp, email: string, headers: Record<string, string>): Promise<Client> {
  const browser = app.client();
  await browser.get("/register", headers);
  const res = await browser.post("/register", { email, password: PASSWORD, confirm: PASSWORD }, { headers });
  assert.equal(res.status, 303);
  return browser;
}

for (const dialect of await testDialects()) {
  describe(`languages (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    test("Accept-Language de-DE → a German page with lang=de; fr → English", async () => {
      const de = await app.client().get("/login", GERMAN);
      assert.equal(de.status, 200);
      assert.equal(htmlLang(de.text), "de");
      assert.equal(de.headers.get("content-language"), "de");
      assert.match(de.headers.get("vary") ?? "", /Accept-Language/i);
      assert.match(de.text, /<title>Anmelden · Latchkey<\/title>/);
      assert.match(de.text, /<label for="password">Passwort<\/label>/);
      assert.doesNotMatch(de.text, />Sign in</);

      const fr = await app.client().get("/login", { "accept-language": "fr-FR,fr;q=0.9" });
      assert.equal(htmlLang(fr.text), "en");
      assert.match(fr.text, /<title>Sign in · Latchkey<\/title>/);
      assert.equal(htmlLang((await app.client().get("/login", { "accept-language": "de-AT" })).text), "de");
    });

    test("the footer's switch works without JavaScript, and the lang cookie beats the header", async () => {
      const browser = app.client();
      const page = await browser.get("/login?next=%2Fsessions", GERMAN);
      assert.match(page.text, /<form method="post" action="\/locale"[^>]*>/);
      assert.match(page.text, /<input type="hidden" name="next" value="\/login\?next=%2Fsessions"\/>/);
      const res = await browser.post("/locale", { locale: "en", next: "/login?next=%2Fsessions" }, { headers: GERMAN });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/login?next=%2Fsessions", "back to the same page");
      assert.equal(browser.cookies.get("lang"), "en");
      const after = await browser.get("/login", GERMAN);
      assert.equal(htmlLang(after.text), "en", "the cookie beats Accept-Language");

      const unsafe = await browser.get(`/login?next=${encodeURIComponent("//evil.test/x")}&x=1`);
      assert.ok(!unsafe.text.includes("evil.test"), "the switch never echoes an unsafe next");
      assert.match(unsafe.text, /name="next" value="\/login\?x=1"/);
      const off = await browser.post("/locale", { locale: "de", next: "//evil.test/x" });
      assert.equal(off.location, "/", "next is checked like every next");
      assert.equal((await browser.post("/locale", { locale: "fr", next: "/" })).status, 422, "an unsupported language is refused");
      assert.equal((await browser.post("/locale", { locale: "de", next: "/" }, { csrf: false })).status, 403, "the switch needs _csrf");
    });

    test("a German sign-up gets German mail in both parts, whoever causes a later one", async () => {
      const email = "anna@example.com";
      await signUpWith(app, email, GERMAN);
      const mail = await waitForMail(app, email, CONFIRM_DE);
      assert.match(mail.text, /Willkommen bei Latchkey!/);
      assert.match(mail.text, /Bestätigungscode/);
      assert.match(mail.text, /laufen am (Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag), \d+\. \p{L}+ \d{4}, \d\d:\d\d UTC ab \(1 Tag nach dem Versand\)/u);
      assert.match(mail.html, /<html lang="de">/);
      assert.match(mail.html, /Bestätigen Sie Ihre E-Mail-Adresse, indem Sie diesen Link öffnen/);
      assert.doesNotMatch(mail.text + mail.html, /Confirm your|Welcome/);

      // Someone with an English browser asks for a reset of this address: still German.
      const stranger = app.client();
      await stranger.get("/forgot", ENGLISH);
      assert.equal((await stranger.post("/forgot", { email }, { headers: ENGLISH })).status, 303);
      const reset = await waitForMail(app, email, RESET_DE);
      assert.match(reset.text, /Um ein neues Passwort festzulegen/);
      assert.match(reset.html, /<html lang="de">/);

      // And an English sign-up attempt on the address: the owner's notice is German too.
      const other = app.client();
      await other.get("/register", ENGLISH);
      await other.post("/register", { email, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD }, { headers: ENGLISH });
      const notice = await waitForMail(app, email, NOTICE_DE);
      assert.match(notice.text, /Sie haben bereits ein Konto/);
      assert.match(notice.html, /Sie haben bereits ein Konto/);
    });

    test("the stored locale beats the cookie and the header; POST /locale while signed in changes it", async () => {
      const email = "bernd@example.com";
      const browser = await signUpWith(app, email, GERMAN);
      browser.cookies.set("lang", "en");
      const page = await browser.get("/unconfirmed", ENGLISH);
      assert.equal(htmlLang(page.text), "de", "the account's language wins");
      assert.match(page.text, /Angemeldet als/);

      const english = await signUpWith(app, "carla@example.com", ENGLISH);
      await english.get("/unconfirmed", ENGLISH);
      assert.equal((await english.post("/locale", { locale: "de", next: "/unconfirmed" }, { headers: ENGLISH })).status, 303);
      english.cookies.delete("lang");
      assert.equal(htmlLang((await english.get("/unconfirmed", ENGLISH)).text), "de", "stored on the account, not only in the cookie");
      const stranger = app.client();
      await stranger.get("/forgot", ENGLISH);
      await stranger.post("/forgot", { email: "carla@example.com" }, { headers: ENGLISH });
      await waitForMail(app, "carla@example.com", RESET_DE);
    });

    test("a German form shows its field errors in German, the API its field messages", async () => {
      const browser = app.client();
      await browser.get("/register", GERMAN);
      const res = await browser.post("/register", { email: "x@example.com", password: PASSWORD, confirm: "something else" }, { headers: GERMAN });
      assert.equal(res.status, 422);
      assert.match(res.text, /Bitte prüfen Sie Ihre Eingaben/);
      assert.match(res.text, /Die beiden Passwörter stimmen nicht überein\./);
      const api = await app.client().request("POST", "/api/v1/register", {
        body: JSON.stringify({ email: "not an address", password: "short", confirm: "short" }),
        headers: { "content-type": "application/json", ...GERMAN },
      });
      const body = api.json<{ error: { code: string; message: string; fields: Record<string, string> } }>();
      assert.equal(body.error.code, "invalid_input");
      assert.equal(body.error.message, "Einige Felder müssen korrigiert werden.");
      assert.equal(body.error.fields.password, "Verwenden Sie mindestens 8 Zeichen.");
      assert.match(body.error.fields.email!, /E-Mail-Adresse|@/);
    });

    test("an English admin's actions mail a German account in German; its profile is German", async () => {
      const email = "dora@example.com";
      const browser = await signUpWith(app, email, GERMAN);
      await confirmLink(app, linkPath(await waitForMail(app, email, CONFIRM_DE), app.config.baseUrl));
      const profile = await browser.get("/profile", ENGLISH);
      assert.equal(htmlLang(profile.text), "de");
      assert.match(profile.text, /<h1>Ihr Profil<\/h1>/);
      assert.match(profile.text, /Passwort ändern/);
      assert.match(profile.text, /Registriert<\/dt><dd>\p{L}+, \d+\. \p{L}+ \d{4}, \d\d:\d\d UTC/u);
      assert.match((await browser.get("/sessions", ENGLISH)).text, /<h1>Angemeldete Geräte<\/h1>/);

      await createAdmin(app.service.deps, "boss@example.com", async () => PASSWORD);
      const boss = (await signIn(app, "boss@example.com")).browser;
      const id = (await app.service.deps.db.kysely.selectFrom("users").select("id").where("email_canonical", "=", email).executeTakeFirstOrThrow()).id;
      await boss.get(`/admin/users/${id}`, ENGLISH);
      assert.equal((await boss.post(`/admin/users/${id}/send-reset`, {}, { headers: ENGLISH })).status, 303);
      const reset = await waitForMail(app, email, RESET_DE);
      assert.match(reset.html, /Um ein neues Passwort festzulegen/);
      assert.equal((await boss.post(`/admin/users/${id}/delete`, {}, { headers: ENGLISH })).status, 303);
      const goodbye = await waitForMail(app, email, /^Ihr Konto wurde gelöscht$/);
      assert.match(goodbye.text, /vom Betreiber dieser Website gelöscht/);
    });

    /** A confirmed account that signed up in German (its stored locale is `de`). */
    async function germanAccount(email: string): Promise<Client> {
      const browser = await signUpWith(app, email, GERMAN);
      await confirmLink(app, linkPath(await waitForMail(app, email, CONFIRM_DE), app.config.baseUrl));
      return browser;
    }

    test("two-step sign-in and passkey pages in German", async () => {
      const browser = await germanAccount("emil@example.com");
      const page = await browser.get("/profile/2fa", GERMAN);
      assert.equal(page.status, 200);
      assert.equal(htmlLang(page.text), "de");
      assert.match(page.text, /<h1>Zwei-Faktor-Authentifizierung<\/h1>/);
      assert.match(page.text, /Authenticator-App: <strong>ausgeschaltet<\/strong>/);
      assert.match(page.text, />Authenticator-App einrichten</);
      assert.doesNotMatch(page.text, /Back to your profile|Set up an authenticator app/);

      const setup = await browser.post("/profile/2fa/totp/setup", {}, { headers: GERMAN });
      assert.match(setup.text, /Scannen Sie diesen Code mit Ihrer Authenticator-App/);
      assert.match(setup.text, /aria-label="QR-Code für Ihre Authenticator-App"/);
      const wrong = await browser.post("/profile/2fa/totp", { code: "12345x" }, { headers: GERMAN });
      assert.equal(wrong.status, 422);
      assert.doesNotMatch(wrong.text, /That code is not right/, "the flow's field message is shown in German");

      const passkeys = await browser.get("/profile/passkeys", GERMAN);
      assert.equal(htmlLang(passkeys.text), "de");
      assert.match(passkeys.text, /<th>Zuletzt verwendet<\/th>/);
      assert.match(passkeys.text, /Sie haben noch keine Passkeys\./);
      assert.match(passkeys.text, /data-label="Passkey hinzufügen"/, "the script's button text comes from the page");
      assert.match(passkeys.text, /<body data-show="Anzeigen"/, "and the password toggle's");
    });

    test("the admin pages in German, an action's message too", async () => {
      await createAdmin(app.service.deps, "chefin@example.com", async () => PASSWORD);
      const boss = (await signIn(app, "chefin@example.com")).browser;
      const home = await boss.get("/admin", GERMAN);
      assert.equal(htmlLang(home.text), "de");
      assert.match(home.text, /<h1>Verwaltung<\/h1>/);
      assert.match(home.text, /Kohorten: Registrierungen und ihre Bestätigung/);
      assert.match(home.text, /<th>Bestätigt innerhalb von 1 Stunde<\/th>/);
      const users = await boss.get("/admin/users?q=emil", GERMAN);
      assert.match(users.text, /<h1>Konten<\/h1>/);
      assert.match(users.text, /<label for="q">Adresse beginnt mit<\/label>/);
      assert.match(users.text, /<td>bestätigt<\/td>/);
      const id = (await app.service.deps.db.kysely.selectFrom("users").select("id").where("email_canonical", "=", "emil@example.com").executeTakeFirstOrThrow()).id;
      assert.equal((await boss.post(`/admin/users/${id}/revoke-sessions`, {}, { headers: GERMAN })).status, 303);
      const account = await boss.get(`/admin/users/${id}`, GERMAN);
      assert.match(account.text, /Alle Sitzungen des Kontos wurden beendet\./);
      assert.match(account.text, />Alle Sitzungen beenden</);
      assert.match(account.text, /<h2>Letzte Ereignisse<\/h2>/);
      assert.match((await boss.get("/admin/mail", GERMAN)).text, /<h1>E-Mail-Zustellung<\/h1>/);
      assert.match((await boss.get("/admin/users", ENGLISH)).text, /<h1>Accounts<\/h1>/, "English stays as it was");
    });

    test("a link opened without session, cookie or header speaks its account's language", async () => {
      const email = "frieda@example.com";
      await signUpWith(app, email, GERMAN);
      const path = linkPath(await waitForMail(app, email, CONFIRM_DE), app.config.baseUrl);
      const bare = await app.client().get(path);
      assert.equal(bare.status, 200);
      assert.equal(htmlLang(bare.text), "de");
      assert.match(bare.text, /<h1>Bestätigen Sie Ihre E-Mail-Adresse<\/h1>/);
      assert.equal(htmlLang((await app.client().get(path, ENGLISH)).text), "de", "the account's language beats Accept-Language");
      const chosen = app.client();
      chosen.cookies.set("lang", "en");
      assert.equal(htmlLang((await chosen.get(path, GERMAN)).text), "en", "a lang cookie (the footer's switch) still wins");
      assert.equal(htmlLang((await app.client().get("/confirm/" + "x".repeat(43))).text), "en", "an unknown link: the default");

      await app.client().post("/forgot", { email });
      const reset = linkPath(await waitForMail(app, email, RESET_DE), app.config.baseUrl, "/reset/");
      const page = await app.client().get(reset);
      assert.equal(htmlLang(page.text), "de");
      assert.match(page.text, /Passwort/);
      const mismatch = await app.client().post(reset, { password: PASSWORD, confirm: "something else entirely" });
      assert.equal(mismatch.status, 422);
      assert.match(mismatch.text, /Die beiden Passwörter stimmen nicht überein\./);
    });

    test("/login/2fa speaks the pending account's language; its switch works", async () => {
      const email = "greta@example.com";
      const browser = await germanAccount(email);
      const { secret } = await enableTotp(app, browser);
      app.clock.advance(30_000);
      const { browser: pending, res } = await signIn(app, email);
      assert.equal(res.location, "/login/2fa");
      const page = await pending.get("/login/2fa");
      assert.equal(page.status, 200);
      assert.equal(htmlLang(page.text), "de");
      assert.match(page.text, /<h1>Zwei-Faktor-Authentifizierung<\/h1>/);
      assert.match(page.text, /Ihrer Authenticator-App oder einer Ihrer Wiederherstellungscodes/);
      assert.match(page.text, /data-label="Stattdessen einen Passkey verwenden"|>Weiter</);
      const wrong = await pending.post("/login/2fa", { code: codeAt(app, secret) === "000000" ? "111111" : "000000" }, { headers: ENGLISH });
      assert.equal(wrong.status, 401);
      assert.match(wrong.text, /Dieser Code stimmt nicht\./);
      const switched = await pending.post("/locale", { locale: "en", next: "/login/2fa" });
      assert.equal(switched.status, 303);
      assert.equal(switched.location, "/login/2fa");
      assert.equal(htmlLang((await pending.get("/login/2fa")).text), "en", "the switch works before the second step too");
    });

    test("an API error's message follows Accept-Language; its code does not change", async () => {
      const call = (headers: Record<string, string>) =>
        app.client().request("POST", "/api/v1/login", {
          body: JSON.stringify({ email: "nobody@example.com", password: "wrong password here" }),
          headers: { "content-type": "application/json", ...headers },
        });
      const de = (await call(GERMAN)).json<{ error: { code: string; message: string } }>();
      const en = (await call(ENGLISH)).json<{ error: { code: string; message: string } }>();
      assert.equal(de.error.code, "invalid_credentials");
      assert.equal(en.error.code, "invalid_credentials");
      assert.equal(de.error.message, "E-Mail-Adresse und Passwort passen zu keinem Konto.");
      assert.equal(en.error.message, "That email and password do not match an account.");
      const missing = await app.client().request("GET", "/api/v1/me", { headers: GERMAN });
      assert.equal(missing.json<{ error: { code: string; message: string } }>().error.message, "Bitte melden Sie sich an.");
    });
  });
}
