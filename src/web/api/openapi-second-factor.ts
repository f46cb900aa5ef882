/** SPEC §9's routes in the OpenAPI document (spread into its `paths`), built from its shared parts. */
type Response = { description: string; content: { "application/json": { schema: object } } };
interface Parts {
  readonly error: (description: string) => Response;
  readonly anyRouteErrors: Record<string, Response>;
  readonly commonErrors: Record<string, Response>;
}

const json = (schema: object) => ({ content: { "application/json": { schema } } });
const body = (properties: Record<string, object>) => ({ required: true, ...json({ type: "object", properties }) });
const str = { type: "string" };
const codes = json({ type: "object", properties: { recovery_codes: { type: "array", items: str } } });
const session = [{ session: [] }];

export function secondFactorPaths({ error, anyRouteErrors: base, commonErrors: withBody }: Parts) {
  const fresh = {
    ...withBody,
    "401": error("unauthenticated, or mfa_required (a pending sign-in) with `methods`"),
    "403": error("reauth_required with `methods` (the session is not fresh: POST /reauth), forbidden or email_unconfirmed"),
  };
  return {
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
    "/me/passkeys": {
      get: {
        summary: "The account's passkeys",
        security: session,
        responses: {
          "200": {
            description: "Passkeys",
            ...json({
              type: "object",
              properties: {
                passkeys: {
                  type: "array",
                  items: { type: "object", properties: { id: str, name: str, created_at: str, last_used_at: { type: ["string", "null"] }, synced: { type: "boolean" } } },
                },
              },
            }),
          },
          "401": error("unauthenticated"),
          ...base,
        },
      },
      post: {
        summary: "Add a passkey: the browser's answer to the creation options; the owner is mailed",
        security: session,
        requestBody: body({ response: { type: "object" }, name: str }),
        responses: {
          "201": { description: "Added", ...json({ type: "object", properties: { id: str, name: str, synced: { type: "boolean" } } }) },
          ...withBody,
          "400": error("token_invalid: the passkey could not be verified (challenge used or expired, wrong origin); invalid_input when the body is not readable JSON"),
          "401": error("unauthenticated"),
        },
      },
    },
    "/me/passkeys/options": {
      post: { summary: "Fresh session: WebAuthn creation options (challenge: 5 minutes, single use)", security: session, responses: { "200": { description: "PublicKeyCredentialCreationOptionsJSON", ...json({ type: "object" }) }, ...fresh, "404": error("not_found: passkeys are off (BASE_URL's host is an IP address)") } },
    },
    "/me/passkeys/{id}": {
      delete: {
        summary: "Fresh session: remove a passkey; the owner is mailed",
        security: session,
        parameters: [{ name: "id", in: "path", required: true, schema: str }],
        responses: { "204": { description: "Removed" }, ...fresh, "404": error("not_found") },
      },
    },
    "/login/passkey/options": {
      post: { summary: "WebAuthn request options for a passwordless sign-in", responses: { "200": { description: "PublicKeyCredentialRequestOptionsJSON", ...json({ type: "object" }) }, ...withBody, "404": error("not_found: passkeys are off") } },
    },
    "/login/passkey": {
      post: {
        summary: "Sign in with a passkey that verified its user: a full sign-in, second step included",
        requestBody: body({ response: { type: "object" } }),
        responses: {
          "200": { description: "Signed in; new `session` cookie", ...json({ type: "object" }) },
          ...withBody,
          "400": error("token_invalid: not verified (replayed, wrong origin, unknown or foreign credential, no user verification, counter went backwards); invalid_input when the body is not readable JSON"),
        },
      },
    },
  } as const;
}
