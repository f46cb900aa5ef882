/** SPEC §9's routes in the OpenAPI document (spread into its `paths`). */
const json = (schema: object) => ({ content: { "application/json": { schema } } });
const error = (description: string) => ({ description, ...json({ $ref: "#/components/schemas/Error" }) });
const body = (properties: Record<string, object>) => ({ required: true, ...json({ type: "object", properties }) });
const str = { type: "string" };
const codes = json({ type: "object", properties: { recovery_codes: { type: "array", items: str } } });
const session = [{ session: [] }];
const base = {
  "403": error("forbidden (cross-site request) or email_unconfirmed"),
  "500": error("internal (unexpected failure; the message carries the request id)"),
  "503": error("unavailable, with a Retry-After header (busy, or the database is down)"),
};
const withBody = {
  ...base,
  "400": error("invalid_input: the body is not readable JSON"),
  "413": error("payload_too_large"),
  "422": error("invalid_input, with `fields`"),
  "429": error("rate_limited, with a Retry-After header"),
};
const fresh = { ...withBody, "401": error("unauthenticated, or mfa_required (a pending sign-in) with `methods`"), "403": error("reauth_required with `methods` (the session is not fresh: POST /reauth), forbidden or email_unconfirmed") };

export const SECOND_FACTOR_PATHS = {
  "/login/2fa": {
    post: {
      summary: "Second step of a sign-in: a TOTP or recovery code turns the pending session (from 401 mfa_required at /login) into a full one with a new id",
      requestBody: body({ code: str }),
      responses: {
        "200": { description: "Signed in; new `session` cookie", ...json({ type: "object" }) },
        "401": error("invalid_credentials (wrong code; the 5th ends the pending sign-in) or unauthenticated (no pending sign-in)"),
        ...withBody,
        "429": error("rate_limited: 10 wrong codes in a row lock the account's second step for 15 minutes (Retry-After)"),
      },
    },
  },
  "/reauth": {
    post: {
      summary: "Re-authenticate (password, or a TOTP / recovery code): the session is fresh for REAUTH_TTL seconds and gets a new id",
      security: session,
      requestBody: body({ password: str, code: str }),
      responses: { "204": { description: "Fresh; new `session` cookie" }, "401": error("invalid_credentials or unauthenticated"), ...withBody },
    },
  },
  "/me/2fa": {
    get: {
      summary: "Second-factor status",
      security: session,
      responses: {
        "200": {
          description: "Status",
          ...json({ type: "object", properties: { totp: { type: "boolean" }, recovery_codes_left: { type: "integer" }, passkeys: { type: "integer" }, methods: { type: "array", items: str } } }),
        },
        "401": error("unauthenticated"),
        ...base,
      },
    },
  },
  "/me/2fa/totp/setup": {
    post: {
      summary: "Fresh session: a new TOTP secret, pending for 10 minutes on this session",
      security: session,
      responses: { "200": { description: "The key and its otpauth:// URI", ...json({ type: "object", properties: { secret: str, otpauth_uri: str } }) }, ...fresh },
    },
  },
  "/me/2fa/totp": {
    post: {
      summary: "Turn TOTP on with the first code: 10 recovery codes (shown once); other sessions end, this one gets a new id",
      security: session,
      requestBody: body({ code: str }),
      responses: { "200": { description: "On", ...codes }, ...fresh, "400": error("token_expired (the set-up expired) or token_invalid; invalid_input when the body is not readable JSON") },
    },
    delete: { summary: "Turn TOTP off (fresh through a second factor)", security: session, responses: { "204": { description: "Off" }, ...fresh } },
  },
  "/me/2fa/recovery-codes": {
    post: { summary: "Fresh session: a new set of recovery codes; the old set dies", security: session, responses: { "200": { description: "New codes", ...codes }, ...fresh } },
  },
} as const;
