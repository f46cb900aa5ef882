import type { FastifyReply, FastifyRequest } from "fastify";
import { fixUnconfirmedAddress } from "../accounts/address-fix.ts";
import { AccountError } from "../accounts/errors.ts";
import { login, type LoginResult } from "../accounts/login.ts";
import { changePassword, requestEmailChange } from "../accounts/profile.ts";
import { reauthenticate } from "../accounts/reauth.ts";
import { requestReset, resetPassword } from "../accounts/recovery.ts";
import { confirmByCode, register, resendConfirmation, type RegisterInput } from "../accounts/registration.ts";
import { deleteSession, type Viewer } from "../accounts/sessions.ts";
import { clientInfo, setSessionCookie, viewerOf, type WebContext } from "./http.ts";
import { requestLocale } from "./locale.ts";
import { accountKey, type Rule } from "./rate-limits.ts";

/**
 * The flows as the web runs them: each accounts/ function wrapped in its rate limits (checked
 * before any password hash), the sign-in throttling, the session cookie and the worker's
 * wake-up. The HTML pages and the JSON API both call these, so they cannot drift apart.
 */

/** Sign-up; sets the new session cookie (replacing any earlier session of this browser). */
export async function guardedRegister(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, form: RegisterInput): Promise<void> {
  const client = clientInfo(req, reply);
  await ctx.limits.hit([["register_ip", client.ip ?? ""]]);
  // The account keeps the language its sign-up page was in: its emails use it (SPEC §8).
  const locale = await requestLocale(req, ctx);
  await replaceSession(ctx, req, reply, await register(ctx.deps, { ...form, locale }, client));
  ctx.mailQueued();
}

/** Sign-in with per-IP and per-account limits and exponential back-off after failures. */
export async function guardedLogin(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, form: { email: string; password: string }): Promise<LoginResult> {
  const client = clientInfo(req, reply);
  const account = accountKey(form.email);
  await ctx.limits.hit([
    ["login_ip", client.ip ?? ""],
    ["login_ip_account", `${client.ip}|${account}`],
  ]);
  await ctx.limits.assertNotBackingOff(account);
  const result = await login(ctx.deps, form, client).catch(async (err: unknown) => {
    if (err instanceof AccountError && err.code === "invalid_credentials") await ctx.limits.signInFailed(account);
    throw err;
  });
  await ctx.limits.signInSucceeded(account);
  await replaceSession(ctx, req, reply, result.session);
  return result;
}

/** Rotation: whatever session this browser had is deleted; the new id is fresh. */
async function replaceSession(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, session: string): Promise<void> {
  const previous = await viewerOf(req, ctx.deps);
  if (previous) await ctx.deps.db.kysely.transaction().execute((trx) => deleteSession(trx, previous, ctx.deps.clock.now()));
  setSessionCookie(reply, ctx.deps, session);
}

/**
 * The daily budget of confirmation emails a session may cause: the account's (whatever its
 * address, so changing it starts no new budget); a placeholder session's own, never the owner's.
 */
function resendBudget(viewer: Viewer): string {
  return viewer.signupAttempt ? `attempt:${viewer.sessionHash}` : viewer.userId;
}

/** Another confirmation email: the flow's 60 s cooldown, then at most 5 a day per account. */
export async function guardedResend(ctx: WebContext, req: FastifyRequest, viewer: Viewer): Promise<void> {
  const budget = resendBudget(viewer);
  await ctx.limits.check("resend_account", budget);
  await resendConfirmation(ctx.deps, viewer, clientInfo(req));
  await ctx.limits.hit([["resend_account", budget]]);
  ctx.mailQueued();
}

/** Confirmation by code; the session gets a new id (cookie set here), as on every privilege change. */
export async function guardedConfirmCode(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, viewer: Viewer, code: string): Promise<void> {
  await ctx.limits.hit([["code_ip", clientInfo(req).ip ?? ""]]);
  const session = await confirmByCode(ctx.deps, viewer, code, clientInfo(req));
  if (session) setSessionCookie(reply, ctx.deps, session);
}

/**
 * "Forgot password". The work differs for known and unknown addresses (a token and a sealed
 * email, or nothing), so it runs after the answer has left: the response time says nothing
 * (measured before the move: +0.75 ms median for known addresses; bench/timing-oracle.ts).
 */
