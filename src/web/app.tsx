import formbody from "@fastify/formbody";
import cookie from "@fastify/cookie";
import helmet from "helmet";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";
import type { Deps } from "../accounts/deps.ts";
import type { Config } from "../config.ts";
import { AccountError, messageOf } from "../accounts/errors.ts";
import { applyErrorHeaders, asUnavailable, auditRateLimited, csrfValid, type WebContext } from "./http.ts";
import { bareState, page, pageState } from "./pages/common.tsx";
import { apiCatalogue, localeRoutes } from "./locale.ts";
import { adminRoutes } from "./pages/admin.tsx";
import { confirmRoutes } from "./pages/confirm.tsx";
import { devMailRoutes } from "./pages/dev-mail.tsx";
import { healthRoutes } from "./pages/health.ts";
import { homeRoutes } from "./pages/home.tsx";
import { loginRoutes } from "./pages/login.tsx";
import { profileRoutes } from "./pages/profile.tsx";
import { lifecycleRoutes } from "./pages/lifecycle.tsx";
import { recoveryRoutes } from "./pages/recovery.tsx";
import { sessionRoutes } from "./pages/sessions.tsx";
import { registrationRoutes } from "./pages/registration.tsx";
import { passkeyRoutes } from "./pages/passkeys.tsx";
import { reauthRoutes } from "./pages/reauth.tsx";
import { twoFactorRoutes } from "./pages/two-factor.tsx";
import { pendingSignInGate } from "./second-step.ts";
import { apiRoutes } from "./api/routes.ts";
import { sendError } from "./api/respond.ts";
import { forwardAuthRoutes, type VerifyHandler } from "./forward-auth.ts";
import { createRateLimits, NO_LIMITS, type Rules } from "./rate-limits.ts";
import { registerStatic } from "./static.ts";
import { Alert } from "./views/layout.tsx";
import { humanDuration } from "./views/time.ts";

export const BODY_LIMIT = 64 * 1024;

/** Link tokens live in these paths; they never reach the log. */
const SECRET_PATH = /^\/(confirm|reset)\/[^/?#]+/;

export function redactUrl(url: string): string {
  return url.replace(SECRET_PATH, "/$1/[redacted]");
}

/** The headers helmet would set on each response, as lower-case name → value. */
export function securityHeaders(config: Pick<Config, "secureCookies">): Record<string, string> {
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        ...(config.secureCookies ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    referrerPolicy: { policy: "no-referrer" },
    strictTransportSecurity: config.secureCookies ? { maxAge: 31536000, includeSubDomains: true } : false,
  });
  const headers: Record<string, string> = {};
  const collector = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value),
    removeHeader: () => {},
  };
  let failed: unknown;
  // No directive above depends on the request (no nonces): one run gives every response's headers.
  middleware({} as IncomingMessage, collector as unknown as ServerResponse, (err?: unknown) => void (failed = err));
  if (failed) throw failed;
  return headers;
}

