/**
 * POST /register with a new address every time: argon2id hash, user + token + session + audit
 * rows and the confirmation email in the outbox, one transaction (the in-process worker then
 * delivers the mail, as `latchkey serve` does by default). Against the raw hash loop.
 */
import { randomBytes } from "node:crypto";
import type { Context } from "../context.ts";
import { expectStatus, formToken, PASSWORD } from "../setup.ts";
import { versusRaw } from "./versus-raw.ts";

export async function registerScenario(ctx: Context): Promise<void> {
  const form = await formToken(ctx.app.baseUrl);
  const check = new URLSearchParams({ _csrf: form.csrf, email: "bench-register-check@example.com", password: PASSWORD, confirm: PASSWORD });
  await expectStatus(`${ctx.app.baseUrl}/register`, 303, {
    method: "POST",
    body: check.toString(),
    headers: { cookie: form.cookie, "content-type": "application/x-www-form-urlencoded" },
  });
  let run = 0;
  await versusRaw(ctx, {
    scenario: "POST /register",
    unit: "sign-ups/s",
    mode: "hash",
    target: 0.8,
    load: () => ({
      url: `${ctx.app.baseUrl}/register`,
      script: "register.lua",
      headers: { cookie: form.cookie },
      // Unique per run: every request is a new account, never the "address taken" path.
      env: { WRK_PREFIX: `su${++run}${randomBytes(3).toString("hex")}`, WRK_CSRF: form.csrf },
    }),
  });
}
