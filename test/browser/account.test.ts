import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { createAdmin } from "../../src/accounts/admin.ts";
import { browserSkip, confirmedAccount, followMailLink, PASSWORD, signedIn, signInIn, signUpIn, startBrowserApp, type BrowserApp } from "./harness.ts";

const skip = browserSkip();
const NEW_PASSWORD = "quiet lantern over shallow river";
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/** Follows the error summary's link for `field` and says which input got the focus. */
async function summaryFocuses(page: Page, message: RegExp): Promise<string> {
  const summary = page.locator(".error-summary");
  assert.ok(await summary.isVisible(), "an error summary at the top of the form");
  await summary.getByRole("link", { name: message }).click();
  return page.evaluate(() => document.activeElement?.id ?? "");
}

describe("in a browser: password reset, profile changes, devices, admin", { skip, timeout: 600_000 }, () => {
  let b: BrowserApp;
  before(async () => {
    b = await startBrowserApp();
  });
  after(async () => {
    await b?.close();
  });

  test("forgot password → the emailed link → a new password; the old one stops working", async () => {
    await (await confirmedAccount(b, "forgetful@example.com")).context().close();
    const page = await b.newPage();
    await page.goto("/login");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByLabel("Email").fill("forgetful@example.com");
    await page.getByRole("button", { name: "Email me a link" }).click();
    await page.waitForURL("**/forgot/sent");

    const phone = await b.newPage();
    await followMailLink(phone, "forgetful@example.com", /Reset your password/);
    await phone.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await phone.getByLabel("Repeat the new password").fill("something else entirely");
    await phone.getByRole("button", { name: "Set the new password" }).click();
    assert.equal(await summaryFocuses(phone, /match/i), "confirm", "the summary's link leads to the field");
    await phone.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await phone.getByLabel("Repeat the new password").fill(NEW_PASSWORD);
    await phone.getByRole("button", { name: "Set the new password" }).click();
    await phone.waitForURL("**/login");

    await page.goto("/login");
    await page.getByLabel("Email").fill("forgetful@example.com");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    assert.equal(new URL(page.url()).pathname, "/login", "the old password is refused");
    await signInIn(page, "forgetful@example.com", NEW_PASSWORD);
    assert.ok(await signedIn(page), "the new one signs in");
  });

  test("change of password: the other device is signed out, this one stays", async () => {
    const laptop = await confirmedAccount(b, "changer@example.com");
    const phone = await b.newPage({ userAgent: IPHONE });
    await signInIn(phone, "changer@example.com");
    assert.ok(await signedIn(phone));

    await laptop.goto("/profile");
    const form = laptop.locator('form[action="/profile/password"]');
    await form.getByLabel("Current password").fill("not my password at all");
    await form.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await form.getByLabel("Repeat the new password").fill(NEW_PASSWORD);
    await form.getByRole("button", { name: "Change password" }).click();
    assert.equal(await summaryFocuses(laptop, /current password/i), "current_password");

    const again = laptop.locator('form[action="/profile/password"]');
    await again.getByLabel("Current password").fill(PASSWORD);
    await again.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await again.getByLabel("Repeat the new password").fill(NEW_PASSWORD);
    await again.getByRole("button", { name: "Change password" }).click();
    await laptop.waitForURL("**/profile?done=password");
    assert.match(await laptop.getByRole("status").innerText(), /password was changed/i);
    assert.ok(await signedIn(laptop), "this device stays signed in");
    assert.equal(await signedIn(phone), false, "the other device is signed out");
  });

  test("change of email: the link goes to the new address and the change happens when it is confirmed", async () => {
    const laptop = await confirmedAccount(b, "mover@example.com");
    await laptop.goto("/profile");
    const form = laptop.locator('form[action="/profile/email"]');
    await form.getByLabel("New email address").fill("moved@example.com");
    await form.getByLabel("Current password").fill("wrong password here");
    await form.getByRole("button", { name: "Send a confirmation link" }).click();
    // Two forms on the page ask for the current password: the link must reach this form's field.
    assert.equal(await summaryFocuses(laptop, /current password/i), "email_current_password");
    assert.equal(await laptop.locator("#email_current_password").getAttribute("name"), "current_password");
    assert.equal(await laptop.locator('label[for="email_current_password"]').innerText(), "Current password");

    await laptop.locator("#email_current_password").fill(PASSWORD);
    await laptop.locator('form[action="/profile/email"]').getByRole("button", { name: "Send a confirmation link" }).click();
    await laptop.waitForURL("**/profile?done=email");
    assert.match(await laptop.locator("main").innerText(), /moved@example\.com/);

    const phone = await b.newPage();
    await followMailLink(phone, "moved@example.com", /new email address/i);
    await phone.getByRole("button", { name: "Confirm" }).click();
    await phone.waitForURL("**/confirmed");
    await laptop.goto("/profile");
    assert.match(await laptop.locator("dl").innerText(), /^Email\s+moved@example\.com/m);
  });

  test("the devices page: revoking the other device signs it out at once", async () => {
    const laptop = await confirmedAccount(b, "two.devices@example.com");
    const phone = await b.newPage({ userAgent: IPHONE });
    await signInIn(phone, "two.devices@example.com");
    assert.ok(await signedIn(phone));

    await laptop.goto("/profile");
    await laptop.getByRole("link", { name: "Your signed-in devices" }).click();
    const rows = laptop.locator("tr[data-session]");
    assert.equal(await rows.count(), 2);
    const other = rows.filter({ hasText: /iPhone|Safari/ });
    assert.equal(await other.count(), 1, "the phone is listed by its browser");
    await other.getByRole("button", { name: "Revoke" }).click();
    await laptop.waitForURL("**/sessions");
    assert.equal(await laptop.locator("tr[data-session]").count(), 1);
    assert.equal(await signedIn(phone), false, "the phone is signed out");
    assert.ok(await signedIn(laptop));
  });

  test("admin: the cohort chart shows today's sign-ups and their confirmation, by day and by week", async () => {
    await createAdmin(b.app.service.deps, "boss@example.com", async () => PASSWORD);
    await signUpIn(await b.newPage(), "never.confirms@example.com");
    const page = await b.newPage();
    await signInIn(page, "boss@example.com");
    await page.getByRole("link", { name: "Admin" }).first().click();
    await page.waitForURL("**/admin");

    const today = new Date(b.app.clock.now()).toISOString().slice(0, 10);
    const row = page.locator(`tr[data-cohort="${today}"]`);
    const cells = await row.locator("td").allInnerTexts();
    const registered = Number(cells[1]);
    const ever = Number(/\((\d+)\)/.exec(cells.at(-1)!)?.[1]);
    const accounts = await b.app.service.deps.db.kysely.selectFrom("users").select(["confirmed_on"]).execute();
    assert.equal(registered, accounts.length, "every account of this run signed up today");
    assert.equal(ever, accounts.filter((a) => a.confirmed_on !== null).length);
    assert.ok(ever < registered, "someone never confirmed");

    // The chart's last bar is today: its "ever" band is that share of the full height.
    const chart = page.getByRole("img", { name: /Share of each cohort/ });
    const band = chart.locator("g").last().locator("rect.band-3");
    const height = Number(await band.getAttribute("height"));
    assert.ok(Math.abs(height - (ever / registered) * 100) < 0.01, `bar height ${height} for ${ever}/${registered}`);
    assert.match((await chart.locator("g").last().locator("title").textContent()) ?? "", new RegExp(`${today}: ${registered} sign-ups`));

    await page.getByRole("link", { name: /By week/ }).click();
    await page.waitForURL("**/admin?by=week");
    assert.equal(await page.locator("tr[data-cohort]").count() > 0, true);
    assert.match(await page.locator("table.cohorts").innerText(), /week of/);
  });
});
