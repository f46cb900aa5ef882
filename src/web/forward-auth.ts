import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { catalogueMessage, type ErrorCode } from "../accounts/errors.ts";
import { catalogue } from "../i18n/index.ts";
import { createAssertionSigner, type AssertionSigner } from "../authz/assertion.ts";
import { trustedCallers } from "../authz/callers.ts";
import { verdict } from "../authz/verdict.ts";
import { viewerOf, type WebContext } from "./http.ts";
import { guardedHost, withNext } from "./redirects.ts";

/** Every verify answer: never cached, never a cookie (SPEC §7). */
const NO_STORE = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
const METHOD = /^[A-Z]{1,20}$/;
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

type Route = "forward-auth" | "auth-request";

/**
 * The reverse-proxy verify routes (SPEC §7): `forward-auth` for Traefik and Caddy,
 * `auth-request` for nginx. Every request of a protected app comes through here, so it is one
 * session lookup, the pure verdict (authz/verdict.ts) and a few headers: no page, no CSRF.
 */
export async function forwardAuthRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { deps } = ctx;
  const { config } = deps;
  const signer = await createAssertionSigner({ seed: deps.keys.assertion, issuer: config.baseUrl, clock: deps.clock });

  app.get("/.well-known/jwks.json", async (_req, reply) => {
    // Public keys only; they change when SECRET_KEY does.
    return reply.header("cache-control", "public, max-age=300").send(signer.jwks);
  });

  const trusted = trustedCallers(config.trustProxy);
  const loginUrl = `${config.baseUrl}/login`;
  const unconfirmedUrl = `${config.baseUrl}/unconfirmed`;

  for (const route of ["forward-auth", "auth-request"] as const) {
    // GET routes answer HEAD too (fastify's exposeHeadRoutes). No request log lines at info:
    // the proxy logs every request of the app already, and this runs for each of them.
    app.get(`/api/authz/${route}`, { logLevel: "warn" }, async (req, reply) => {
      reply.headers(NO_STORE);
      if (!config.forwardAuth) return fail(reply, 404, "not_found");
      // The socket's peer, never X-Forwarded-For: only a trusted proxy may name the protected URL.
      if (!trusted(req.socket.remoteAddress)) return fail(reply, 403, "forbidden");
      const target = protectedRequest(route, req);
      if (!target) return fail(reply, 400, "invalid_input", "The protected URL could not be read from the forwarded headers.");
      if (!guardedHost(config, target.url)) return fail(reply, 400, "invalid_input", "The protected URL's host is not one Latchkey guards (REDIRECT_HOSTS).");

      const viewer = await viewerOf(req, deps);
      const requireAdmin = (req.query as Record<string, unknown>).require === "admin";
      switch (verdict(viewer, { requireAdmin })) {
        case "allow":
          return allow(reply, signer, viewer!, target.url);
        case "forbidden":
          return fail(reply, 403, "forbidden");
        case "sign-in":
          return refuse(route, reply, target, withNext(loginUrl, target.url.href), 401, "unauthenticated");
        case "confirm":
          return refuse(route, reply, target, withNext(unconfirmedUrl, target.url.href), 403, "email_unconfirmed");
      }
    });
  }
}

interface ProtectedRequest {
  readonly url: URL;
  /** A browser navigation (GET/HEAD asking for HTML): worth a redirect rather than an error. */
  readonly navigation: boolean;
}

/** The protected request as the proxy describes it; null when that cannot be read. */
function protectedRequest(route: Route, req: FastifyRequest): ProtectedRequest | null {
  const h = req.headers;
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

async function allow(reply: FastifyReply, signer: AssertionSigner, viewer: NonNullable<Awaited<ReturnType<typeof viewerOf>>>, url: URL) {
  const email = headerSafe(viewer.email);
  const groups = viewer.admin ? "admin" : "";
  const assertion = await signer.sign({
    sub: viewer.userId,
    email: viewer.email,
    emailVerified: viewer.confirmed,
    admin: viewer.admin,
    sid: viewer.sessionId,
    aud: url.origin,
  });
  // Every header on every 200, Remote-Groups too when empty: Caddy 2.6's copy_headers would
  // otherwise hand the app the literal placeholder (or a client's own header) instead.
  return reply
    .headers({
      "remote-user": viewer.userId,
      "remote-email": email,
      "remote-groups": groups,
      "x-auth-request-user": viewer.userId,
      "x-auth-request-email": email,
      "x-auth-request-groups": groups,
      "latchkey-assertion": assertion,
    })
    .code(200)
    .send();
}

/**
 * Not through: forward-auth redirects a browser navigation itself; nginx cannot follow a
 * redirect from auth_request (any status but 2xx/401/403 becomes a 500), so auth-request
 * answers 401 with the same Location and the documented config turns it into a 302.
 */
function refuse(route: Route, reply: FastifyReply, target: ProtectedRequest, location: string, status: 401 | 403, code: ErrorCode) {
  if (target.navigation) {
    reply.header("location", location);
    if (route === "forward-auth") return reply.code(302).send();
    return fail(reply, 401, code);
  }
  return fail(reply, status, code);
}

function fail(reply: FastifyReply, status: number, code: ErrorCode, message: string = catalogueMessage(code, catalogue("en"))) {
  return reply.code(status).type("application/json; charset=utf-8").send({ error: { code, message } });
}

/**
 * Header values are bytes: an address with non-ASCII letters (SMTPUTF8) goes out as its UTF-8
 * bytes (Node writes header strings as latin1), which proxies pass through untouched.
 */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : Buffer.from(value, "utf8").toString("latin1");
}
