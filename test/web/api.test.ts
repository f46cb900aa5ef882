import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { ERROR_CATALOGUE } from "../../src/accounts/errors.ts";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import type { Client, Response } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { cookieShapes, headerNames, mailSettled, mailsLike, OTHER_PASSWORD, PASSWORD, replaySession, waitForMail } from "../helpers/flows.ts";
import { confirmationCode, linkPath } from "../helpers/smtp-sink.ts";

const API = "/api/v1";
const KIB = 1024;

const CONFIRM_SUBJECT = /^Confirm your email address$/;
const CHANGE_LINK_SUBJECT = /^Confirm your new email address$/;
const CHANGE_NOTICE_SUBJECT = /change of your email address/i;
const RESET_SUBJECT = /reset your password/i;
const SIGNUP_ATTEMPT_SUBJECT = /someone tried to sign up/i;

const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

interface ErrorBody {
  code: string;
  message: string;
  fields?: Record<string, string>;
}

/**
 * Checks SPEC §5's error shape: `{"error":{"code","message"[,"fields"]}}`, JSON, a code from the
 * closed catalogue, and the status the catalogue gives it (an unreadable body is a 400).
 */
function assertError(res: Response, status: number, code: string, what = ""): ErrorBody {
  assert.equal(res.status, status, `${what} status (body: ${res.text.slice(0, 300)})`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json\b/, `${what} answers JSON`);
  const body = res.json<{ error: ErrorBody }>();
  assert.deepEqual(Object.keys(body), ["error"], `${what} body has only "error"`);
  const keys = Object.keys(body.error).sort();
  assert.ok(
    JSON.stringify(keys) === '["code","message"]' || JSON.stringify(keys) === '["code","fields","message"]',
    `${what} error keys are code, message [, fields]: ${keys.join(",")}`,
  );
  assert.ok(Object.hasOwn(ERROR_CATALOGUE, body.error.code), `${what} code ${body.error.code} is in the catalogue`);
  assert.equal(body.error.code, code, `${what} code`);
  assert.equal(typeof body.error.message, "string");
  assert.ok(body.error.message.length > 0, `${what} has a message`);
  assert.doesNotMatch(res.text, /\bat [\w.<>]+ \(.*:\d+:\d+\)/, `${what} no stack trace`);
  const catalogued = ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].status;
  assert.ok(status === catalogued || (code === "invalid_input" && status === 400), `${what} ${code} is ${catalogued} in the catalogue, answered ${status}`);
  if (body.error.fields !== undefined) {
    assert.equal(typeof body.error.fields, "object");
    for (const v of Object.values(body.error.fields)) assert.equal(typeof v, "string");
  }
  return body.error;
}

/** The token at the end of an emailed /confirm/… or /reset/… link. */
function tokenOf(path: string): string {
  const token = path.split("/").pop();
  assert.ok(token, `a token in ${path}`);
  return token;
}

