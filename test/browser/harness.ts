import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AxeBuilder } from "@axe-core/playwright";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type CDPSession, type Page } from "playwright-core";
import { startTestApp, TEST_BASE_URL, type TestApp, type TestAppOptions } from "../helpers/app.ts";

/**
 * The browser half of the suite: the real app (dev mailbox on, no SMTP) and Debian's Chromium
 * driven by playwright-core. One browser per test file, a fresh context per "device".
 *
 * The browser reaches the app at BASE_URL (http://latchkey.test): Chromium maps that host to
 * the app's random port, so emailed links, cookies and the same-origin checks all see the one
 * origin a user would.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ORIGIN = TEST_BASE_URL;

const HERE = dirname(fileURLToPath(import.meta.url));
export const SCREENSHOT_DIR = join(HERE, "..", "..", "docs", "screenshots");

/** Widths every page is checked at: a desktop and a small phone (iPhone 12–15). */
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/**
 * The reason to skip the browser tests, or undefined to run them. Without Chromium a test run
 * says so once and skips; with CI=true a missing browser is a failure, never a skip.
 */
export function browserSkip(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.env.CI === "true") assert.fail(`CI=true but ${CHROMIUM} is missing (apt-get install -y chromium)`);
  console.log(`# browser tests skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
  return `${CHROMIUM} not found`;
}

export interface BrowserApp {
  readonly app: TestApp;
  readonly browser: Browser;
  /** A new "device": its own cookies, reaching the app at ORIGIN. */
  device(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a new device. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  close(): Promise<void>;
}

/** Starts the app (dev mailbox, no SMTP) and one Chromium for the whole file. */
export async function startBrowserApp(options: TestAppOptions = {}): Promise<BrowserApp> {
  const app = await startTestApp({ smtp: false, ...options });
  const port = new URL(app.url).port;
  const host = new URL(ORIGIN).host;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // playwright gives every launch a fresh temporary profile (--user-data-dir) and removes it on close.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--host-resolver-rules=MAP ${host} 127.0.0.1:${port}`,
      // WebAuthn (passkeys) needs a secure context; the test origin is plain http.
      `--unsafely-treat-insecure-origin-as-secure=${ORIGIN}`,
    ],
  });
  const contexts: BrowserContext[] = [];
  const device = async (opts: BrowserContextOptions = {}) => {
    const context = await browser.newContext({ baseURL: ORIGIN, viewport: DESKTOP, ...opts });
    context.setDefaultTimeout(10_000);
    contexts.push(context);
    return context;
  };
  return {
    app,
    browser,
    device,
    newPage: async (opts) => (await device(opts)).newPage(),
    async close() {
      await Promise.allSettled(contexts.map((c) => c.close()));
      await browser.close();
      await app.close();
    },
  };
}

/**
 * Axe (WCAG 2.x A and AA rules, best practices) on the page as it is now; fails listing every
 * violation. Frames sandboxed without scripts are left out: axe cannot run inside them and
 * would wait for them forever (the dev mailbox's email frame; its HTML is checked on its own).
 */
export async function expectNoAxeViolations(
  page: Page,
  label = page.url(),
  only: { rules?: string[]; bestPractice?: boolean } = {},
): Promise<void> {
  const axe = new AxeBuilder({ page }).exclude("iframe[sandbox]");
  if (only.rules) axe.withRules(only.rules);
  else axe.withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", ...(only.bestPractice === false ? [] : ["best-practice"])]);
  const results = await axe.analyze();
  const found = results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(found, [], `axe violations on ${label}`);
}

/** How far the page scrolls sideways (0 when nothing is wider than the viewport). */
export async function sidewaysScroll(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Writes docs/screenshots/NAME-WIDTH.png, only when SCREENSHOTS=1 (so test runs leave git clean). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS !== "1") return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${width}.png`), fullPage: true });
}

/** The newest message to `to` in the dev mailbox, opened in `page` (the mailbox is polled). */
export async function openMail(page: Page, to: string, subject: RegExp): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await page.goto(`/dev/mail?to=${encodeURIComponent(to)}`);
    const item = page.locator(".mail-list li", { has: page.locator(".subject", { hasText: subject }) }).first();
    if (await item.count()) {
      await item.locator(".subject").click();
      return;
    }
    await page.waitForTimeout(100);
  }
  assert.fail(`no "${subject}" mail to ${to} in the dev mailbox`);
}

/**
 * A virtual WebAuthn authenticator in the context of `page` (Chrome DevTools Protocol), for
 * passkey flows: resident keys and user verification on, like a platform authenticator.
 */
export async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

export const PASSWORD = "correct horse battery staple";

/** Signs up through the form; the page ends on "check your inbox". */
export async function signUpIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto("/register");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Repeat the password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/unconfirmed");
}

/** Whether the device reaches /profile, rather than being sent to sign in (or to /login/2fa). */
export async function signedIn(page: Page): Promise<boolean> {
  await page.goto("/profile");
  return new URL(page.url()).pathname === "/profile";
}

/** Signs in through the form. */
export async function signInIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => url.pathname !== "/login");
}

/** Opens the newest matching mail's text view in `page` and follows its first BASE_URL link. */
export async function followMailLink(page: Page, to: string, subject: RegExp): Promise<void> {
  await openMail(page, to, subject);
  await page.getByRole("link", { name: "Text", exact: true }).click();
  await page.locator(`.mail-text a[href^="${ORIGIN}/"]`).first().click();
}

/** A signed-in, confirmed account in a new device (confirmed through the dev mailbox). */
export async function confirmedAccount(b: BrowserApp, email: string): Promise<Page> {
  const page = await b.newPage();
  await signUpIn(page, email);
  await followMailLink(page, email, /confirm/i);
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.waitForURL("**/confirmed");
  return page;
}
