import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import type { VNode } from "preact";
import { recordEvent } from "../accounts/audit.ts";
import type { ClientInfo, Deps } from "../accounts/deps.ts";
import { AccountError, invalidInput, type FieldErrors } from "../accounts/errors.ts";
import { lookupSession, type Viewer } from "../accounts/sessions.ts";
import { isDatabaseUnavailable } from "../db/errors.ts";
import { hmac, randomToken, safeEqual, TOKEN_PATTERN } from "../secrets.ts";
import type { RateLimits } from "./rate-limits.ts";
import { safeNext } from "./redirects.ts";
import { renderPage } from "./views/layout.tsx";
import type { Catalogue } from "../i18n/index.ts";

/** What every page module receives. */
export interface WebContext {
  readonly deps: Deps;
  readonly limits: RateLimits;
  /** Called after a flow queued mail, so the in-process worker sends it now. */
  readonly mailQueued: () => void;
}

// ---- cookies ---------------------------------------------------------------------------

/**
 * `__Host-` binds a cookie to this exact origin over https (no subdomain can set it). The
 * session cookie's name comes from the config: with COOKIE_DOMAIN it is `__Secure-` instead,
 * and SESSION_COOKIE_NAME may rename it.
 */
export function cookieName(deps: Deps, base: "session" | "csrf" | "next"): string {
  if (base === "session") return deps.config.sessionCookie;
  return deps.config.secureCookies ? `__Host-${base}` : base;
}

function cookieOptions(deps: Deps, maxAgeSeconds: number) {
  return { httpOnly: true, sameSite: "lax" as const, path: "/", secure: deps.config.secureCookies, maxAge: maxAgeSeconds };
}

/** The session cookie reaches every subdomain of COOKIE_DOMAIN when that is set. */
function sessionDomain(deps: Deps) {
  return deps.config.cookieDomain ? { domain: deps.config.cookieDomain } : {};
}

export function setSessionCookie(reply: FastifyReply, deps: Deps, value: string): void {
  reply.setCookie(cookieName(deps, "session"), value, { ...cookieOptions(deps, deps.config.sessionAbsoluteTtl), ...sessionDomain(deps) });
}

export function clearSessionCookie(reply: FastifyReply, deps: Deps): void {
  reply.clearCookie(cookieName(deps, "session"), { path: "/", secure: deps.config.secureCookies, ...sessionDomain(deps) });
}

/**
 * Where a visitor was going, kept on this device while they sign up and confirm (SPEC §7):
 * the confirmation may come by link in another tab, so a form field alone would lose it.
 * Already checked by safeNext when set; checked again when read.
 */
export function rememberNext(reply: FastifyReply, deps: Deps, next: string): void {
  if (next !== "/") reply.setCookie(cookieName(deps, "next"), next, cookieOptions(deps, deps.config.confirmTokenTtl));
}

/** The remembered `next` (or undefined), forgotten as it is used. */
export function takeNext(req: FastifyRequest, reply: FastifyReply, deps: Deps): string | undefined {
  const name = cookieName(deps, "next");
  const value = req.cookies[name];
  if (value === undefined) return undefined;
  reply.clearCookie(name, { path: "/", secure: deps.config.secureCookies });
  const next = safeNext(deps.config, value);
  return next === "/" ? undefined : next;
}

// ---- the signed-in viewer ------------------------------------------------------------

const viewers = new WeakMap<FastifyRequest, Promise<Viewer | null>>();

/** The session behind the request's cookie, looked up once per request. */
export function viewerOf(req: FastifyRequest, deps: Deps): Promise<Viewer | null> {
  let v = viewers.get(req);
  if (!v) {
    v = lookupSession(deps, req.cookies[cookieName(deps, "session")]);
    viewers.set(req, v);
  }
  return v;
}

/** Who is asking; with `reply`, also whether they are still there (for routes that hash). */
export function clientInfo(req: FastifyRequest, reply?: FastifyReply): ClientInfo {
  const ua = req.headers["user-agent"];
  const client = { ip: req.ip ?? null, userAgent: typeof ua === "string" ? ua : null };
  return reply ? { ...client, gone: clientGone(reply) } : client;
}

/**
 * Aborts when the connection closes before the answer was sent: the client hung up (a timeout,
 * a closed tab, a load balancer giving up), so hash work it still waits for is dropped.
 */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const res = reply.raw;
  if (res.destroyed) controller.abort();
  else res.once("close", () => res.writableFinished || controller.abort());
  return controller.signal;
}

