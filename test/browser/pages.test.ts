import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { createAdmin } from "../../src/accounts/admin.ts";
import { addEndpoint } from "../../src/events/endpoints.ts";
import { listDevMail } from "../../src/mail/dev-mailbox.ts";
import {
  browserSkip,
  confirmedAccount,
  expectNoAxeViolations,
  openMail,
  ORIGIN,
  PASSWORD,
  PHONE,
  screenshot,
  sidewaysScroll,
  signInIn,
  signUpIn,
  startBrowserApp,
  type BrowserApp,
} from "./harness.ts";

const skip = browserSkip();

type Who = "visitor" | "unconfirmed" | "member" | "admin";

/**
 * Every page people see, as one line each: who looks at it, how it is reached, the status it
 * answers with, and (for the main pages) the name of its screenshot. Adding a page is one line.
 */
interface PageCheck {
  readonly name: string;
  readonly who: Who;
  /** A path, or the path found at run time (dev mailbox ids, emailed links). */
  readonly path: string | (() => string);
  readonly status?: number;
  /** After loading: what the visitor does to reach this state (a form sent with errors…). */
  readonly then?: (page: Page) => Promise<unknown>;
  readonly screenshot?: string;
  /** The browser's language (Accept-Language), for the German pages. */
  readonly locale?: string;
}

const submit = (page: Page, action: string) => page.locator(`main form[action="${action}"] button[type=submit]`).first().click();

/** Sends the resend form past its disabled button, twice: the second is always too soon. */
async function resendTwice(page: Page): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await Promise.all([page.waitForNavigation(), page.evaluate(() => document.querySelector<HTMLFormElement>('form[action="/resend"]')!.submit())]);
  }
}

let mailId = "";
let resetPath = "";
let memberId = "";

