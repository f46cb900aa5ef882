import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AccountError } from "../accounts/errors.ts";
import { requireFresh, type FreshnessRule } from "../accounts/reauth.ts";
import { mfaMethods, secondFactors } from "../accounts/second-factor/verify.ts";
import { passkeyLogin } from "../accounts/second-factor/passkey-sign-in.ts";
import { deleteSession, dropPendingSession, lookupPendingSession, type Viewer } from "../accounts/sessions.ts";
import { sendError } from "./api/respond.ts";
import { clientInfo, cookieName, setSessionCookie, viewerOf, type WebContext } from "./http.ts";

/**
 * The web side of second factors and re-authentication: a sign-in waiting for its second factor
 * opens nothing but /login/2fa, and sensitive pages send stale sessions to /reauth.
 */

/**
 * What a pending sign-in may reach: the second step itself, sign-out, the language switch, and
 * what has no session. (The verify routes answer before fastify's hooks: web/forward-auth.ts.)
 */
const OPEN_WHILE_PENDING = /^\/(login\/2fa|logout|locale(\?|$)|static\/|healthz|readyz|api\/v1\/login\/2fa|api\/v1\/logout|api\/openapi\.json|\.well-known\/)/;

/** The pending sign-in behind the request's cookie, if that is what it is. */
export function pendingSignIn(req: FastifyRequest, ctx: WebContext): Promise<Viewer | null> {
  return lookupPendingSession(ctx.deps, req.cookies[cookieName(ctx.deps, "session")]);
}

/** `methods` for mfa_required: the account's second factors. */
export async function secondFactorMethods(ctx: WebContext, userId: string): Promise<string[]> {
  return mfaMethods(await secondFactors(ctx.deps.db.kysely, userId), ctx.deps.config.webauthnRpId !== null);
}

export function mfaRequired(methods: string[]): AccountError {
  return new AccountError("mfa_required", { methods });
}

/**
 * Every other page answers a pending sign-in with 303 → /login/2fa, every other API route with
 * 401 mfa_required. Costs nothing for requests without a cookie or with a full session.
 */
export function pendingSignInGate(app: FastifyInstance, ctx: WebContext): void {
  app.addHook("onRequest", async (req, reply) => {
    if (OPEN_WHILE_PENDING.test(req.url) || !req.cookies[cookieName(ctx.deps, "session")]) return;
    if (await viewerOf(req, ctx.deps)) return;
    const pending = await pendingSignIn(req, ctx);
    if (!pending) return;
    if (req.url.startsWith("/api/")) return sendError(reply, mfaRequired(await secondFactorMethods(ctx, pending.userId)));
    return reply.redirect("/login/2fa", 303);
  });
}

/** Where a stale session is sent: re-authenticate, then back to the page it came from (a GET page). */
export function reauthRedirect(reply: FastifyReply, from: string): FastifyReply {
  return reply.redirect(`/reauth?next=${encodeURIComponent(from)}`, 303);
}

export function isReauthRequired(err: unknown): err is AccountError {
  return err instanceof AccountError && err.code === "reauth_required";
}

/**
 * For pages of sensitive actions (account deletion, …): false when the session is fresh, else
 * true, having sent the 303 → /reauth?next=`from` (`from` is the GET page the form was on, never
 * the POST route). A boolean, not the reply: a reply is thenable, so an async function cannot
 * hand it back. JSON routes call accounts/reauth.ts `requireFresh` and let its 403 through.
 */
export async function sentToReauth(ctx: WebContext, reply: FastifyReply, viewer: Viewer, from: string, rule?: FreshnessRule): Promise<boolean> {
  try {
    await requireFresh(ctx.deps, viewer, rule);
    return false;
  } catch (err) {
    if (!isReauthRequired(err)) throw err;
    reauthRedirect(reply, from);
    return true;
  }
}

/**
 * Passwordless sign-in (page and API): limited per IP like the password form; whatever session
 * this browser had is replaced by the new one.
 */
export async function signInWithPasskey(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, response: unknown): Promise<{ confirmed: boolean }> {
  await ctx.limits.hit([["login_ip", req.ip ?? ""]]);
  const result = await passkeyLogin(ctx.deps, response, clientInfo(req));
  const signedIn = await viewerOf(req, ctx.deps);
  if (signedIn) await deleteSession(ctx.deps.db.kysely, signedIn, ctx.deps.clock.now());
  else {
    const pending = await pendingSignIn(req, ctx);
    if (pending) await dropPendingSession(ctx.deps.db.kysely, pending.sessionHash);
  }
  setSessionCookie(reply, ctx.deps, result.session);
  return { confirmed: result.confirmed };
}
