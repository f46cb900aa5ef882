import type { FastifyInstance, FastifyRequest } from "fastify";
import { AccountError } from "../../accounts/errors.ts";
import { logout } from "../../accounts/login.ts";
import { confirmByLink } from "../../accounts/registration.ts";
import { isAdmin, listSessions, revokeSession, type Viewer } from "../../accounts/sessions.ts";
import { cohorts, COHORTS_SHOWN } from "../../admin/cohorts.ts";
import {
  guardedAddressFix,
  guardedChangePassword,
  guardedConfirmCode,
  guardedEmailChange,
  guardedForgot,
  guardedLogin,
  guardedRegister,
  guardedResend,
  guardedReset,
} from "../guarded.ts";
import { asUnavailable, auditRateLimited, clearSessionCookie, clientInfo, formFields, viewerOf, type WebContext } from "../http.ts";
import { adminApiRoutes } from "./admin.ts";
import { lifecycleApiRoutes } from "./lifecycle.ts";
import { OPENAPI } from "./openapi.ts";
import { passkeyApi } from "./passkeys.ts";
import { secondFactorApi } from "./second-factor.ts";
import { mfaRequired, secondFactorMethods } from "../second-step.ts";
import { crossSite, errorFor, sendError } from "./respond.ts";
import { sessionBody } from "./session.ts";

export const API_PREFIX = "/api/v1";

/**
 * The JSON API (SPEC §5): the same flows as the pages, the same error codes, the same session
 * cookie. Each route is a thin adapter over the same guarded flows (../guarded.ts).
 */