export interface AppOptions {
  readonly deps: Deps;
  readonly mailQueued?: () => void;
  readonly logger: FastifyBaseLogger;
  /** Rate-limit rules (defaults: DEFAULT_RULES). */
  readonly rules?: Rules;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { deps } = opts;
  const { config } = deps;
  // Security headers, plus no-store (pages carry CSRF tokens, addresses and token links:
  // nothing dynamic is cached; static files override it). Computed once: they do not depend
  // on the request (measured: per-request @fastify/helmet cost /healthz 11.4k → 20.1k req/s,
  // and applying helmet's output instead of running its middleware another ~10 %).
  const defaultHeaders = { ...securityHeaders(config), "cache-control": "no-store" };
  // The verify routes answer on node:http before fastify's router (web/forward-auth.ts).
  let verify: VerifyHandler = () => false;
  const timeouts = { connectionTimeout: 30_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 };
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    // Deliberate socket limits: a slow client cannot hold a connection open for long.
    ...timeouts,
    // What fastify's own server would be, with the verify routes in front; fastify applies
    // the timeouts only to a server it makes itself.
    serverFactory: (handler) => {
      const server = createServer((req, res) => verify(req, res) || handler(req, res));
      server.keepAliveTimeout = timeouts.keepAliveTimeout;
      server.requestTimeout = timeouts.requestTimeout;
      server.setTimeout(timeouts.connectionTimeout);
      return server;
    },
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // The router answers a malformed (%ZZ) or over-long path before any hook runs: give those
    // answers the app's headers and its own error page or JSON error too (issue 18.7).
    frameworkErrors: (error, req, reply) => {
      reply.headers(defaultHeaders);
      const status = error.code === "FST_ERR_MAX_PARAM_LENGTH" ? 414 : (error.statusCode ?? 400);
      if (req.url.startsWith("/api/")) return sendError(reply, new AccountError("invalid_input", { message: apiCatalogue(req, config.defaultLocale).addressUnreadable }), status);
      // The URL could not be read: the switch would post it back, so it comes back to /.
      const state = { ...bareState(req, config), path: "/" };
      return page(reply, status, state, state.t.titleCannotDoThat, <Alert>{state.t.addressUnreadable}</Alert>);
    },
  });
  app.decorate("defaultLocale", config.defaultLocale);
  const limits = config.rateLimits ? createRateLimits(deps.db, opts.rules) : NO_LIMITS;
  const ctx: WebContext = { deps, limits, mailQueued: opts.mailQueued ?? (() => {}) };

  await app.register(cookie);
  await app.register(formbody, { bodyLimit: BODY_LIMIT });
  app.addHook("onRequest", (_req, reply, done) => {
    reply.headers(defaultHeaders);
    done();
  });

  // Every form POST needs a valid _csrf; checked before any route runs, so nothing changes.
  // (The JSON API has its own cross-site check: api/respond.ts.)
  app.addHook("preHandler", async (req, reply) => {
    if (req.method !== "POST" || req.url.startsWith("/api/") || csrfValid(req, deps)) return;
    const state = await pageState(req, reply, ctx);
    return page(reply, 403, state, state.t.titleFormExpired, <Alert>{state.t.formExpired}</Alert>);
  });

  pendingSignInGate(app, ctx);
  registerStatic(app);
  healthRoutes(app, ctx);
  homeRoutes(app, ctx);
  localeRoutes(app, ctx);
  registrationRoutes(app, ctx);
  confirmRoutes(app, ctx);
  loginRoutes(app, ctx);
  profileRoutes(app, ctx);
  lifecycleRoutes(app, ctx);
  sessionRoutes(app, ctx);
  recoveryRoutes(app, ctx);
  adminRoutes(app, ctx);
  twoFactorRoutes(app, ctx);
  reauthRoutes(app, ctx);
  passkeyRoutes(app, ctx);
  apiRoutes(app, ctx);
  verify = await forwardAuthRoutes(app, ctx, opts.logger);
  if (config.devMailbox) devMailRoutes(app, ctx);

  app.setNotFoundHandler(async (req, reply) => {
    const state = await pageState(req, reply, ctx);
    return page(reply, 404, state, state.t.titleNotFound, <p>{state.t.notFoundText}</p>);
  });

  app.setErrorHandler(async (rawError: FastifyError | AccountError, req, reply) => {
    const error = asUnavailable(rawError, req);
    const state = bareState(req, config);
    const { t } = state;
    let status = 500;
    let message = t.errInternal;
    if (error instanceof AccountError) {
      status = error.status;
      message = messageOf(error, t);
      applyErrorHeaders(reply, error);
      if (error.code === "rate_limited") await auditRateLimited(req, deps);
    } else if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      message = status === 413 ? t.errPayloadTooLarge : t.requestUnreadable;
    } else {
      req.log.error({ err: error }, "unhandled error");
    }
    const retryAfter = error instanceof AccountError ? error.retryAfter : undefined;
    const scripts = retryAfter !== undefined ? ["/static/countdown.js"] : [];
    return page(
      reply,
      status,
      state,
      status === 429 ? t.titleSlowDown : status >= 500 ? t.titleError : t.titleCannotDoThat,
      <>
        <Alert>{message}</Alert>
        {retryAfter !== undefined ? (
          <p>
            {t.tryAgainIn} <span data-countdown={retryAfter} data-done={t.countdownDone} data-min={t.countdownMinutes} data-sec={t.countdownSeconds}>{humanDuration(retryAfter, t)}</span>.
          </p>
        ) : null}
        {status >= 500 && status !== 503 ? (
          <p>
            {t.requestId} <code>{req.id}</code>
          </p>
        ) : null}
      </>,
      scripts,
    );
  });

  return app;
}