for (const dialect of await testDialects()) {
  describe(`JSON API /api/v1 (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    /** Every (method, documented path) → statuses the API answered with, for the OpenAPI check at the end. */
    const seen = new Map<string, Set<number>>();

    function template(path: string): string {
      return path.replace(/^\/me\/sessions\/[^/]+$/, "/me/sessions/{id}");
    }

    /** A request to /api/v1`path` with the client's cookies, its status recorded. */
    async function send(client: Client, method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
      const res = await client.request(method, `${API}${path}`, init);
      const key = `${method.toLowerCase()} ${template(path)}`;
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key)!.add(res.status);
      return res;
    }

    /** A JSON call to /api/v1`path` with the client's cookies. */
    function call(client: Client, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
      if (body === undefined) return send(client, method, path, { headers });
      return send(client, method, path, { body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } });
    }

    const db = () => app.service.deps.db.kysely;

    async function userRow(email: string) {
      return db().selectFrom("users").select(["id", "email", "confirmed"]).where("email_canonical", "=", email.toLowerCase()).executeTakeFirst();
    }

    async function register(email: string, password = PASSWORD, client = app.client()): Promise<{ client: Client; res: Response }> {
      const res = await call(client, "POST", "/register", { email, password, confirm: password });
      return { client, res };
    }

    async function login(email: string, password = PASSWORD, headers: Record<string, string> = {}): Promise<{ client: Client; res: Response }> {
      const client = app.client();
      const res = await call(client, "POST", "/login", { email, password }, headers);
      return { client, res };
    }

    /** The token of the `count`-th confirmation email to `email`. */
    async function confirmToken(email: string, count = 1): Promise<string> {
      return tokenOf(linkPath(await waitForMail(app, email, CONFIRM_SUBJECT, count), TEST_BASE_URL));
    }

    /** Registers through the API and confirms with the emailed token; the client stays signed in. */
    async function confirmedUser(email: string, password = PASSWORD): Promise<Client> {
      const { client, res } = await register(email, password);
      assert.equal(res.status, 201);
      const confirmed = await call(app.client(), "POST", "/confirm", { token: await confirmToken(email) });
      assert.equal(confirmed.status, 200);
      return client;
    }

    async function me(client: Client): Promise<Response> {
      return call(client, "GET", "/me");
    }

    async function resetToken(email: string, count = 1): Promise<string> {
      const res = await call(app.client(), "POST", "/password/forgot", { email });
      assert.equal(res.status, 202);
      return tokenOf(linkPath(await waitForMail(app, email, RESET_SUBJECT, count), TEST_BASE_URL, "/reset/"));
    }

    // ---- register / me --------------------------------------------------------------------

    test("POST register answers 201 with a session cookie; GET me then shows the unconfirmed user", async () => {
      const { client, res } = await register("api.new@example.com");
      assert.equal(res.status, 201);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json\b/);
      assert.deepEqual(res.json(), { user: { email: "api.new@example.com", confirmed: false } });
      assert.ok(client.session, "a session cookie is set");
      const [cookie] = res.headers.getSetCookie().filter((c) => c.startsWith("session="));
      assert.ok(cookie, "Set-Cookie: session=…");
      assert.match(cookie, /HttpOnly/i);
      assert.match(cookie, /SameSite=Lax/i);

      const who = await me(client);
      assert.equal(who.status, 200);
      const { user } = who.json<{ user: Record<string, unknown> }>();
      assert.equal(user.email, "api.new@example.com");
      assert.equal(user.confirmed, false);
      assert.equal(user.admin, false);
      assert.equal(user.confirmed_on, null);
      assert.equal(user.pending_email, null);
      assert.ok(!Number.isNaN(Date.parse(String(user.registered_on))), "registered_on is a date");

      const mail = await waitForMail(app, "api.new@example.com", CONFIRM_SUBJECT);
      assert.match(mail.text, new RegExp(`${TEST_BASE_URL}/confirm/[A-Za-z0-9_-]{43}`));
    });

    test("GET me without a session cookie (or with a made-up one) is 401 unauthenticated", async () => {
      assertError(await me(app.client()), 401, "unauthenticated", "no cookie");
      assertError(await me(replaySession(app, "A".repeat(43))), 401, "unauthenticated", "unknown cookie");
      assertError(await me(replaySession(app, "not a token")), 401, "unauthenticated", "garbage cookie");
    });

    test("registering a taken address gives the same status, body and cookie; the owner is mailed instead", async () => {
      const email = "api.taken@example.com";
      const first = await register(email);
      // Past the 60 s notice cooldown the owner is told of the attempt.
      app.clock.advance(61_000);
      const second = await register(email, OTHER_PASSWORD);
      assert.equal(second.res.status, first.res.status);
      assert.deepEqual(second.res.json(), first.res.json());
      assert.deepEqual(cookieShapes(second.res), cookieShapes(first.res));
      assert.deepEqual(headerNames(second.res), headerNames(first.res));
      assert.ok(second.client.session);
      assert.notEqual(second.client.session, first.client.session);

      // The attempt sees an unconfirmed account at the typed address, shaped like a new one.
      type User = Record<string, unknown>;
      const owner = (await me(first.client)).json<{ user: User }>().user;
      const who = await me(second.client);
      assert.equal(who.status, 200);
      const attempt = who.json<{ user: User }>().user;
      assert.deepEqual(Object.keys(attempt).sort(), Object.keys(owner).sort(), "the same fields as a real new account");
      assert.equal(attempt.email, email);
      assert.equal(attempt.confirmed, false);
      assert.equal(attempt.confirmed_on, null);
      assert.equal(attempt.pending_email, null);
      assert.ok(Date.parse(String(attempt.registered_on)) > Date.parse(String(owner.registered_on)), "not the owner's sign-up date");

      await waitForMail(app, email, SIGNUP_ATTEMPT_SUBJECT);
      await mailSettled(app);
      assert.equal(mailsLike(app, email, CONFIRM_SUBJECT).length, 1, "no second confirmation email");
      // The account did not change.
      assert.equal((await login(email, PASSWORD)).res.status, 200);
      assertError((await login(email, OTHER_PASSWORD)).res, 401, "invalid_credentials");
    });

    test("register refuses invalid input with 422 invalid_input naming the fields, and sets no cookie", async () => {
      const bad = await register("not-an-address");
      assert.ok(assertError(bad.res, 422, "invalid_input").fields?.email, "fields.email");
      assert.equal(bad.client.session, undefined);

      const short = await register("api.short@example.com", "short");
      assert.ok(assertError(short.res, 422, "invalid_input").fields?.password, "fields.password");

      const c = app.client();
      const mismatch = await call(c, "POST", "/register", { email: "api.mismatch@example.com", password: PASSWORD, confirm: OTHER_PASSWORD });
      assert.ok(assertError(mismatch, 422, "invalid_input").fields?.confirm, "fields.confirm");

      const typed = await call(c, "POST", "/register", { email: ["a@example.com", "b@example.com"], password: PASSWORD, confirm: PASSWORD });
      assert.ok(assertError(typed, 422, "invalid_input").fields?.email, "a non-string field is a field error");
      assert.equal(c.session, undefined);
      assert.equal(await userRow("api.mismatch@example.com"), undefined);
      assert.equal(await userRow("api.short@example.com"), undefined);
    });

    // ---- login / logout -------------------------------------------------------------------

    test("login answers 200 with a new session; unknown email and wrong password give the same 401", async () => {
      const email = "api.login@example.com";
      const { client: signup } = await register(email);
      const { client, res } = await login(email);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json(), { user: { confirmed: false } });
      assert.ok(client.session);
      assert.notEqual(client.session, signup.session, "a new session id");
      assert.equal((await me(client)).status, 200);

      const wrong = await login(email, OTHER_PASSWORD);
      const unknown = await login("api.nobody@example.com", OTHER_PASSWORD);
      const wrongErr = assertError(wrong.res, 401, "invalid_credentials", "wrong password");
      const unknownErr = assertError(unknown.res, 401, "invalid_credentials", "unknown email");
      assert.deepEqual(unknownErr, wrongErr, "identical bodies");
      assert.deepEqual(headerNames(unknown.res), headerNames(wrong.res), "identical headers");
      assert.equal(wrong.client.session, undefined);
      assert.equal(unknown.client.session, undefined);

      // Any casing / surrounding space of the address signs in.
      assert.equal((await login("  API.Login@Example.com ")).res.status, 200);
    });

    test("logout answers 204 and kills the session server-side", async () => {
      const { client } = await register("api.logout@example.com");
      const kept = client.session!;
      const res = await call(client, "POST", "/logout");
      assert.equal(res.status, 204);
      assert.equal(res.text, "");
      assert.equal(client.session, undefined, "the cookie is cleared");
      assertError(await me(replaySession(app, kept)), 401, "unauthenticated", "a copy of the old cookie");
      assert.equal((await call(app.client(), "POST", "/logout")).status, 204, "logging out without a session is harmless");
    });

    // ---- confirm --------------------------------------------------------------------------

    test("the emailed token confirms without a session and creates none; reusing it is 400 token_invalid", async () => {
      const email = "api.confirm@example.com";
      const { client } = await register(email);
      const token = await confirmToken(email);
      const phone = app.client();
      const res = await call(phone, "POST", "/confirm", { token });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json(), { confirmed: true });
      assert.equal(phone.session, undefined, "confirming creates no session");
      assert.deepEqual(res.headers.getSetCookie(), []);

      const who = (await me(client)).json<{ user: { confirmed: boolean; confirmed_on: string | null } }>();
      assert.equal(who.user.confirmed, true);
      assert.ok(who.user.confirmed_on && !Number.isNaN(Date.parse(who.user.confirmed_on)));

      assertError(await call(phone, "POST", "/confirm", { token }), 400, "token_invalid", "reused token");
      assertError(await call(phone, "POST", "/confirm", { token: "A".repeat(43) }), 400, "token_invalid", "made-up token");
      assertError(await call(phone, "POST", "/confirm", { token: "short" }), 400, "token_invalid", "malformed token");
      assertError(await call(phone, "POST", "/confirm", {}), 422, "invalid_input", "neither token nor code");
    });

    test("an expired confirmation token is 400 token_expired and confirms nothing", async () => {
      const email = "api.expired@example.com";
      const { client } = await register(email);
      const token = await confirmToken(email);
      app.clock.advance(app.config.confirmTokenTtl * 1000 + 1000);
      assertError(await call(app.client(), "POST", "/confirm", { token }), 400, "token_expired");
      const who = (await me(client)).json<{ user: { confirmed: boolean } }>();
      assert.equal(who.user.confirmed, false);
    });

    test("a reset token does not confirm (400), and a confirmation token does not reset", async () => {
      const email = "api.purpose@example.com";
      const { client } = await register(email);
      const confirm = await confirmToken(email);
      const reset = await resetToken(email);

      assertError(await call(app.client(), "POST", "/confirm", { token: reset }), 400, "token_invalid", "reset token on /confirm");
      assert.equal((await me(client)).json<{ user: { confirmed: boolean } }>().user.confirmed, false);

      const wrongPurpose = await call(app.client(), "POST", "/password/reset", { token: confirm, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD });
      assertError(wrongPurpose, 400, "token_invalid", "confirmation token on /password/reset");
      assertError((await login(email, OTHER_PASSWORD)).res, 401, "invalid_credentials");

      // Neither was burned by the misuse.
      assert.equal((await call(app.client(), "POST", "/confirm", { token: confirm })).status, 200);
      assert.equal((await call(app.client(), "POST", "/password/reset", { token: reset, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD })).status, 204);
    });

    test("the code confirms the signed-in user; without a session 401; a wrong code 400 token_invalid", async () => {
      const email = "api.code@example.com";
      const { client } = await register(email);
      const code = confirmationCode(await waitForMail(app, email, CONFIRM_SUBJECT));

      assertError(await call(app.client(), "POST", "/confirm", { code }), 401, "unauthenticated", "code without a session");
      assertError(await call(client, "POST", "/confirm", { code: code === "ZZZZ-ZZZZ" ? "YYYY-YYYY" : "ZZZZ-ZZZZ" }), 400, "token_invalid", "wrong code");
      assert.equal((await me(client)).json<{ user: { confirmed: boolean } }>().user.confirmed, false);

      const res = await call(client, "POST", "/confirm", { code: code.toLowerCase() });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json(), { confirmed: true });
      assert.equal((await me(client)).json<{ user: { confirmed: boolean } }>().user.confirmed, true);
      // Once confirmed, the link in the same email is dead too.
      assertError(await call(app.client(), "POST", "/confirm", { token: await confirmToken(email) }), 400, "token_invalid");
    });

    // ---- resend ---------------------------------------------------------------------------

    test("resend: 429 rate_limited with Retry-After within 60 s of the last email, 202 after", async () => {
      const email = "api.resend@example.com";
      const { client } = await register(email);
      await waitForMail(app, email, CONFIRM_SUBJECT);

      const early = await call(client, "POST", "/resend");
      assertError(early, 429, "rate_limited", "right after sign-up");
      const wait = Number(early.headers.get("retry-after"));
      assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, `Retry-After ${early.headers.get("retry-after")}`);

      app.clock.advance(61_000);
      const ok = await call(client, "POST", "/resend");
      assert.equal(ok.status, 202);
      assert.deepEqual(ok.json(), { sent: true });
      const second = await confirmToken(email, 2);

      const again = await call(client, "POST", "/resend");
      assertError(again, 429, "rate_limited", "a second resend within 60 s");
      const retry = Number(again.headers.get("retry-after"));
      assert.ok(retry >= 59 && retry <= 60, `Retry-After ${retry}`);

      app.clock.advance(30_000);
      const later = await call(client, "POST", "/resend");
      assertError(later, 429, "rate_limited", "30 s later");
      const rest = Number(later.headers.get("retry-after"));
      assert.ok(rest >= 1 && rest <= 30, `Retry-After counts down: ${rest}`);

      app.clock.advance(rest * 1000);
      assert.equal((await call(client, "POST", "/resend")).status, 202, "after Retry-After seconds");
      await confirmToken(email, 3);

      // The earlier link still works (mail arrives out of order).
      assert.equal((await call(app.client(), "POST", "/confirm", { token: second })).status, 200);
      assert.equal((await call(client, "POST", "/resend")).status, 204, "a confirmed user has nothing to resend");
      assertError(await call(app.client(), "POST", "/resend"), 401, "unauthenticated");
    });

    // ---- password recovery ----------------------------------------------------------------

    test("password/forgot answers 202 with the same body for known and unknown addresses", async () => {
      const email = "api.forgot@example.com";
      await register(email);
      const known = await call(app.client(), "POST", "/password/forgot", { email });
      const unknown = await call(app.client(), "POST", "/password/forgot", { email: "api.forgot.nobody@example.com" });
      const junk = await call(app.client(), "POST", "/password/forgot", { email: "not-an-address" });
      for (const res of [known, unknown, junk]) {
        assert.equal(res.status, 202);
        assert.equal(res.text, known.text);
      }
      assert.deepEqual(headerNames(unknown), headerNames(known));
      await waitForMail(app, email, RESET_SUBJECT);
      await mailSettled(app);
      assert.equal(app.sink!.to("api.forgot.nobody@example.com").length, 0);
    });

    test("password/reset answers 204, works once, swaps the password and ends every session", async () => {
      const email = "api.reset@example.com";
      const first = await confirmedUser(email);
      const { client: second } = await login(email);
      assert.equal((await me(second)).status, 200);
      const token = await resetToken(email);

      const mismatch = await call(app.client(), "POST", "/password/reset", { token, password: OTHER_PASSWORD, confirm: PASSWORD });
      assert.ok(assertError(mismatch, 422, "invalid_input").fields?.confirm, "fields.confirm");

      const res = await call(app.client(), "POST", "/password/reset", { token, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD });
      assert.equal(res.status, 204, "a typo did not burn the link");
      assertError(await me(first), 401, "unauthenticated", "the sign-up session");
      assertError(await me(second), 401, "unauthenticated", "the other session");
      assertError((await login(email, PASSWORD)).res, 401, "invalid_credentials", "old password");
      assert.equal((await login(email, OTHER_PASSWORD)).res.status, 200, "new password");

      const reuse = await call(app.client(), "POST", "/password/reset", { token, password: PASSWORD, confirm: PASSWORD });
      assertError(reuse, 400, "token_invalid", "a used reset token");
      assertError(await call(app.client(), "POST", "/password/reset", { token: "A".repeat(43), password: PASSWORD, confirm: PASSWORD }), 400, "token_invalid");
    });

    test("an expired reset token is 400 token_expired", async () => {
      const email = "api.reset.expired@example.com";
      await register(email);
      const token = await resetToken(email);
      app.clock.advance(app.config.resetTokenTtl * 1000 + 1000);
      assertError(await call(app.client(), "POST", "/password/reset", { token, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD }), 400, "token_expired");
      assertError((await login(email, OTHER_PASSWORD)).res, 401, "invalid_credentials");
    });

    // ---- profile --------------------------------------------------------------------------

    test("me/password: 403 when unconfirmed, 422 on a wrong current password, 204 and a new cookie on success", async () => {
      const unconfirmed = (await register("api.pw.unconfirmed@example.com")).client;
      const refused = await call(unconfirmed, "POST", "/me/password", { current_password: PASSWORD, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD });
      assertError(refused, 403, "email_unconfirmed");
      assert.equal((await login("api.pw.unconfirmed@example.com", PASSWORD)).res.status, 200, "unchanged");
      assertError(await call(app.client(), "POST", "/me/password", { current_password: PASSWORD, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD }), 401, "unauthenticated");

      const email = "api.pw@example.com";
      const client = await confirmedUser(email);
      const { client: other } = await login(email);
      const wrong = await call(client, "POST", "/me/password", { current_password: OTHER_PASSWORD, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD });
      assert.ok(assertError(wrong, 422, "invalid_input").fields?.current_password, "fields.current_password");
      assert.equal((await me(client)).status, 200, "a wrong current password does not sign out");

      const old = client.session!;
      const res = await call(client, "POST", "/me/password", { current_password: PASSWORD, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD });
      assert.equal(res.status, 204);
      assert.ok(res.headers.getSetCookie().some((c) => c.startsWith("session=")), "a new session cookie");
      assert.ok(client.session && client.session !== old, "the session id changed");
      assert.equal((await me(client)).status, 200, "this client stays signed in");
      assertError(await me(replaySession(app, old)), 401, "unauthenticated", "the old cookie");
      assertError(await me(other), 401, "unauthenticated", "other sessions end");
      assertError((await login(email, PASSWORD)).res, 401, "invalid_credentials");
      assert.equal((await login(email, OTHER_PASSWORD)).res.status, 200);
    });

    test("me/email: 202, the link goes to the new address, and POST confirm {token} moves the account", async () => {
      const unconfirmed = (await register("api.mail.unconfirmed@example.com")).client;
      assertError(await call(unconfirmed, "POST", "/me/email", { email: "api.elsewhere@example.com", current_password: PASSWORD }), 403, "email_unconfirmed");

      const email = "api.old@example.com";
      const next = "api.moved@example.com";
      const client = await confirmedUser(email);
      const wrong = await call(client, "POST", "/me/email", { email: next, current_password: OTHER_PASSWORD });
      assert.ok(assertError(wrong, 422, "invalid_input").fields?.current_password, "fields.current_password");
      const same = await call(client, "POST", "/me/email", { email, current_password: PASSWORD });
      assert.ok(assertError(same, 422, "invalid_input").fields?.email, "the current address is refused");

      const res = await call(client, "POST", "/me/email", { email: next, current_password: PASSWORD });
      assert.equal(res.status, 202);
      assert.deepEqual(res.json(), { sent: true });
      const pending = (await me(client)).json<{ user: { email: string; pending_email: string | null } }>().user;
      assert.equal(pending.email, email, "the address changes only when the link is confirmed");
      assert.equal(pending.pending_email, next);

      const link = linkPath(await waitForMail(app, next, CHANGE_LINK_SUBJECT), TEST_BASE_URL);
      await waitForMail(app, email, CHANGE_NOTICE_SUBJECT);
      assertError((await login(next)).res, 401, "invalid_credentials", "not yet");

      const confirmed = await call(app.client(), "POST", "/confirm", { token: tokenOf(link) });
      assert.equal(confirmed.status, 200);
      const after = (await me(client)).json<{ user: { email: string; pending_email: string | null; confirmed: boolean } }>().user;
      assert.equal(after.email, next);
      assert.equal(after.pending_email, null);
      assert.equal(after.confirmed, true);
      assert.equal((await login(next)).res.status, 200);
      assertError((await login(email)).res, 401, "invalid_credentials", "the old address");
      assertError(await call(app.client(), "POST", "/confirm", { token: tokenOf(link) }), 400, "token_invalid", "the link works once");
    });

    test("me/email to an address that has an account answers the same 202 and mails that address nothing", async () => {
      const taken = "api.owner@example.com";
      await confirmedUser(taken);
      const client = await confirmedUser("api.mover@example.com");
      const res = await call(client, "POST", "/me/email", { email: taken, current_password: PASSWORD });
      assert.equal(res.status, 202);
      assert.deepEqual(res.json(), { sent: true });
      await waitForMail(app, "api.mover@example.com", CHANGE_NOTICE_SUBJECT);
      await mailSettled(app);
      assert.equal(mailsLike(app, taken, CHANGE_LINK_SUBJECT).length, 0, "no link to the taken address");
    });

    test("me/sessions lists the user's sessions; DELETE ends one at once; an unknown id is 404", async () => {
      const email = "api.sessions@example.com";
      const client = await confirmedUser(email);
      const { client: laptop } = await login(email, PASSWORD, { "user-agent": FIREFOX });
      const stranger = await confirmedUser("api.stranger@example.com");

      const list = await call(client, "GET", "/me/sessions");
      assert.equal(list.status, 200);
      type S = { id: string; created_at: string; last_seen_at: string; ip: string | null; user_agent: string | null; current: boolean };
      const { sessions } = list.json<{ sessions: S[] }>();
      assert.equal(sessions.length, 2);
      assert.equal(sessions.filter((s) => s.current).length, 1);
      const theirs = sessions.find((s) => s.user_agent === FIREFOX);
      assert.ok(theirs && !theirs.current, "the laptop's session is listed, not current");
      assert.ok(!Number.isNaN(Date.parse(theirs.created_at)) && !Number.isNaN(Date.parse(theirs.last_seen_at)));
      assert.doesNotMatch(list.text, new RegExp(client.session!), "session ids are not the cookie values");

      // Someone else's session cannot be revoked by its id.
      assertError(await call(stranger, "DELETE", `/me/sessions/${theirs.id}`), 404, "not_found", "another user's session");
      assert.equal((await me(laptop)).status, 200);

      const res = await call(client, "DELETE", `/me/sessions/${theirs.id}`);
      assert.equal(res.status, 204);
      assertError(await me(laptop), 401, "unauthenticated", "the revoked session, at once");
      const left = (await call(client, "GET", "/me/sessions")).json<{ sessions: S[] }>().sessions;
      assert.deepEqual(left.map((s) => s.current), [true]);

      assertError(await call(client, "DELETE", `/me/sessions/${theirs.id}`), 404, "not_found", "already revoked");
      assertError(await call(client, "DELETE", `/me/sessions/${randomUUID()}`), 404, "not_found", "unknown id");
      assertError(await call(app.client(), "GET", "/me/sessions"), 401, "unauthenticated");
      const unconfirmed = (await register("api.sessions.unconfirmed@example.com")).client;
      assertError(await call(unconfirmed, "GET", "/me/sessions"), 403, "email_unconfirmed");
    });

    test("email/fix corrects a mistyped address before confirmation; old links die", async () => {
      const typo = "api.fix@exmaple.com";
      const fixed = "api.fix@example.com";
      const { client } = await register(typo);
      const oldToken = await confirmToken(typo);

      const wrong = await call(client, "POST", "/email/fix", { email: fixed, current_password: OTHER_PASSWORD });
      assert.ok(assertError(wrong, 422, "invalid_input").fields?.current_password, "fields.current_password");
      assertError(await call(app.client(), "POST", "/email/fix", { email: fixed, current_password: PASSWORD }), 401, "unauthenticated");

      const res = await call(client, "POST", "/email/fix", { email: fixed, current_password: PASSWORD });
      assert.equal(res.status, 202);
      assert.deepEqual(res.json(), { sent: true });
      assert.equal((await me(client)).json<{ user: { email: string } }>().user.email, fixed);

      assertError(await call(app.client(), "POST", "/confirm", { token: oldToken }), 400, "token_invalid", "the link sent to the typo");
      assert.equal((await call(app.client(), "POST", "/confirm", { token: await confirmToken(fixed) })).status, 200);
      const user = (await me(client)).json<{ user: { email: string; confirmed: boolean } }>().user;
      assert.deepEqual([user.email, user.confirmed], [fixed, true]);

      assertError(await call(client, "POST", "/email/fix", { email: "api.fix2@example.com", current_password: PASSWORD }), 403, "forbidden", "once confirmed");
    });

    // ---- cross-site refusal ---------------------------------------------------------------

    test("cross-site requests are refused with 403 forbidden and change nothing", async () => {
      const evil = { origin: "https://evil.example" };
      const crossSite = { "sec-fetch-site": "cross-site" };

      for (const headers of [evil, crossSite]) {
        const email = `api.csrf.${Object.keys(headers)[0]}@example.com`;
        const c = app.client();
        const res = await call(c, "POST", "/register", { email, password: PASSWORD, confirm: PASSWORD }, headers);
        assertError(res, 403, "forbidden", `register with ${JSON.stringify(headers)}`);
        assert.equal(c.session, undefined);
        assert.equal(await userRow(email), undefined, "no account was created");
      }

      const email = "api.csrf.victim@example.com";
      const victim = await confirmedUser(email);
      for (const headers of [evil, crossSite]) {
        assertError(await call(victim, "POST", "/logout", undefined, headers), 403, "forbidden", "logout");
        assertError(await call(victim, "POST", "/me/password", { current_password: PASSWORD, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD }, headers), 403, "forbidden", "me/password");
        assertError(await call(victim, "POST", "/me/email", { email: "api.csrf.attacker@example.com", current_password: PASSWORD }, headers), 403, "forbidden", "me/email");
        const sessions = (await call(victim, "GET", "/me/sessions")).json<{ sessions: { id: string }[] }>().sessions;
        assertError(await call(victim, "DELETE", `/me/sessions/${sessions[0]!.id}`, undefined, headers), 403, "forbidden", "DELETE me/sessions");
        assertError(await call(victim, "GET", "/me", undefined, headers), 403, "forbidden", "GET me");
        assertError(await call(app.client(), "POST", "/login", { email, password: PASSWORD }, headers), 403, "forbidden", "login");
      }
      const who = await me(victim);
      assert.equal(who.status, 200, "still signed in");
      assert.equal(who.json<{ user: { email: string; pending_email: string | null } }>().user.pending_email, null, "no email change started");
      assert.equal((await login(email, PASSWORD)).res.status, 200, "password unchanged");
      await mailSettled(app);
      assert.equal(app.sink!.to("api.csrf.attacker@example.com").length, 0);

      // Same-origin requests, and requests from BASE_URL's origin, work.
      const same = await login(email, PASSWORD, { "sec-fetch-site": "same-origin" });
      assert.equal(same.res.status, 200);
      assert.equal((await call(same.client, "GET", "/me", undefined, { "sec-fetch-site": "same-origin", origin: TEST_BASE_URL })).status, 200);
      assert.equal((await call(same.client, "POST", "/logout", undefined, { "sec-fetch-site": "same-origin", origin: TEST_BASE_URL })).status, 204);
      assert.equal((await login(email, PASSWORD, { "sec-fetch-site": "none" })).res.status, 200, "typed into the address bar / a bookmark");
    });

    // ---- malformed requests ---------------------------------------------------------------

    test("a form-encoded body is refused with a JSON error and signs nobody in", async () => {
      const email = "api.form@example.com";
      await register(email);
      const c = app.client();
      const res = await send(c, "POST", "/login", {
        body: new URLSearchParams({ email, password: PASSWORD }).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      assert.ok(res.status >= 400 && res.status < 500, `4xx, got ${res.status}`);
      assertError(res, res.status, "invalid_input", "form-encoded");
      assert.equal(c.session, undefined);

      const plain = await send(c, "POST", "/login", { body: JSON.stringify({ email, password: PASSWORD }), headers: { "content-type": "text/plain" } });
      assert.ok(plain.status >= 400 && plain.status < 500, `text/plain: 4xx, got ${plain.status}`);
      assertError(plain, plain.status, "invalid_input", "text/plain");
      assert.equal(c.session, undefined);
    });

    test("application/json with a charset parameter is JSON", async () => {
      const email = "api.charset@example.com";
      await register(email);
      const c = app.client();
      const res = await send(c, "POST", "/login", { body: JSON.stringify({ email, password: PASSWORD }), headers: { "content-type": "application/json; charset=utf-8" } });
      assert.equal(res.status, 200);
      assert.ok(c.session);
    });

    test("invalid JSON is 400 invalid_input", async () => {
      for (const body of ['{"email":', "{'email': 'x'}", "nope"]) {
        const res = await send(app.client(), "POST", "/login", { body, headers: { "content-type": "application/json" } });
        assertError(res, 400, "invalid_input", `body ${body}`);
      }
    });

    test("a body over 64 KiB is 413 payload_too_large and creates nothing", async () => {
      const email = "api.big@example.com";
      const c = app.client();
      const res = await call(c, "POST", "/register", { email, password: PASSWORD, confirm: PASSWORD, pad: "x".repeat(65 * KIB) });
      assertError(res, 413, "payload_too_large");
      assert.equal(c.session, undefined);
      assert.equal(await userRow(email), undefined);
    });

    test("an unknown path under /api/v1 is 404 not_found", async () => {
      assertError(await app.client().request("GET", `${API}/x`), 404, "not_found", "GET /api/v1/x");
      assertError(await app.client().request("POST", `${API}/x`, { body: "{}", headers: { "content-type": "application/json" } }), 404, "not_found", "POST /api/v1/x");
      assertError(await app.client().request("PUT", `${API}/me`), 404, "not_found", "PUT /api/v1/me");
    });

    test("an unexpected failure is a 500 whose error code is still one of the catalogue", async () => {
      const hasher = app.service.deps.hasher as { hash: (p: string) => Promise<string> };
      const original = hasher.hash;
      hasher.hash = async () => {
        throw new Error("simulated failure");
      };
      try {
        const res = await register("api.boom@example.com");
        assert.equal(res.res.status, 500);
        const err = assertError(res.res, 500, res.res.json<{ error: ErrorBody }>().error.code, "500");
        assert.doesNotMatch(err.message, /simulated failure/, "internals are not shown");
      } finally {
        hasher.hash = original;
      }
    });

    // ---- the OpenAPI document describes what the API does ---------------------------------

    test("every status the API answered with above is documented for its operation in /api/openapi.json", async () => {
      const doc = (await app.client().get("/api/openapi.json")).json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>();
      assert.ok(seen.size >= 13, `calls were recorded for every operation (${seen.size})`);
      const missing: string[] = [];
      for (const [key, statuses] of seen) {
        const [method, path] = key.split(" ") as [string, string];
        const op = doc.paths[path]?.[method];
        assert.ok(op, `${method.toUpperCase()} ${path} is in the OpenAPI document`);
        for (const status of statuses) {
          if (status === 500) continue; // any route may fail unexpectedly; checked by the catalogue test
          if (!Object.hasOwn(op.responses, String(status))) missing.push(`${method.toUpperCase()} ${path} → ${status}`);
        }
      }
      assert.deepEqual(missing, [], "statuses the API gives but the document does not list");
    });
  });
}
