import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Secret, TOTP } from "otpauth";
import type { Page } from "playwright-core";
import { browserSkip, confirmedAccount, expectNoAxeViolations, PASSWORD, signedIn, startBrowserApp, virtualAuthenticator, type BrowserApp } from "./harness.ts";

const skip = browserSkip();

/** Waits for the home page to say who is signed in (where every sign-in here lands). */
async function landedSignedIn(page: Page, email: string): Promise<void> {
  await page.waitForURL((url) => url.pathname === "/");
  await page.locator("main").getByText(`You are signed in as ${email}.`).waitFor();
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

describe("in a browser: passkeys and two-step sign-in", { skip, timeout: 600_000 }, () => {
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
    await landedSignedIn(page, "keyholder@example.com");
    assert.ok(await signedIn(page), "signed in by autofill, no click");
    await signOut(page);

    // A browser without autofill gets the button.
    await withoutAutofill(page);
    await page.goto("/login");
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await landedSignedIn(page, "keyholder@example.com");
    assert.ok(await signedIn(page), "signed in by the button");
  });

  test("a passkey that did not verify its user (no PIN, no biometrics) does not sign in", async () => {
    const page = await confirmedAccount(b, "unverified@example.com");
    const { cdp, authenticatorId } = await virtualAuthenticator(page);
    await addPasskey(page, "Shared tablet");
    await signOut(page);
    await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: false });
    await withoutAutofill(page);

    // The page asks for user verification, which this authenticator cannot give: the browser
    // refuses the ceremony itself.
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

  /** The account of the two-step tests: TOTP on (its key as the page showed it) and a passkey. */
  const TWO_STEP = "two-step@example.com";
  let totpKey = "";

  /**
   * The code an authenticator app shows for `key` in the next 30-second step of the app's clock
   * (moved, not slept): a code is accepted once, so every sign-in needs a step of its own.
   * Computed by otpauth, not by the app's own RFC 6238 code.
   */
  function nextCode(key: string): string {
    b.app.clock.advance(30_000);
    return codeAt(key, b.app.clock.now());
  }

  function codeAt(key: string, timestamp: number): string {
    return new TOTP({ secret: Secret.fromBase32(key.replace(/\s/g, "")) }).generate({ timestamp });
  }

  /** A code the app cannot accept now (none of the steps its drift window allows). */
  function wrongCode(key: string): string {
    const near = [-1, 0, 1].map((d) => codeAt(key, b.app.clock.now() + d * 30_000));
    return ["000000", "111111", "222222", "333333"].find((c) => !near.includes(c))!;
  }

  /** Email and password on /login; the page ends on the second step. */
  async function passwordStep(page: Page, email: string): Promise<void> {
    await page.goto("/login");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/login/2fa");
  }

  async function enterCode(page: Page, code: string): Promise<void> {
    await page.getByLabel("Code", { exact: true }).fill(code);
    await page.getByRole("button", { name: "Continue" }).click();
  }

  test("turn on TOTP from the key shown as text; sign in by password and code, or password and passkey; re-authenticate by passkey", async () => {
    const page = await confirmedAccount(b, TWO_STEP);
    await page.goto("/profile/2fa");
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    await page.locator("figure.qr svg").waitFor();
    await expectNoAxeViolations(page, "TOTP set-up (QR code, key, code field)");
    totpKey = (await page.locator("[data-totp-key]").textContent()) ?? "";
    assert.match(totpKey, /^[A-Z2-7 ]{32,}$/, "the key as base32 text in groups");

    await page.getByLabel("Code from the app").fill(wrongCode(totpKey));
    await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
    await page.locator("#code-error").waitFor();
    await page.getByLabel("Code from the app").fill(nextCode(totpKey));
    await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
    await page.getByRole("heading", { name: "Two-step sign-in is on" }).waitFor();
    const recovery = await page.locator(".recovery-codes li").allTextContents();
    assert.equal(recovery.length, 10, "10 recovery codes");
    assert.equal(new Set(recovery).size, 10);
    await page.goto("/profile/2fa");
    assert.equal(await page.locator("[data-totp]").getAttribute("data-totp"), "on");

    await signOut(page);
    await passwordStep(page, TWO_STEP);
    assert.equal(await signedIn(page), false, "the password alone opens nothing");
    await page.goto("/login/2fa");
    await expectNoAxeViolations(page, "/login/2fa");
    const code = nextCode(totpKey);
    await enterCode(page, code);
    await landedSignedIn(page, TWO_STEP);
    assert.ok(await signedIn(page), "password and code sign in");

    // The same code again, in the same step: refused.
    await signOut(page);
    await passwordStep(page, TWO_STEP);
    await enterCode(page, code);
    await page.getByText("That code is not right.").waitFor();
    assert.equal(new URL(page.url()).pathname, "/login/2fa");
    assert.equal(await signedIn(page), false);

    // Add a passkey; /login/2fa then offers it in place of the code.
    await page.goto("/login/2fa");
    await enterCode(page, nextCode(totpKey));
    await page.waitForURL((url) => url.pathname === "/");
    await virtualAuthenticator(page);
    await addPasskey(page, "Phone");
    await expectNoAxeViolations(page, "/profile/passkeys with a passkey listed");
    await signOut(page);
    await withoutAutofill(page);
    await passwordStep(page, TWO_STEP);
    await page.getByRole("button", { name: "Use a passkey instead" }).waitFor();
    await expectNoAxeViolations(page, "/login/2fa with the passkey button");
    await page.getByRole("button", { name: "Use a passkey instead" }).click();
    await landedSignedIn(page, TWO_STEP);
    assert.ok(await signedIn(page), "password and passkey sign in");
    await page.goto("/profile/passkeys");
    assert.notEqual(await page.locator("tr[data-passkey]", { hasText: "Phone" }).locator("td").nth(2).textContent(), "never", "last used is set");

    // A stale session (the app's clock moved past REAUTH_TTL) confirms a sensitive change by passkey.
    b.app.clock.advance((b.app.config.reauthTtl + 1) * 1000);
    await page.goto("/profile/2fa");
    await page.getByRole("button", { name: "Make new recovery codes" }).click();
    await page.waitForURL((url) => url.pathname === "/reauth");
    await page.getByRole("button", { name: "Confirm with a passkey" }).click();
    await page.waitForURL((url) => url.pathname === "/profile/2fa");
    await page.getByRole("button", { name: "Make new recovery codes" }).click();
    await page.getByRole("heading", { name: "New recovery codes" }).waitFor();
    assert.equal(await page.locator(".recovery-codes li").count(), 10);
  });

  test("without JavaScript: password and TOTP code sign in; the passkey parts are absent", async () => {
    assert.ok(totpKey, "the TOTP test ran first");
    const page = await b.newPage({ javaScriptEnabled: false });
    await page.goto("/login");
    assert.equal(await page.getByRole("button", { name: /passkey/i }).count(), 0);
    await passwordStep(page, TWO_STEP);
    assert.equal(await page.getByRole("button", { name: /passkey/i }).count(), 0);
    await enterCode(page, nextCode(totpKey));
    await landedSignedIn(page, TWO_STEP);
    assert.ok(await signedIn(page));
    await page.goto("/profile/passkeys");
    assert.equal(await page.getByRole("button", { name: "Add a passkey" }).count(), 0);
    assert.equal(await page.getByLabel("Name of the new passkey").isVisible(), false);
    // Chromium's "JavaScript off" (DevTools script execution disabled) still parses <noscript> as
    // text, unlike a browser with scripting off in its settings: read the element's markup.
    assert.match((await page.locator("noscript").textContent()) ?? "", /Adding a passkey needs JavaScript\./);
  });
});
