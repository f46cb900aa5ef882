import assert from "node:assert/strict";
import { parseSetCookie } from "cookie";
import type { TestApp } from "./app.ts";
import type { Client, Response } from "./client.ts";
import { linkPath, type ReceivedMail } from "./smtp-sink.ts";

/** A password that passes the policy; tests that need a second one use OTHER_PASSWORD. */
export const PASSWORD = "correct horse battery staple";
export const OTHER_PASSWORD = "quiet lantern over shallow river";

/** User agents two "devices" present, and what /sessions summarises them as. */
export const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
export const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/** A browser that has loaded a page, so it holds a CSRF cookie and token like a real one. */
export async function device(app: TestApp): Promise<Client> {
  const b = app.client();
  await b.get("/login");
  return b;
}

/** Signs up from a new browser (or the given one); asserts the 303. */
export async function signUp(
  app: TestApp,
  email: string,
  opts: { password?: string; browser?: Client; userAgent?: string } = {},
): Promise<{ browser: Client; res: Response }> {
  const browser = opts.browser ?? app.client();
  const headers = opts.userAgent ? { "user-agent": opts.userAgent } : undefined;
  await browser.get("/register", headers);
  const password = opts.password ?? PASSWORD;
  const res = await browser.post("/register", { email, password, confirm: password }, headers ? { headers } : {});
  assert.equal(res.status, 303, `registering ${email}`);
  return { browser, res };
}

/** POSTs a /confirm/… link from a browser without a session; asserts it worked. */
export async function confirmLink(app: TestApp, path: string): Promise<void> {
  const res = await (await device(app)).post(path);
  assert.equal(res.status, 303, `confirming ${path}`);
  assert.equal(res.location, "/confirmed");
}

/** Signs up and confirms through the emailed link; the sign-up browser stays signed in (confirmed). */
export async function confirmedUser(app: TestApp, email: string, opts: { password?: string; userAgent?: string } = {}): Promise<Client> {
  const { browser } = await signUp(app, email, opts);
  await confirmLink(app, linkPath(await app.sink!.waitFor(email), app.config.baseUrl));
  return browser;
}

/** Signs in from a new browser. */
export async function signIn(
  app: TestApp,
  email: string,
  password = PASSWORD,
  opts: { userAgent?: string; next?: string } = {},
): Promise<{ browser: Client; res: Response }> {
  const browser = app.client();
  const headers = opts.userAgent ? { "user-agent": opts.userAgent } : undefined;
  await browser.get("/login", headers);
  const res = await browser.post("/login", { email, password, ...(opts.next ? { next: opts.next } : {}) }, headers ? { headers } : {});
  return { browser, res };
}

/** True when the pair signs in (303), false on 401; anything else fails the test. */
export async function canSignIn(app: TestApp, email: string, password: string): Promise<boolean> {
  const { res } = await signIn(app, email, password);
  assert.ok(res.status === 303 || res.status === 401, `login answered ${res.status}`);
  return res.status === 303;
}

/** A fresh browser that sends only the given session cookie value (a kept or stolen copy). */
export function replaySession(app: TestApp, value: string): Client {
  const c = app.client();
  c.cookies.set("session", value);
  return c;
}

/** Whether the browser's session reaches /profile (200), rather than being sent to sign in. */
export async function isSignedIn(browser: Client): Promise<boolean> {
  const res = await browser.get("/profile");
  if (res.status === 200) return true;
  assert.equal(res.status, 303);
  assert.match(res.location ?? "", /^\/login\b/, "a signed-out browser is sent to sign in");
  return false;
}

/**
 * Waits until the outbox has nothing left to send, so a test can then assert that some
 * address received nothing (rather than "nothing yet").
 */
export async function mailSettled(app: TestApp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await app.service.deps.db.kysely
      .selectFrom("outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("status", "=", "pending")
      .executeTakeFirstOrThrow();
    if (Number(pending.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`outbox still has ${pending.n} pending mail(s)`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The mails to `address` whose subject matches. */
export function mailsLike(app: TestApp, address: string, subject: RegExp): ReceivedMail[] {
  return app.sink!.to(address).filter((m) => subject.test(m.subject));
}

/** Waits for the `count`-th mail to `address` whose subject matches; returns it. */
export async function waitForMail(app: TestApp, address: string, subject: RegExp, count = 1, timeoutMs = 10_000): Promise<ReceivedMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = mailsLike(app, address, subject);
    if (got.length >= count) return got[count - 1]!;
    if (Date.now() > deadline) {
      const seen = app.sink!.to(address).map((m) => m.subject);
      throw new Error(`timed out waiting for mail #${count} like ${subject} to ${address} (saw ${JSON.stringify(seen)})`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The cookie names and attributes a response sets, values left out. */
export function cookieShapes(res: Response): string[] {
  return res.headers
    .getSetCookie()
    .map((line) => {
      const c = parseSetCookie(line);
      return JSON.stringify({ name: c.name, path: c.path, maxAge: c.maxAge, httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite, domain: c.domain });
    })
    .sort();
}

/** Sorted header names of a response. */
export function headerNames(res: Response): string[] {
  return [...res.headers.keys()].sort();
}

/** A page body with everything per-request (CSRF token values) blanked out. */
export function withoutCsrf(text: string): string {
  return text.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');
}
