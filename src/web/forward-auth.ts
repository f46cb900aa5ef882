import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { AccountError, catalogueMessage, type ErrorCode } from "../accounts/errors.ts";
import { lookupSession, type Viewer } from "../accounts/sessions.ts";
import { catalogue } from "../i18n/index.ts";
import { createAssertionSigner, type AssertionSigner } from "../authz/assertion.ts";
import { trustedCallers } from "../authz/callers.ts";
import { verdict } from "../authz/verdict.ts";
import { asUnavailable, cookieName, type WebContext } from "./http.ts";
import { guardedHost, withNext } from "./redirects.ts";

/** Every verify answer: never cached, never a cookie (SPEC §7). */
const NO_STORE = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
const METHOD = /^[A-Z]{1,20}$/;
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

type Route = "forward-auth" | "auth-request";
const ROUTES = new Map<string, Route>([
  ["/api/authz/forward-auth", "forward-auth"],
  ["/api/authz/auth-request", "auth-request"],
]);

/** Answers one request if it is for a verify route; false leaves it to the app's router. */
export type VerifyHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The reverse-proxy verify routes (SPEC §7): `forward-auth` for Traefik and Caddy,
 * `auth-request` for nginx. Every request of a protected app comes through here, so they are
 * answered on node:http ahead of fastify's router and hooks (decision 015): one session
 * lookup, the pure verdict (authz/verdict.ts) and a few headers; no page, no CSRF, no log line.
 * The JWKS that verifies their assertions is an ordinary route.
 */
export async function forwardAuthRoutes(app: FastifyInstance, ctx: WebContext, log: FastifyBaseLogger): Promise<VerifyHandler> {
  const { deps } = ctx;
  const { config } = deps;
  const signer = await createAssertionSigner({ seed: deps.keys.assertion, issuer: config.baseUrl, clock: deps.clock });

  app.get("/.well-known/jwks.json", async (_req, reply) => {
    // Public keys only; they change when SECRET_KEY does.
    return reply.header("cache-control", "public, max-age=300").send(signer.jwks);
  });

  const trustedAddress = trustedCallers(config.trustProxy);
  // A proxy keeps its connections open: the peer is checked once per connection, not per request.
  const trustedSockets = new WeakMap<Socket, boolean>();
  const trusted = (socket: Socket) => {
    let yes = trustedSockets.get(socket);
    if (yes === undefined) trustedSockets.set(socket, (yes = trustedAddress(socket.remoteAddress)));
    return yes;
  };
  const loginUrl = `${config.baseUrl}/login`;
  const unconfirmedUrl = `${config.baseUrl}/unconfirmed`;
  const sessionCookie = cookieName(deps, "session");
  let closing = false;
  app.addHook("preClose", async () => void (closing = true));

  async function answer(route: Route, query: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!config.forwardAuth) return fail(res, 404, "not_found");
    if (req.method !== "GET" && req.method !== "HEAD") return fail(res, 405, "invalid_input", "Only GET and HEAD are answered here.", { allow: "GET, HEAD" });
    if (closing) return fail(res, 503, "unavailable", undefined, { connection: "close" });
    // The socket's peer, never X-Forwarded-For: only a trusted proxy may name the protected URL.
    if (!trusted(req.socket)) return fail(res, 403, "forbidden");
    const target = protectedRequest(route, req);
    if (!target) return fail(res, 400, "invalid_input", "The protected URL could not be read from the forwarded headers.");
    if (!guardedHost(config, target.url)) return fail(res, 400, "invalid_input", "The protected URL's host is not one Latchkey guards (REDIRECT_HOSTS).");

    const cookies = req.headers.cookie;
    const viewer = await lookupSession(deps, cookies ? app.parseCookie(cookies)[sessionCookie] : undefined);
    const requireAdmin = query !== "" && new URLSearchParams(query).getAll("require").join() === "admin";
    switch (verdict(viewer, { requireAdmin })) {
      case "allow":
        return allow(res, signer, viewer!, target.url);
      case "forbidden":
        return fail(res, 403, "forbidden");
      case "sign-in":
        return refuse(route, res, target, withNext(loginUrl, target.url.href), 401, "unauthenticated");
      case "confirm":
        return refuse(route, res, target, withNext(unconfirmedUrl, target.url.href), 403, "email_unconfirmed");
    }
  }

  return (req, res) => {
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const route = ROUTES.get(q < 0 ? url : url.slice(0, q));
    if (!route) return false;
    answer(route, q < 0 ? "" : url.slice(q + 1), req, res).catch((raw: unknown) => {
      if (res.headersSent) return void res.destroy();
      // The database being away is a 503 to retry (as on every other route), anything else a 500.
      const err = asUnavailable(raw, { log });
      if (err instanceof AccountError) return fail(res, err.status, err.code, undefined, err.retryAfter === undefined ? {} : { "retry-after": String(err.retryAfter) });
      log.error({ err, url: q < 0 ? url : url.slice(0, q) }, "unhandled error in a verify route");
      fail(res, 500, "internal");
    });
    return true;
  };
}