export async function guardedForgot(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, email: string): Promise<void> {
  const client = clientInfo(req);
  await ctx.limits.hit([
    ["forgot_ip", client.ip ?? ""],
    ["forgot_account", accountKey(email)],
  ]);
  reply.raw.once("close", () => {
    requestReset(ctx.deps, email, client).then(
      (queued) => queued && ctx.mailQueued(),
      (err: unknown) => req.log.error({ err }, "password reset request failed"),
    );
  });
}

/** A successful reset also ends the account's sign-in back-off. */
export async function guardedReset(ctx: WebContext, req: FastifyRequest, token: string, form: { password: string; confirm: string }): Promise<void> {
  const { email } = await resetPassword(ctx.deps, token, form, clientInfo(req));
  await ctx.limits.signInSucceeded(email.toLowerCase());
  ctx.mailQueued();
}

/**
 * Flows that take the current password: a wrong one counts like a failed sign-in, so a stolen
 * session cannot be used to guess the password at full speed.
 */
async function withPasswordThrottle<T>(ctx: WebContext, viewer: Viewer, flow: () => Promise<T>): Promise<T> {
  const account = viewer.email.toLowerCase();
  await ctx.limits.assertNotBackingOff(account);
  const result = await flow().catch(async (err: unknown) => {
    if (err instanceof AccountError && err.fields?.current_password) await ctx.limits.signInFailed(account);
    throw err;
  });
  ctx.mailQueued();
  return result;
}

/** Change of password; this browser's session gets a new id (cookie set here). */
export async function guardedChangePassword(
  ctx: WebContext,
  req: FastifyRequest,
  reply: FastifyReply,
  viewer: Viewer,
  form: { current_password: string; password: string; confirm: string },
): Promise<void> {
  const session = await withPasswordThrottle(ctx, viewer, () => changePassword(ctx.deps, viewer, form, clientInfo(req, reply)));
  setSessionCookie(reply, ctx.deps, session);
}

/**
 * Flows that mail a link to an address the requester typed: counted (when they succeed) on the
 * requester's budget and on the target address's, so no account can flood an inbox (issue 18).
 */
async function withMailBudget(ctx: WebContext, budget: readonly [Rule, string], email: string, flow: () => Promise<void>): Promise<void> {
  const target = accountKey(email);
  await ctx.limits.check(budget[0], budget[1]);
  await ctx.limits.check("mail_target", target);
  await flow();
  await ctx.limits.hit([budget, ["mail_target", target]]);
}

/** Change of address from the profile: at most 5 requests a day per account and per target address. */
export function guardedEmailChange(ctx: WebContext, req: FastifyRequest, viewer: Viewer, form: { email: string; current_password: string }): Promise<void> {
  return withMailBudget(ctx, ["email_change_account", viewer.userId], form.email, () =>
    withPasswordThrottle(ctx, viewer, () => requestEmailChange(ctx.deps, viewer, form, clientInfo(req))),
  );
}

/** "Wrong address?": the resend cooldown (in the flow), the account's resend budget, and the target's cap. */
export function guardedAddressFix(ctx: WebContext, req: FastifyRequest, viewer: Viewer, form: { email: string; current_password: string }): Promise<void> {
  return withMailBudget(ctx, ["resend_account", resendBudget(viewer)], form.email, () =>
    withPasswordThrottle(ctx, viewer, () => fixUnconfirmedAddress(ctx.deps, viewer, form, clientInfo(req))),
  );
}

/**
 * Re-authentication (SPEC §9): a wrong password counts like a failed sign-in (back-off), a wrong
 * code against the account's second-step lockout (in the flow). Sets the rotated session cookie.
 */
export async function guardedReauth(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, viewer: Viewer, form: { password: string; code: string }): Promise<void> {
  const account = viewer.email.toLowerCase();
  if (!form.code) await ctx.limits.assertNotBackingOff(account);
  const session = await reauthenticate(ctx.deps, viewer, form, clientInfo(req)).catch(async (err: unknown) => {
    if (!form.code && err instanceof AccountError && err.code === "invalid_credentials") await ctx.limits.signInFailed(account);
    throw err;
  });
  if (!form.code) await ctx.limits.signInSucceeded(account);
  setSessionCookie(reply, ctx.deps, session);
}