const PAGES: PageCheck[] = [
  { name: "home (visitor)", who: "visitor", path: "/", screenshot: "home" },
  { name: "home (signed in)", who: "member", path: "/", screenshot: "home-signed-in" },
  { name: "sign-up", who: "visitor", path: "/register", screenshot: "register" },
  { name: "sign-up with errors", who: "visitor", path: "/register", status: 422, then: (p) => submit(p, "/register"), screenshot: "register-errors" },
  { name: "sign-in", who: "visitor", path: "/login", screenshot: "login" },
  { name: "sign-in refused", who: "visitor", path: "/login", status: 401, then: (p) => submit(p, "/login") },
  { name: "check your inbox", who: "unconfirmed", path: "/unconfirmed", screenshot: "unconfirmed" },
  { name: "resend too soon (429)", who: "unconfirmed", path: "/unconfirmed", status: 429, then: resendTwice },
  { name: "wrong confirmation code", who: "unconfirmed", path: "/unconfirmed", status: 400, then: (p) => p.getByLabel("Confirmation code").fill("AAAA-AAAA").then(() => submit(p, "/confirm")) },
  { name: "confirmation link that does not work", who: "visitor", path: "/confirm/not-a-real-token", status: 400 },
  { name: "profile", who: "member", path: "/profile", screenshot: "profile" },
  { name: "profile with errors", who: "member", path: "/profile", status: 422, then: (p) => submit(p, "/profile/email") },
  { name: "signed-in devices", who: "member", path: "/sessions", screenshot: "sessions" },
  { name: "forgot password", who: "visitor", path: "/forgot", screenshot: "forgot" },
  { name: "reset link sent", who: "visitor", path: "/forgot/sent" },
  { name: "choose a new password", who: "visitor", path: () => resetPath, screenshot: "reset" },
  { name: "reset link that does not work", who: "visitor", path: "/reset/not-a-real-token", status: 400 },
  { name: "form expired (403)", who: "visitor", path: "/login", status: 403, then: (p) => p.evaluate(() => { document.querySelector<HTMLInputElement>("main input[name=_csrf]")!.value = "forged"; }).then(() => submit(p, "/login")) },
  { name: "not found (404)", who: "visitor", path: "/no-such-page", status: 404 },
  { name: "admin: not for members (403)", who: "member", path: "/admin", status: 403 },
  { name: "admin dashboard", who: "admin", path: "/admin", screenshot: "admin" },
  { name: "admin dashboard by week", who: "admin", path: "/admin?by=week" },
  { name: "admin: accounts", who: "admin", path: "/admin/users", screenshot: "admin-users" },
  { name: "admin: one account found", who: "admin", path: "/admin/users?q=member%40example.com" },
  { name: "admin: one account", who: "admin", path: () => `/admin/users/${memberId}`, screenshot: "admin-account" },
  { name: "admin: audit log", who: "admin", path: "/admin/events" },
  { name: "admin: mail", who: "admin", path: "/admin/mail" },
  { name: "admin: webhooks", who: "admin", path: "/admin/webhooks", screenshot: "admin-webhooks" },
  { name: "admin: webhook refused (422)", who: "admin", path: "/admin/webhooks", status: 422, then: (p) => p.locator("#url").fill("http://10.0.0.1/hook").then(() => submit(p, "/admin/webhooks")) },
  { name: "admin: webhook added, its secret shown once", who: "admin", path: "/admin/webhooks", status: 201, then: (p) => p.locator("#url").fill("https://192.0.2.10/hook").then(() => p.getByLabel("user.deleted").check()).then(() => submit(p, "/admin/webhooks")) },
  { name: "admin: not found", who: "admin", path: "/admin/no-such-page", status: 404 },
  { name: "two-step sign-in", who: "member", path: "/profile/2fa", screenshot: "two-factor" },
  { name: "passkeys", who: "member", path: "/profile/passkeys", screenshot: "passkeys" },
  { name: "confirm it is you", who: "member", path: "/reauth?next=%2Fprofile" },
  { name: "sign-up (German)", who: "visitor", path: "/register", locale: "de-DE", screenshot: "register-de" },
  { name: "sign-up with errors (German)", who: "visitor", path: "/register", status: 422, locale: "de-DE", then: (p) => submit(p, "/register") },
  { name: "reset link sent (German)", who: "visitor", path: "/forgot/sent", locale: "de-DE" },
  // The admin has no stored language (made by the CLI), so its browser's German applies.
  { name: "two-step sign-in (German)", who: "admin", path: "/profile/2fa", locale: "de-DE" },
  { name: "passkeys (German)", who: "admin", path: "/profile/passkeys", locale: "de-DE" },
  { name: "admin dashboard (German)", who: "admin", path: "/admin", locale: "de-DE" },
  { name: "admin: one account (German)", who: "admin", path: () => `/admin/users/${memberId}`, locale: "de-DE" },
  { name: "dev mailbox", who: "visitor", path: "/dev/mail", screenshot: "dev-mail" },
  { name: "dev mailbox: HTML part", who: "visitor", path: () => `/dev/mail/${mailId}`, screenshot: "dev-mail-message" },
  { name: "dev mailbox: text part", who: "visitor", path: () => `/dev/mail/${mailId}?view=text` },
  { name: "dev mailbox: headers", who: "visitor", path: () => `/dev/mail/${mailId}?view=headers` },
  { name: "dev mailbox: raw", who: "visitor", path: () => `/dev/mail/${mailId}?view=raw` },
];

/** An endpoint (subscribed to an event no page causes) and one delivery the worker gave up on, for /admin/webhooks. */
async function seedWebhook(b: BrowserApp): Promise<void> {
  const deps = b.app.service.deps;
  const now = b.app.clock.now();
  const endpoint = await addEndpoint({ db: deps.db, key: deps.keys.webhook, allowPrivate: true, now }, { url: "http://127.0.0.1:9/hook", events: "user.deleted" });
  await deps.db.kysely
    .insertInto("outbox")
    .values({ id: `msg_seeded.${endpoint.id}`, message_id: "msg_seeded", kind: "user.deleted", payload: "{}", status: "failed", attempts: 8, created_at: now, next_attempt_at: now, endpoint_id: endpoint.id, last_error: "receiver answered 500" })
    .execute();
}

