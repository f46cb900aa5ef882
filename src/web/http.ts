import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { recordEvent } from "../accounts/audit.ts";
import type { ClientInfo, Deps } from "../accounts/deps.ts";
import { AccountError, invalidInput, type FieldErrors } from "../accounts/errors.ts";
import { lookupSession, type Viewer } from "../accounts/sessions.ts";
import { isDatabaseUnavailable } from "../db/errors.ts";
import { hmac, randomToken, safeEqual, TOKEN_PATTERN } from "../secrets.ts";
import type { RateLimits } from "./rate-limits.ts";

/** What every page module receives. */
export interface WebContext {
  readonly deps: Deps;
  readonly limits: RateLimits;
  /** Called after a flow queued mail, so the in-process worker sends it now. */
  readonly mailQueued: () => void;
}

// ---- cookies ---------------------------------------------------------------------------

/** `__Host-` binds the cookie to this exact origin over https (no subdomain can set it). */
export function cookieName(deps: Deps, base: "session" | "csrf"): string {
  return deps.config.secureCookies ? `__Host-${base}` : base;
}

function cookieOptions(deps: Deps, maxAgeSeconds: number) {
  return { httpOnly: true, sameSite: "lax" as const, path: "/", secure: deps.config.secureCookies, maxAge: maxAgeSeconds };
}

export function setSessionCookie(reply: FastifyReply, deps: Deps, value: string): void {
  reply.setCookie(cookieName(deps, "session"), value, cookieOptions(deps, deps.config.sessionAbsoluteTtl));
}

export function clearSessionCookie(reply: FastifyReply, deps: Deps): void {
  reply.clearCookie(cookieName(deps, "session"), { path: "/", secure: deps.config.secureCookies });
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
  const sent = (req.body as Record<string, unknown> | undefined)?._csrf;
  return typeof seed === "string" && TOKEN_PATTERN.test(seed) && typeof sent === "string" && safeEqual(sent, hmac(deps.keys.csrf, seed));
}

// ---- forms -----------------------------------------------------------------------------

const FIELD_MAX = 4096;

/**
 * Reads the named fields as strings. A field sent twice, as an object, or absurdly long is
 * a 422 with a message on that field, never a crash further in.
 */
export function formFields<K extends string>(body: unknown, names: readonly K[]): Record<K, string> {
  const source = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
  const out = {} as Record<K, string>;
  const fields: FieldErrors = {};
  for (const name of names) {
    const value = Object.hasOwn(source, name) ? source[name] : undefined;
    if (value === undefined || value === null) out[name] = "";
    else if (typeof value !== "string") fields[name] = "Send this field once, as text.";
    else if (value.length > FIELD_MAX) fields[name] = "This is too long.";
    else out[name] = value;
  }
  if (Object.keys(fields).length > 0) throw invalidInput(fields);
  return out;
}

/** Only same-origin relative paths: `/x`, never `//x`, `/\x` or an absolute URL. */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.length > 2048) return "/";
  if (/[\\\x00-\x20\x7f]/.test(next) || next.startsWith("//")) return "/";
  // Encoded slashes/backslashes in the path (`/%5Cx`, `/%2F%2Fx`) too: harmless to a browser,
  // an open redirect as soon as anything downstream decodes the path once more.
  if (/%(2f|5c)/i.test(next.split(/[?#]/, 1)[0]!)) return "/";
  try {
    const url = new URL(next, "http://latchkey.invalid");
    if (url.origin !== "http://latchkey.invalid") return "/";
    // Dot segments can normalise into a protocol-relative URL ("/.//evil" → "//evil"): check the result too.
    if (url.pathname.startsWith("//")) return "/";
    return url.pathname + url.search + url.hash;
  } catch {
    return "/";
  }
}

// ---- rendering -------------------------------------------------------------------------

export function render(reply: FastifyReply, status: number, page: VNode): FastifyReply {
  return reply.code(status).type("text/html; charset=utf-8").send(`<!doctype html>${renderToString(page)}`);
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
