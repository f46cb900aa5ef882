import { ERROR_CATALOGUE } from "../../accounts/errors.ts";
import { secondFactorPaths } from "./openapi-second-factor.ts";

const json = (schema: object) => ({ content: { "application/json": { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const strings = (...names: string[]) => ({
  type: "object",
  required: names,
  properties: Object.fromEntries(names.map((n) => [n, { type: "string" }])),
});
const error = (description: string) => ({ description, ...json(ref("Error")) });
const body = (schema: object) => ({ required: true, ...json(schema) });

/** Error responses any route may give, body or not. */
const anyRouteErrors = {
  "403": error("forbidden (cross-site request) or email_unconfirmed"),
  "500": error("internal (unexpected failure; the message carries the request id)"),
  "503": error("unavailable, with a Retry-After header (busy, or the database is down)"),
};

/** Error responses every route that reads a body may give, by the statuses of the catalogue. */
const commonErrors = {
  ...anyRouteErrors,
  "400": error("invalid_input: the body is not readable JSON"),
  "413": error("payload_too_large"),
  "422": error("invalid_input, with `fields`"),
  "429": error("rate_limited, with a Retry-After header"),
};

/** Admin routes: 401 anonymous, 403 non-admins (or cross-site), plus the route's own. */
const adminErrors = {
  "401": error("unauthenticated"),
  "403": error("forbidden (not a confirmed admin, or a cross-site request)"),
  "500": anyRouteErrors["500"],
  "503": anyRouteErrors["503"],
};
const admin = { security: [{ session: [] }] };
const q = (name: string, description: string, schema: object = { type: "string" }) => ({ name, in: "query", required: false, schema, description });
const idParam = (name = "id") => ({ name, in: "path", required: true, schema: { type: "string" } });
const ADMIN_ACTION_NAMES = ["resend-confirmation", "confirm", "disable", "enable", "revoke-sessions", "send-reset", "reset-2fa", "grant-admin", "revoke-admin", "delete"];

const ADMIN_PATHS = {
  "/admin/users": {
    get: {
      summary: "Admins: accounts newest first, 50 a page (keyset); `q` is a prefix of the address, any case",
      ...admin,
      parameters: [
        q("q", "the start of the address (canonical form: any case)"),
        q("status", "only accounts of this status", { type: "string", enum: ["confirmed", "unconfirmed", "disabled", "admin"] }),
        q("after", "the `next` cursor of the previous page"),
      ],
      responses: {
        "200": { description: "A page; `next` is null on the last one", ...json({ type: "object", properties: { users: { type: "array", items: ref("AdminUser") }, next: { type: ["string", "null"] } } }) },
        "422": error("invalid_input: unknown `status` or a malformed `after`"),
        ...adminErrors,
      },
    },
  },
  "/admin/users/{id}": {
    get: {
      summary: "Admins: one account, its live sessions and its latest audit events",
      ...admin,
      parameters: [idParam()],
      responses: {
        "200": {
          description: "The account",
          ...json({ type: "object", properties: { user: ref("AdminUser"), sessions: { type: "array", items: { type: "object" } }, events: { type: "array", items: ref("AuditEvent") } } }),
        },
        "404": error("not_found"),
        ...adminErrors,
      },
    },
  },
  "/admin/users/{id}/{action}": {
    post: {
      summary: "Admins: act on an account (audited with the admin as actor); disabling ends every session and kills every token",
      ...admin,
      parameters: [idParam(), { name: "action", in: "path", required: true, schema: { type: "string", enum: ADMIN_ACTION_NAMES } }],
      responses: {
        "200": { description: "Done", ...json({ type: "object", properties: { action: { type: "string" }, message: { type: "string" } } }) },
        "404": error("not_found (no such account or action)"),
        "409": error("conflict: the last confirmed, enabled admin cannot be demoted, disabled or deleted; or the account's state does not allow the action"),
        ...adminErrors,
      },
    },
  },
  "/admin/events": {
    get: {
      summary: "Admins: the audit log newest first, 50 a page (keyset)",
      ...admin,
      parameters: [q("user", "an account id"), q("type", "an event type"), q("before", "the `next` cursor of the previous page")],
      responses: {
        "200": { description: "A page", ...json({ type: "object", properties: { events: { type: "array", items: ref("AuditEvent") }, next: { type: ["string", "null"] } } }) },
        "422": error("invalid_input: a malformed `before`"),
        ...adminErrors,
      },
    },
  },
  "/admin/mail": {
    get: {
      summary: "Admins: outbox counts and failed mails (kind, attempts, last error; never a body)",
      ...admin,
      responses: {
        "200": {
          description: "Counts and failures",
          ...json({ type: "object", properties: { queued: { type: "integer" }, retrying: { type: "integer" }, failed: { type: "integer" }, failed_mail: { type: "array", items: { type: "object" } } } }),
        },
        ...adminErrors,
      },
    },
  },
  "/admin/mail/{id}/retry": {
    post: {
      summary: "Admins: queue a failed mail again",
      ...admin,
      parameters: [idParam()],
      responses: { "202": { description: "Queued" }, "404": error("not_found (no failed mail with this id)"), ...adminErrors },
    },
  },
};

/** The OpenAPI 3.1 description of /api/v1, served at /api/openapi.json. */
export const OPENAPI = {
  openapi: "3.1.0",
  info: {
    title: "Latchkey JSON API",
    version: "1",
    description:
      "Every flow of the HTML pages, as JSON. Uses the same `session` cookie. Cross-site requests are refused by Origin / Sec-Fetch-Site; no CSRF field is needed.",
  },
  servers: [{ url: "/api/v1" }],
  components: {
    securitySchemes: { session: { type: "apiKey", in: "cookie", name: "session" } },
    schemas: {
      Error: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            properties: {
              code: { type: "string", enum: Object.keys(ERROR_CATALOGUE), description: "Stable; never changes with the language" },
              message: { type: "string", description: "In the language `Accept-Language` asks for (en, de), else DEFAULT_LOCALE" },
              fields: { type: "object", additionalProperties: { type: "string" }, description: "Field messages, in the same language as `message`" },
              methods: { type: "array", items: { type: "string" }, description: "mfa_required / reauth_required: e.g. totp, recovery_code, passkey, password" },
            },
          },
        },
      },
      User: {
        type: "object",
        properties: {
          email: { type: "string" },
          confirmed: { type: "boolean" },
          admin: { type: "boolean" },
          registered_on: { type: "string", format: "date-time" },
          confirmed_on: { type: ["string", "null"], format: "date-time" },
          pending_email: { type: ["string", "null"] },
        },
      },
      Session: {
        type: "object",
        properties: {
          id: { type: "string" },
          created_at: { type: "string", format: "date-time" },
          last_seen_at: { type: "string", format: "date-time" },
          ip: { type: ["string", "null"] },
          user_agent: { type: ["string", "null"] },
          current: { type: "boolean" },
        },
      },
      AdminUser: {
        type: "object",
        properties: {
          id: { type: "string" },
          email: { type: "string" },
          registered_on: { type: "string", format: "date-time" },
          confirmed_on: { type: ["string", "null"], format: "date-time" },
          pending_email: { type: ["string", "null"] },
          admin: { type: "boolean" },
          disabled_at: { type: ["string", "null"], format: "date-time" },
          live_sessions: { type: "integer" },
        },
      },
      AuditEvent: {
        type: "object",
        properties: {
          id: { type: "string" },
          type: { type: "string" },
          user_id: { type: ["string", "null"], description: "the account the event is about" },
          actor_id: { type: ["string", "null"], description: "the admin who acted, when not the account itself" },
          outcome: { type: "string" },
          ip: { type: ["string", "null"] },
          user_agent: { type: ["string", "null"] },
          at: { type: "string", format: "date-time" },
        },
      },
      Cohort: {
        type: "object",
        description: "The accounts registered in one UTC day or week, and how many were confirmed within 1 hour, 1 day, 7 days and at all.",
        properties: {
          start: { type: "string", format: "date-time" },
          registered: { type: "integer" },
          confirmed_within: { type: "object", properties: { hour: { type: "integer" }, day: { type: "integer" }, week: { type: "integer" } } },
          confirmed: { type: "integer" },
          open: { type: "boolean", description: "7 days have not yet passed for every account of the cohort: its figures may still grow" },
        },
      },
    },
  },
  paths: {
    ...secondFactorPaths({ error, anyRouteErrors, commonErrors }),
    "/register": {
      post: {
        summary: "Sign up (same answer when the address is taken; its owner is emailed instead)",
        requestBody: body(strings("email", "password", "confirm")),
        responses: { "201": { description: "Signed in, unconfirmed; `session` cookie set", ...json({ type: "object", properties: { user: ref("User") } }) }, ...commonErrors },
      },
    },
    "/login": {
      post: {
        summary: "Sign in",
        requestBody: body(strings("email", "password")),
        responses: {
          "200": { description: "New `session` cookie", ...json({ type: "object", properties: { user: ref("User") } }) },
          "401": error("invalid_credentials, or mfa_required with `methods`: a pending `session` cookie is set, finish at POST /login/2fa"),
          ...commonErrors,
          "403": error("account_disabled (the right password of a disabled account), or forbidden (cross-site)"),
        },
      },
    },
    "/logout": { post: { summary: "Sign out (server-side session deleted)", responses: { "204": { description: "Signed out" }, ...commonErrors } } },
    "/confirm": {
      post: {
        summary: "Confirm an address with the link's token (no session needed) or the code (signed in)",
        requestBody: body({ type: "object", properties: { token: { type: "string" }, code: { type: "string" } } }),
        responses: { "200": { description: "Confirmed (by code: a new `session` cookie, the old id ends)", ...json({ type: "object", properties: { confirmed: { type: "boolean" } } }) }, "401": error("unauthenticated (code without a session)"), ...commonErrors, "400": error("token_invalid or token_expired; invalid_input when the body is not readable JSON") },
      },
    },
    "/resend": { post: { summary: "Send another confirmation email (60 s cooldown)", security: [{ session: [] }], responses: { "202": { description: "Queued" }, "204": { description: "Already confirmed; nothing sent" }, "401": error("unauthenticated"), ...commonErrors } } },
    "/email/fix": {
      post: {
        summary: "Correct a mistyped address before confirmation (counts as a resend: cooldown and daily cap)",
        security: [{ session: [] }],
        requestBody: body(strings("email", "current_password")),
        responses: { "202": { description: "Confirmation queued to the corrected address" }, "401": error("unauthenticated"), ...commonErrors },
      },
    },
    "/password/forgot": { post: { summary: "Email a reset link (same answer for unknown addresses)", requestBody: body(strings("email")), responses: { "202": { description: "Accepted" }, ...commonErrors } } },
    "/password/reset": {
      post: {
        summary: "Set a new password with a reset token; ends every session",
        requestBody: body(strings("token", "password", "confirm")),
        responses: { "204": { description: "Password set" }, ...commonErrors, "400": error("token_invalid or token_expired; invalid_input when the body is not readable JSON") },
      },
    },
    "/me": {
      get: { summary: "The signed-in user", security: [{ session: [] }], responses: { "200": { description: "User", ...json({ type: "object", properties: { user: ref("User") } }) }, "401": error("unauthenticated"), ...anyRouteErrors } },
      delete: {
        summary: "Delete the account and everything of it (fresh session); goodbye email; signed out",
        security: [{ session: [] }],
        requestBody: { required: false, ...json({ type: "object", properties: { email: { type: "string", description: "if sent, must be the account's address (any case)" } } }) },
        responses: {
          "204": { description: "Deleted; the session cookie is cleared" },
          "401": error("unauthenticated"),
          "403": error("reauth_required (the session is not fresh), email_unconfirmed, or forbidden (cross-site)"),
          "409": error("conflict: the account is the last confirmed, enabled admin"),
          "422": error("invalid_input: `email` is not the account's address"),
          "500": anyRouteErrors["500"],
          "503": anyRouteErrors["503"],
        },
      },
    },
    "/me/export": {
      get: {
        summary: "The account's own data as a JSON attachment: account, sessions, audit events (never a hash, token, code or session id)",
        security: [{ session: [] }],
        responses: { "200": { description: "Export", ...json({ type: "object" }) }, "401": error("unauthenticated"), ...anyRouteErrors },
      },
    },
    "/session": {
      get: {
        summary: "Introspection for backends that see the user's cookie: who is signed in, and this session (SPEC §7)",
        security: [{ session: [] }],
        responses: {
          "200": {
            description: "The user and the session behind the cookie",
            ...json({
              type: "object",
              required: ["user", "session"],
              properties: {
                user: {
                  type: "object",
                  required: ["id", "email", "email_verified", "admin"],
                  properties: { id: { type: "string" }, email: { type: "string" }, email_verified: { type: "boolean" }, admin: { type: "boolean" } },
                },
                session: {
                  type: "object",
                  required: ["id", "created_at", "expires_at", "authenticated_at", "amr"],
                  properties: {
                    id: { type: "string", description: "the session's public id, as /sessions and the assertion's `sid` show it" },
                    created_at: { type: "string", format: "date-time" },
                    expires_at: { type: "string", format: "date-time", description: "absolute expiry; an idle session ends earlier (SESSION_IDLE_TTL)" },
                    authenticated_at: { type: "string", format: "date-time" },
                    amr: { type: "array", items: { type: "string" }, description: "how the session signed in, e.g. [\"pwd\"]" },
                  },
                },
              },
            }),
          },
          "401": error("unauthenticated"),
          ...anyRouteErrors,
        },
      },
    },
    "/me/password": {
      post: {
        summary: "Change password (other sessions end; this one gets a new id)",
        security: [{ session: [] }],
        requestBody: body(strings("current_password", "password", "confirm")),
        responses: { "204": { description: "Changed" }, "401": error("unauthenticated"), ...commonErrors },
      },
    },
    "/me/email": {
      post: {
        summary: "Change email: a link goes to the new address, a notice to the old (at most 5 a day per account and per target address)",
        security: [{ session: [] }],
        requestBody: body(strings("email", "current_password")),
        responses: { "202": { description: "Link sent" }, "401": error("unauthenticated"), ...commonErrors },
      },
    },
    "/me/sessions": {
      get: { summary: "The user's sessions", security: [{ session: [] }], responses: { "200": { description: "Sessions", ...json({ type: "object", properties: { sessions: { type: "array", items: ref("Session") } } }) }, "401": error("unauthenticated"), ...anyRouteErrors } },
    },
    "/admin/cohorts": {
      get: {
        summary: "Admins: registration → confirmation cohorts (the dashboard's chart), oldest first",
        security: [{ session: [] }],
        parameters: [{ name: "by", in: "query", required: false, schema: { type: "string", enum: ["day", "week"], default: "day" }, description: "UTC days (30) or weeks from Monday (12)" }],
        responses: {
          "200": { description: "Cohorts", ...json({ type: "object", properties: { period: { type: "string", enum: ["day", "week"] }, cohorts: { type: "array", items: ref("Cohort") } } }) },
          "401": error("unauthenticated"),
          "403": error("forbidden (not an admin, or a cross-site request)"),
          "422": error("invalid_input: `by` is neither day nor week"),
          "500": anyRouteErrors["500"],
          "503": anyRouteErrors["503"],
        },
      },
    },
    ...ADMIN_PATHS,
    "/me/sessions/{id}": {
      delete: {
        summary: "Revoke one session at once",
        security: [{ session: [] }],
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        responses: { "204": { description: "Revoked" }, "401": error("unauthenticated"), "404": error("not_found"), ...anyRouteErrors },
      },
    },
  },
} as const;