describe("in a browser: every page, at 1280 and 390 px, with and without JavaScript", { skip, timeout: 600_000 }, () => {
  let b: BrowserApp;
  const states = {} as Record<Who, Awaited<ReturnType<import("playwright-core").BrowserContext["storageState"]>>>;

  before(async () => {
    b = await startBrowserApp();
    const member = await confirmedAccount(b, "member@example.com");
    memberId = (await b.app.service.deps.db.kysely.selectFrom("users").select("id").where("email_canonical", "=", "member@example.com").executeTakeFirstOrThrow()).id;
    await createAdmin(b.app.service.deps, "admin@example.com", async () => PASSWORD);
    await seedWebhook(b);
    const admin = await b.newPage();
    await signInIn(admin, "admin@example.com");
    const unconfirmed = await b.newPage();
    await signUpIn(unconfirmed, "newcomer@example.com");
    const visitor = await b.newPage();
    await visitor.goto("/forgot");
    await visitor.getByLabel("Email").fill("member@example.com");
    await visitor.getByRole("button", { name: "Email me a link" }).click();
    await openMail(visitor, "member@example.com", /Reset your password/);
    mailId = new URL(visitor.url()).pathname.split("/").pop()!;
    await visitor.getByRole("link", { name: "Text", exact: true }).click();
    resetPath = new URL((await visitor.locator(`.mail-text a[href^="${ORIGIN}/reset/"]`).first().getAttribute("href"))!).pathname;
    for (const [who, page] of [["visitor", visitor], ["unconfirmed", unconfirmed], ["member", member], ["admin", admin]] as const) {
      states[who] = await page.context().storageState();
    }
  });
  after(async () => {
    await b?.close();
  });

  /** One device per identity and kind of browser, shared by the pages it looks at. */
  const devices = new Map<string, BrowserContext>();
  async function deviceOf(who: Who, options: BrowserContextOptions): Promise<BrowserContext> {
    const key = `${who} ${JSON.stringify(options)}`;
    if (!devices.has(key)) devices.set(key, await b.device({ storageState: states[who], ...options }));
    return devices.get(key)!;
  }

  /** Loads the check's page in a device of `who`, and says what it answered. */
  async function load(check: PageCheck, options: BrowserContextOptions): Promise<{ page: Page; status: number }> {
    const page = await (await deviceOf(check.who, check.locale ? { ...options, locale: check.locale } : options)).newPage();
    const path = typeof check.path === "string" ? check.path : check.path();
    let status = (await page.goto(path))!.status();
    if (check.then) {
      // The status of the page the visitor ends on (not of any 303 on the way).
      page.on("response", (r) => {
        if (r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400)) status = r.status();
      });
      await check.then(page);
      await page.waitForLoadState();
    }
    assert.equal(status, check.status ?? 200, `${check.name}: ${path} answers ${check.status ?? 200}`);
    await page.locator("h1").waitFor();
    return { page, status };
  }

  test("every page: axe finds no violations (1280 px light; contrast at 390 px dark), nothing scrolls sideways at 390 px", async () => {
    for (const check of PAGES) {
      const { page } = await load(check, {});
      await expectNoAxeViolations(page, check.name);
      if (check.screenshot) await screenshot(page, check.screenshot);
      await page.setViewportSize(PHONE);
      assert.equal(await sidewaysScroll(page), 0, `${check.name} scrolls sideways at 390 px`);
      if (check.screenshot) await screenshot(page, check.screenshot);
      await page.emulateMedia({ colorScheme: "dark" });
      await expectNoAxeViolations(page, `${check.name} (390 px, dark)`, { rules: ["color-contrast"] });
      await page.close();
    }
  });

  test("every page works with JavaScript off: same status, its forms carry _csrf, nothing scrolls sideways at 390 px", async () => {
    for (const check of PAGES) {
      const { page } = await load(check, { javaScriptEnabled: false, viewport: PHONE });
      assert.equal(await page.locator("script:not([src])").count(), 0, "no inline scripts (CSP)");
      assert.equal(await page.locator(".password button").count(), 0, "no show/hide buttons without JavaScript");
      for (const form of await page.locator("main form[method=post]").all()) {
        assert.equal(await form.locator("input[name=_csrf]").count(), 1, `${check.name}: every form carries _csrf`);
      }
      assert.equal(await sidewaysScroll(page), 0, `${check.name} scrolls sideways at 390 px without JavaScript`);
      await page.close();
    }
  });

  test("without JavaScript: sign up, confirm with the code, change the password, sign out", async () => {
    const page = await b.newPage({ javaScriptEnabled: false });
    await signUpIn(page, "no.script@example.com");
    const mailbox = await b.newPage({ javaScriptEnabled: false });
    await openMail(mailbox, "no.script@example.com", /Confirm your email address/);
    await mailbox.getByRole("link", { name: "Text", exact: true }).click();
    const code = /\b([A-Z0-9]{4}-[A-Z0-9]{4})\b/.exec(await mailbox.locator(".mail-text").innerText())![1]!;
    await page.getByLabel("Confirmation code").fill(code);
    await submit(page, "/confirm");
    await page.waitForURL("**/confirmed");
    await page.getByRole("link", { name: /Continue/ }).click();
    const form = page.locator('form[action="/profile/password"]');
    await form.getByLabel("Current password").fill(PASSWORD);
    await form.getByLabel("New password", { exact: true }).fill("quiet lantern over shallow river");
    await form.getByLabel("Repeat the new password").fill("quiet lantern over shallow river");
    await submit(page, "/profile/password");
    await page.waitForURL("**/profile?done=password");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${ORIGIN}/`);
    assert.match(await page.locator("main").innerText(), /not signed in/);
  });

  test("the HTML part of every kind of email sent in this run passes axe too", async () => {
    const kinds = new Map((await listDevMail(b.app.service.deps)).map((m) => [m.mail.kind, m.mail.html]));
    assert.ok(kinds.size >= 3, `several kinds of email (${[...kinds.keys()].join(", ")})`);
    const page = await b.newPage();
    for (const [kind, html] of kinds) {
      await page.setContent(html);
      // An email is not a page (no landmarks, no h1): the WCAG rules, not the page best practices.
      await expectNoAxeViolations(page, `the ${kind} email`, { bestPractice: false });
    }
  });

  test("the password show/hide toggle reveals and hides the field, and the favicon loads", async () => {
    const page = await b.newPage();
    await page.goto("/login");
    const field = page.getByLabel("Password", { exact: true });
    await field.fill("secret words");
    const toggle = page.getByRole("button", { name: "Show password" });
    assert.equal(await toggle.getAttribute("aria-pressed"), "false");
    await toggle.click();
    assert.equal(await field.getAttribute("type"), "text");
    assert.equal(await page.getByRole("button", { name: "Hide password" }).getAttribute("aria-pressed"), "true");
    await page.getByRole("button", { name: "Hide password" }).click();
    assert.equal(await field.getAttribute("type"), "password");

    const icon = await page.evaluate(async () => {
      const href = document.querySelector<HTMLLinkElement>("link[rel=icon]")!.href;
      const [linked, legacy] = await Promise.all([fetch(href), fetch("/favicon.ico")]);
      return [linked.status, legacy.status, linked.headers.get("content-type")];
    });
    assert.deepEqual(icon, [200, 200, "image/svg+xml"]);
  });
});