export function apiRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;

  app.get("/api/openapi.json", async () => OPENAPI);

  app.register(
    async (api) => {
      api.addHook("preHandler", async (req, reply) => {
        if (crossSite(req, deps)) return sendError(reply, errorFor("forbidden"));
        if (req.method !== "GET" && req.method !== "DELETE" && req.body !== undefined && !isJson(req)) {
          return sendError(reply, new AccountError("invalid_input", { message: "Send application/json." }));
        }
      });
      api.setErrorHandler(async (rawError, req, reply) => {
        const error = asUnavailable(rawError, req);
        if (error instanceof AccountError) {
          // As on the pages (app.tsx): a refusal leaves its trace in auth_events.
          if (error.code === "rate_limited") await auditRateLimited(req, deps);
          return sendError(reply, error);
        }
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 413) return sendError(reply, errorFor("payload_too_large"));
        if (typeof status === "number" && status >= 400 && status < 500) {
          // Unreadable bytes are a 400 (SPEC: malformed encoding), with the invalid_input code.
          return sendError(reply, new AccountError("invalid_input", { message: "The request body could not be read as JSON." }), 400);
        }
        req.log.error({ err: error }, "unhandled API error");
        return sendError(reply, new AccountError("internal", { message: `Something went wrong (request ${req.id}).` }));
      });

      const signedIn = async (req: FastifyRequest): Promise<Viewer> => {
        const viewer = await viewerOf(req, deps);
        if (!viewer) throw errorFor("unauthenticated");
        return viewer;
      };
      const confirmed = async (req: FastifyRequest): Promise<Viewer> => {
        const viewer = await signedIn(req);
        if (!viewer.confirmed) throw errorFor("email_unconfirmed");
        return viewer;
      };
      const admin = async (req: FastifyRequest): Promise<Viewer> => {
        const viewer = await signedIn(req);
        if (!isAdmin(viewer)) throw errorFor("forbidden");
        return viewer;
      };
      const me = (viewer: Viewer) => ({ email: viewer.email, confirmed: viewer.confirmed, admin: viewer.admin });

      api.post("/register", async (req, reply) => {
        const form = formFields(req.body, ["email", "password", "confirm"]);
        await guardedRegister(ctx, req, reply, form);
        // The same answer for a taken address (no enumeration): the typed address, unconfirmed.
        return reply.code(201).send({ user: { email: form.email.trim(), confirmed: false } });
      });

      api.post("/login", async (req, reply) => {
        const form = formFields(req.body, ["email", "password"]);
        const result = await guardedLogin(ctx, req, reply, form);
        // The pending session's cookie is set: POST /login/2fa finishes the sign-in (SPEC §9).
        if (result.mfaPending) throw mfaRequired(await secondFactorMethods(ctx, result.userId));
        return { user: { confirmed: result.confirmed } };
      });

      api.post("/logout", async (req, reply) => {
        const viewer = await viewerOf(req, deps);
        if (viewer) await logout(deps, viewer, clientInfo(req));
        clearSessionCookie(reply, deps);
        return reply.code(204).send();
      });

      api.post("/confirm", async (req, reply) => {
        const { token, code } = formFields(req.body, ["token", "code"]);
        if (token) {
          await confirmByLink(deps, token, clientInfo(req));
          return { confirmed: true };
        }
        if (!code) throw new AccountError("invalid_input", { fields: { token: "Send the token from the link, or the code." } });
        await guardedConfirmCode(ctx, req, reply, await signedIn(req), code);
        return { confirmed: true };
      });

      api.post("/resend", async (req, reply) => {
        const viewer = await signedIn(req);
        if (viewer.confirmed) return reply.code(204).send();
        await guardedResend(ctx, req, viewer);
        return reply.code(202).send({ sent: true });
      });

      api.post("/email/fix", async (req, reply) => {
        const viewer = await signedIn(req);
        if (viewer.confirmed) throw errorFor("forbidden");
        await guardedAddressFix(ctx, req, viewer, formFields(req.body, ["email", "current_password"]));
        return reply.code(202).send({ sent: true });
      });

      api.post("/password/forgot", async (req, reply) => {
        const { email } = formFields(req.body, ["email"]);
        await guardedForgot(ctx, req, reply, email);
        return reply.code(202).send({ sent: true });
      });

      api.post("/password/reset", async (req, reply) => {
        const { token, password, confirm } = formFields(req.body, ["token", "password", "confirm"]);
        await guardedReset(ctx, req, token, { password, confirm });
        clearSessionCookie(reply, deps);
        return reply.code(204).send();
      });

      api.get("/me", async (req) => {
        const viewer = await signedIn(req);
        // A sign-up attempt's placeholder session shows what a new account would (SPEC §3).
        return {
          user: {
            ...me(viewer),
            registered_on: new Date(viewer.registeredOn).toISOString(),
            confirmed_on: viewer.confirmedOn === null ? null : new Date(viewer.confirmedOn).toISOString(),
            pending_email: viewer.pendingEmail,
          },
        };
      });

      api.get("/session", async (req) => sessionBody(await signedIn(req)));

      api.post("/me/password", async (req, reply) => {
        const viewer = await confirmed(req);
        await guardedChangePassword(ctx, req, reply, viewer, formFields(req.body, ["current_password", "password", "confirm"]));
        return reply.code(204).send();
      });

      api.post("/me/email", async (req, reply) => {
        const viewer = await confirmed(req);
        await guardedEmailChange(ctx, req, viewer, formFields(req.body, ["email", "current_password"]));
        return reply.code(202).send({ sent: true });
      });

      api.get("/me/sessions", async (req) => {
        const viewer = await confirmed(req);
        const sessions = await listSessions(deps, viewer);
        return {
          sessions: sessions.map((s) => ({
            id: s.publicId,
            created_at: new Date(s.createdAt).toISOString(),
            last_seen_at: new Date(s.lastSeenAt).toISOString(),
            ip: s.ip,
            user_agent: s.userAgent,
            current: s.current,
          })),
        };
      });

      api.delete<{ Params: { id: string } }>("/me/sessions/:id", async (req, reply) => {
        const viewer = await confirmed(req);
        if (!(await revokeSession(deps, viewer, req.params.id, clientInfo(req)))) throw errorFor("not_found");
        return reply.code(204).send();
      });

      // The admin dashboard's cohort chart, as data.
      api.get("/admin/cohorts", async (req) => {
        await admin(req);
        const by = (req.query as Record<string, unknown>).by ?? "day";
        if (by !== "day" && by !== "week") throw new AccountError("invalid_input", { fields: { by: "Send day or week." } });
        const rows = await cohorts(deps, by, COHORTS_SHOWN[by]);
        return {
          period: by,
          cohorts: rows.map((c) => ({
            start: new Date(c.start).toISOString(),
            registered: c.registered,
            confirmed_within: { hour: c.within[0], day: c.within[1], week: c.within[2] },
            confirmed: c.confirmed,
            open: c.open,
          })),
        };
      });

      secondFactorApi(api, ctx, { signedIn, confirmed });
      passkeyApi(api, ctx, { confirmed });
      lifecycleApiRoutes(api, ctx);
      adminApiRoutes(api, ctx);

      api.setNotFoundHandler(async (_req, reply) => sendError(reply, errorFor("not_found")));
    },
    { prefix: API_PREFIX },
  );
}

function isJson(req: FastifyRequest): boolean {
  return /^application\/json\b/i.test(req.headers["content-type"] ?? "");
}