interface ProtectedRequest {
  readonly url: URL;
  /** A browser navigation (GET/HEAD asking for HTML): worth a redirect rather than an error. */
  readonly navigation: boolean;
}

/** The protected request as the proxy describes it; null when that cannot be read. */
function protectedRequest(route: Route, req: IncomingMessage): ProtectedRequest | null {
  const h: IncomingHttpHeaders = req.headers;
  let href: string;
  let method: string | string[] | undefined;
  if (route === "auth-request") {
    const original = h["x-original-url"];
    if (typeof original !== "string" || !/^https?:\/\//i.test(original)) return null;
    href = original;
    method = h["x-original-method"] ?? "GET";
  } else {
    const proto = h["x-forwarded-proto"];
    const host = h["x-forwarded-host"];
    const uri = h["x-forwarded-uri"] ?? "/";
    if ((proto !== "http" && proto !== "https") || typeof host !== "string" || !HOST.test(host) || typeof uri !== "string" || !uri.startsWith("/")) return null;
    href = `${proto}://${host}${uri}`;
    method = h["x-forwarded-method"] ?? req.method;
  }
  if (typeof method !== "string" || !METHOD.test(method)) return null;
  const url = URL.parse(href);
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) return null;
  url.hash = "";
  const accept = h.accept;
  const navigation = (method === "GET" || method === "HEAD") && typeof accept === "string" && accept.includes("text/html");
  return { url, navigation };
}

function allow(res: ServerResponse, signer: AssertionSigner, viewer: Viewer, url: URL): void | Promise<void> {
  const assertion = signer.sign({
    sub: viewer.userId,
    email: viewer.email,
    emailVerified: viewer.confirmed,
    admin: viewer.admin,
    sid: viewer.sessionId,
    aud: url.origin,
  });
  if (typeof assertion !== "string") return assertion.then((signed) => allowed(res, viewer, signed));
  allowed(res, viewer, assertion);
}

/** Every header on every 200, Remote-Groups too when empty: Caddy 2.6's copy_headers would
 * otherwise hand the app the literal placeholder (or a client's own header) instead. */
function allowed(res: ServerResponse, viewer: Viewer, assertion: string): void {
  const email = headerSafe(viewer.email);
  const groups = viewer.admin ? "admin" : "";
  // A flat list, not an object spread from NO_STORE: writeHead takes it as it is (measured with
  // bench/try.ts: the spread object was about a fifth of a verify request's CPU).
  res.writeHead(200, [
    "cache-control", "no-store",
    "x-content-type-options", "nosniff",
    "content-length", "0",
    "remote-user", viewer.userId,
    "remote-email", email,
    "remote-groups", groups,
    "x-auth-request-user", viewer.userId,
    "x-auth-request-email", email,
    "x-auth-request-groups", groups,
    "latchkey-assertion", assertion,
  ]);
  res.end();
}

/**
 * Not through: forward-auth redirects a browser navigation itself; nginx cannot follow a
 * redirect from auth_request (any status but 2xx/401/403 becomes a 500), so auth-request
 * answers 401 with the same Location and the documented config turns it into a 302.
 */
function refuse(route: Route, res: ServerResponse, target: ProtectedRequest, location: string, status: 401 | 403, code: ErrorCode): void {
  if (!target.navigation) return fail(res, status, code);
  if (route === "auth-request") return fail(res, 401, code, undefined, { location });
  res.writeHead(302, { ...NO_STORE, location, "content-length": "0" });
  res.end();
}

/** A JSON error (as the API's), in English: the proxy's caller is a program. */
function fail(res: ServerResponse, status: number, code: ErrorCode, message: string = catalogueMessage(code, catalogue("en")), headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { ...NO_STORE, ...headers, "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(body)) });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/**
 * Header values are bytes: an address with non-ASCII letters (SMTPUTF8) goes out as its UTF-8
 * bytes (Node writes header strings as latin1), which proxies pass through untouched.
 */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : Buffer.from(value, "utf8").toString("latin1");
}
