import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Secret, TOTP } from "otpauth";
import type { Page } from "playwright-core";
import { browserSkip, confirmedAccount, expectNoAxeViolations, startBrowserApp, virtualAuthenticator, type BrowserApp } from "./harness.ts";

const skip = browserSkip();

/** Whether the device reaches /profile, rather than being sent to sign in. */
async function signedIn(page: Page): Promise<boolean> {
  await page.goto("/profile");
  return new URL(page.url()).pathname === "/profile";
}

async function signOut(page: Page): Promise<void> {
  await page.goto("/profile");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((url) => url.pathname === "/");
}

async function addPasskey(page: Page, name: string): Promise<void> {
  await page.goto("/profile/passkeys");
  await page.getByLabel("Name of the new passkey").fill(name);
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.locator("tr[data-passkey]", { hasText: name }).waitFor();
}

/** A browser without passkey autofill: /login then offers only the button. */
async function withoutAutofill(page: Page): Promise<void> {
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
}

describe("in a browser: passkeys and two-step sign-in", { skip, timeout: 120_000 }, () => {
  let b: BrowserApp;
  before(async () => {
    b = await startBrowserApp();
  });
  after(async () => {
    await b?.close();
  });

  test("add a passkey on /profile/passkeys, sign out, sign in with it from /login", async () => {
    const page = await confirmedAccount(b, "keyholder@example.com");
    const { cdp, authenticatorId } = await virtualAuthenticator(page);
    await addPasskey(page, "Laptop");
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    assert.equal(credentials.length, 1, "the authenticator holds one resident key");
    await signOut(page);
    assert.equal(await signedIn(page), false);

    // Autofill (conditional mediation): Chromium's virtual authenticator answers a conditional
    // request at once with its one resident key, so opening /login is enough.
    await page.goto("/login");
    await page.waitForURL((url) => url.pathname === "/");
    assert.ok(await signedIn(page), "signed in by autofill, no click");
    await signOut(page);

    // A browser without autofill gets the button.
    await withoutAutofill(page);
    await page.goto("/login");
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.waitForURL((url) => url.pathname === "/");
    assert.ok(await signedIn(page), "signed in by the button");
  });

  test("a passkey that did not verify its user (no PIN, no biometrics) does not sign in", async () => {
    const page = await confirmedAccount(b, "unverified@example.com");
    const { cdp, authenticatorId } = await virtualAuthenticator(page);
    await addPasskey(page, "Shared tablet");
    await signOut(page);
    await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: false });
    await withoutAutofill(page);

    // The page asks for user verification: the browser's own ceremony fails.
    await page.goto("/login");
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    const status = page.locator("#passkey-login [role=status]");
    await status.waitFor();
    assert.match((await status.textContent()) ?? "", /did not work/);
    assert.equal(new URL(page.url()).pathname, "/login");
    assert.equal(await signedIn(page), false, "no session");

    // A page that asked for less (as a tampered one could): the server refuses the assertion.
    await page.addInitScript(() => {
      const get = navigator.credentials.get.bind(navigator.credentials);
      navigator.credentials.get = (options) => get({ ...options, publicKey: { ...options!.publicKey!, userVerification: "discouraged" } });
    });
    await page.goto("/login");
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === "/login/passkey");
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    assert.equal((await answer).status(), 400);
    await status.waitFor();
    assert.equal(await status.textContent(), "This passkey did not verify you (PIN or biometrics); sign in with your password.");
    assert.equal(await signedIn(page), false, "no session");
  });
});
