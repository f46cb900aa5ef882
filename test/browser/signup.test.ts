import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { browserSkip, openMail, ORIGIN, PASSWORD, signUpIn, startBrowserApp, type BrowserApp } from "./harness.ts";

const skip = browserSkip();

describe("in a browser: sign-up and confirmation", { skip, timeout: 600_000 }, () => {
  let b: BrowserApp;
  before(async () => {
    b = await startBrowserApp();
  });
  after(async () => {
    await b?.close();
  });

  test("sign-up, the link opened from the dev mailbox on another device, Confirm: the first tab moves on by itself", async () => {
    const laptop = await b.newPage();
    await signUpIn(laptop, "link.user@example.com");
    assert.match(await laptop.locator("main").innerText(), /link\.user@example\.com/);

    const phone = await b.newPage();
    await openMail(phone, "link.user@example.com", /Confirm your email address/);
    // The HTML part, in its sandboxed frame: its link opens in a new tab outside the sandbox.
    const frame = phone.frameLocator("iframe.mail-html");
    const [tab] = await Promise.all([phone.waitForEvent("popup"), frame.locator(`a[href^="${ORIGIN}/confirm/"]`).click()]);
    await tab.getByRole("button", { name: "Confirm" }).click();
    await tab.waitForURL("**/confirmed");
    assert.match(await tab.locator("main").innerText(), /confirmed/i);

    // Nobody touches the first tab: it polls and leaves "check your inbox" on its own.
    await laptop.waitForURL((url) => url.pathname !== "/unconfirmed", { timeout: 20_000 });
    assert.deepEqual(await laptop.evaluate(() => fetch("/unconfirmed/status").then((r) => r.json())), { confirmed: true });
  });

  test("the code from the email, typed on the sign-up tab, confirms the address", async () => {
    const laptop = await b.newPage();
    await signUpIn(laptop, "code.user@example.com");
    const phone = await b.newPage();
    await openMail(phone, "code.user@example.com", /Confirm your email address/);
    await phone.getByRole("link", { name: "Text", exact: true }).click();
    const code = /\b([A-Z0-9]{4}-[A-Z0-9]{4})\b/.exec(await phone.locator(".mail-text").innerText())?.[1];
    assert.ok(code, "the text part carries a code");

    await laptop.getByLabel("Confirmation code").fill(code);
    await laptop.getByRole("button", { name: "Confirm", exact: true }).click();
    await laptop.waitForURL("**/confirmed");
    assert.match(await laptop.locator("main").innerText(), /confirmed/i);
  });

  test("a wrong code is refused on the page, with the field still there", async () => {
    const laptop = await b.newPage();
    await signUpIn(laptop, "wrong.code@example.com");
    await laptop.getByLabel("Confirmation code").fill("AAAA-AAAA");
    await laptop.getByRole("button", { name: "Confirm", exact: true }).click();
    assert.equal(new URL(laptop.url()).pathname, "/confirm");
    assert.match(await laptop.getByRole("alert").first().innerText(), /code/i);
    await assert.doesNotReject(laptop.getByLabel("Confirmation code").waitFor());
  });

  test("a resend too soon: the button counts down the cooldown, then sends another email", async () => {
    const laptop = await b.newPage();
    await signUpIn(laptop, "resend.user@example.com");
    const resend = laptop.getByRole("button", { name: /send it again/ });
    await resend.click();
    assert.match(await laptop.getByRole("alert").innerText(), /less than a minute ago/);
    assert.ok(await resend.isDisabled(), "the button waits");
    const first = await countdownSeconds(laptop);
    assert.ok(first > 50 && first <= 60, `counts from about a minute (${first} s)`);
    await laptop.waitForFunction((start) => {
      const text = document.querySelector("[data-countdown]")?.textContent ?? "";
      const n = /(\d+) s/.exec(text);
      return n !== null && Number(n[1]) < start;
    }, first);

    b.app.clock.advance(61_000);
    await laptop.goto("/unconfirmed");
    assert.ok(await resend.isEnabled(), "after the cooldown the button is live again");
    assert.equal(await laptop.locator("[data-countdown]").count(), 0);
    await resend.click();
    await laptop.waitForURL("**/unconfirmed");
    assert.equal(await laptop.getByRole("alert").count(), 0, "sent");

    const phone = await b.newPage();
    await phone.goto(`/dev/mail?to=${encodeURIComponent("resend.user@example.com")}`);
    await phone.waitForFunction(() => document.querySelectorAll(".mail-list li").length === 2);
  });

  test("sign-up and sign-in by keyboard alone, in a sensible order, with a visible focus", async () => {
    const page = await b.newPage();
    await page.goto("/register");
    const order = await tabOrder(page, 9);
    assert.deepEqual(order.slice(order.indexOf("email")), ["email", "password", "Show password", "confirm", "Show password", "Create account", "Sign in"].slice(0, order.length - order.indexOf("email")));
    await page.goto("/register");
    await tabTo(page, "email");
    assert.ok(await focusVisible(page), "the focused field has a visible outline");
    await page.keyboard.type("keys.only@example.com");
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Tab"); // the show/hide button
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await page.waitForURL("**/unconfirmed");

    // Sign out by keyboard, then sign in again.
    await tabTo(page, "Sign out");
    assert.ok(await focusVisible(page), "buttons show their focus too");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${ORIGIN}/`);
    await page.goto("/login");
    await tabTo(page, "email");
    await page.keyboard.type("keys.only@example.com");
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await page.waitForURL("**/unconfirmed");
  });
});

async function countdownSeconds(page: Page): Promise<number> {
  const text = (await page.locator("[data-countdown]").textContent()) ?? "";
  const minutes = /(\d+) min/.exec(text)?.[1] ?? /(\d+) minute/.exec(text)?.[1];
  const seconds = /(\d+) s/.exec(text)?.[1] ?? /(\d+) second/.exec(text)?.[1];
  return Number(minutes ?? 0) * 60 + Number(seconds ?? 0);
}

/** What the focused element is, for a person: a field's name, a button's or link's text. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return "";
    if (el instanceof HTMLInputElement) return el.name;
    return el.getAttribute("aria-label") ?? el.textContent?.trim() ?? "";
  });
}

async function tabOrder(page: Page, steps: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < steps; i++) {
    await page.keyboard.press("Tab");
    seen.push(await focused(page));
  }
  return seen;
}

async function tabTo(page: Page, target: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press("Tab");
    if ((await focused(page)) === target) return;
  }
  assert.fail(`Tab never reached ${target}`);
}

function focusVisible(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return false;
    const style = getComputedStyle(el);
    return el.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  });
}