// ---- CSRF: signed double-submit cookie (OWASP) ---------------------------------------
// A random `csrf` cookie per browser; forms carry HMAC(key, cookie). A cross-site page can
// neither read the cookie nor compute the HMAC, and SameSite=Lax keeps the session cookie off
// cross-site POSTs as a second line.

export function csrfToken(req: FastifyRequest, reply: FastifyReply, deps: Deps): string {
  const name = cookieName(deps, "csrf");
  let seed = req.cookies[name];
  if (!seed || !TOKEN_PATTERN.test(seed)) {
    seed = randomToken();
    req.cookies[name] = seed;
    reply.setCookie(name, seed, cookieOptions(deps, deps.config.sessionAbsoluteTtl));
  }
  return hmac(deps.keys.csrf, seed);
}

export function csrfValid(req: FastifyRequest, deps: Deps): boolean {
  const seed = req.cookies[cookieName(deps, "csrf")];
  // JSON calls from the pages (passkeys, SPEC §9) send the token in X-CSRF-Token instead.
  const header = req.headers["x-csrf-token"];
  const sent = typeof header === "string" ? header : (req.body as Record<string, unknown> | undefined)?._csrf;
  return typeof seed === "string" && TOKEN_PATTERN.test(seed) && typeof sent === "string" && safeEqual(sent, hmac(deps.keys.csrf, seed));
}

// ---- forms -----------------------------------------------------------------------------

const FIELD_MAX = 4096;
const NOT_TEXT = "Send this field once, as text.";
const TOO_LONG = "This is too long.";

function formSource(body: unknown): Record<string, unknown> {
  return body && typeof body === "object" ? (body as Record<string, unknown>) : {};
}

/**
 * Reads the named fields as strings. A field sent twice, as an object, or absurdly long is
 * a 422 with a message on that field, never a crash further in.
 */
export function formFields<K extends string>(body: unknown, names: readonly K[]): Record<K, string> {
  const source = formSource(body);
  const out = {} as Record<K, string>;
  const fields: FieldErrors = {};
  for (const name of names) {
    const value = Object.hasOwn(source, name) ? source[name] : undefined;
    if (value === undefined || value === null) out[name] = "";
    else if (typeof value !== "string") fields[name] = NOT_TEXT;
    else if (value.length > FIELD_MAX) fields[name] = TOO_LONG;
    else out[name] = value;
  }
  if (Object.keys(fields).length > 0) throw invalidInput(fields);
  return out;
}

/**
 * A field a form may send several times (a group of checkboxes): its values, each a string, at
 * most `maxValues` of them and FIELD_MAX characters in all (with one separator between values);
 * otherwise a 422 on that field, as formFields.
 */
export function formValues(body: unknown, name: string, maxValues: number): string[] {
  const source = formSource(body);
  const raw = Object.hasOwn(source, name) ? source[name] : undefined;
  const values: unknown[] = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  if (values.length > maxValues || values.some((v) => typeof v !== "string")) throw invalidInput({ [name]: NOT_TEXT });
  const strings = values as string[];
  if (strings.join(",").length > FIELD_MAX) throw invalidInput({ [name]: TOO_LONG });
  return strings;
}

// ---- rendering -------------------------------------------------------------------------

export function render(reply: FastifyReply, status: number, t: Catalogue, page: VNode): FastifyReply {
  return reply.code(status).type("text/html; charset=utf-8").send(`<!doctype html>${renderPage(t, page)}`);
}

/** A refused request leaves a trace in the audit log (best effort: the refusal stands anyway). */
export async function auditRateLimited(req: FastifyRequest, deps: Deps): Promise<void> {
  const viewer = await viewerOf(req, deps).catch(() => null);
  await recordEvent(deps.db.kysely, {
    type: "rate_limited",
    userId: viewer?.userId ?? null,
    outcome: `${req.method} ${req.routeOptions.url ?? "?"}`,
    client: clientInfo(req),
    now: deps.clock.now(),
  }).catch((err: unknown) => req.log.warn({ err }, "could not record rate_limited event"));
}

const DATABASE_RETRY_AFTER = 5;

/** The database being away is a 503 the client may retry, not a 500. */
export function asUnavailable<E>(error: E, req: { log: FastifyBaseLogger }): E | AccountError {
  if (!isDatabaseUnavailable(error)) return error;
  req.log.warn({ err: error }, "database unavailable");
  return new AccountError("unavailable", { retryAfter: DATABASE_RETRY_AFTER });
}

/** Rate-limited answers carry Retry-After (seconds). */
export function applyErrorHeaders(reply: FastifyReply, err: AccountError): void {
  if (err.retryAfter !== undefined) reply.header("Retry-After", String(err.retryAfter));
}
