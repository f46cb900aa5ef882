/** POST /login: argon2id verify + a session row + an audit row, against the raw verify loop. */
import type { Context } from "../context.ts";
import { expectStatus, formToken, PASSWORD, PROFILE_EMAIL, profileCookie } from "../setup.ts";
import { versusRaw } from "./versus-raw.ts";

/** The wrk options of a successful sign-in as `email` (a 303 with a new session), checked once. */
export async function loginLoad(baseUrl: string, email: string) {
  const form = await formToken(baseUrl);
  const body = new URLSearchParams({ _csrf: form.csrf, email, password: PASSWORD }).toString();
  await expectStatus(`${baseUrl}/login`, 303, {
    method: "POST",
    body,
    headers: { cookie: form.cookie, "content-type": "application/x-www-form-urlencoded" },
  });
  return { url: `${baseUrl}/login`, script: "post.lua", headers: { cookie: form.cookie }, env: { WRK_BODY: body } };
}

export async function loginScenario(ctx: Context): Promise<void> {
  await profileCookie(ctx);
  const load = await loginLoad(ctx.app.baseUrl, PROFILE_EMAIL);
  await versusRaw(ctx, { unit: "logins/s", mode: "verify", servers: [{ scenario: "POST /login", pid: ctx.app.pid, load: () => load, target: 0.85 }] });
}
