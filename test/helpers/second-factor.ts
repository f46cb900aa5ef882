import assert from "node:assert/strict";
import { totpCode } from "../../src/accounts/second-factor/totp.ts";
import type { TestApp } from "./app.ts";
import type { Client } from "./client.ts";

/** Reads the key as text from the set-up page (what a person types into the app). */
export function keyFromPage(html: string): string {
  const key = /data-totp-key[^>]*>([A-Z2-7 ]+)</.exec(html)?.[1];
  assert.ok(key, "the set-up page shows the key as text");
  return key.replace(/ /g, "");
}

export function recoveryCodesFromPage(html: string): string[] {
  return [...html.matchAll(/<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})<\/code><\/li>/g)].map((m) => m[1]!);
}

/** The code the app shows `steps` periods from the test clock's now. */
export function codeAt(app: TestApp, secret: string, steps = 0): string {
  return totpCode(secret, app.clock.now() + steps * 30_000);
}

/** Turns on TOTP from the profile for a fresh, confirmed browser; returns the secret and recovery codes. */
export async function enableTotp(app: TestApp, browser: Client): Promise<{ secret: string; codes: string[] }> {
  await browser.get("/profile/2fa");
  const setup = await browser.post("/profile/2fa/totp/setup");
  assert.equal(setup.status, 200, "set-up page");
  const secret = keyFromPage(setup.text);
  const done = await browser.post("/profile/2fa/totp", { code: codeAt(app, secret) });
  assert.equal(done.status, 200, "turned on");
  const codes = recoveryCodesFromPage(done.text);
  assert.equal(codes.length, 10);
  return { secret, codes };
}
