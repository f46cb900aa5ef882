import { catalogue, type Catalogue } from "../i18n/index.ts";

/**
 * The one closed catalogue of error codes (SPEC §5). Each code has its HTTP status here;
 * pages pick their wording from the same code, so HTML and JSON always agree. `key` names the
 * message in the language catalogues (src/i18n): the code never changes, the message follows
 * the reader's language (SPEC §8).
 */
export const ERROR_CATALOGUE = {
  invalid_input: { status: 422, key: "errInvalidInput" },
  invalid_credentials: { status: 401, key: "errInvalidCredentials" },
  unauthenticated: { status: 401, key: "errUnauthenticated" },
  email_unconfirmed: { status: 403, key: "errEmailUnconfirmed" },
  forbidden: { status: 403, key: "errForbidden" },
  token_invalid: { status: 400, key: "errTokenInvalid" },
  token_expired: { status: 400, key: "errTokenExpired" },
  rate_limited: { status: 429, key: "errRateLimited" },
  payload_too_large: { status: 413, key: "errPayloadTooLarge" },
  not_found: { status: 404, key: "errNotFound" },
  // SPEC §9: both carry `methods` (what the account can use) in the error object.
  mfa_required: { status: 401, key: "errMfaRequired" },
  reauth_required: { status: 403, key: "errReauthRequired" },
  account_disabled: { status: 403, key: "errAccountDisabled" },
  // The change would break a rule that other rows uphold (the last admin), or the account is
  // in a state that does not allow it.
  conflict: { status: 409, key: "errConflict" },
  // Beyond SPEC §5's list: the bounded password-hash queue is full (issue 4), or the database is
  // unreachable (issue 5). Always with Retry-After.
  unavailable: { status: 503, key: "errUnavailable" },
  // Beyond SPEC §5's list: an unexpected failure (500). Its message carries the request id.
  internal: { status: 500, key: "errInternal" },
} as const satisfies Record<string, { status: number; key: keyof Catalogue }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** A code's message in a language's catalogue. */
export function catalogueMessage(code: ErrorCode, t: Catalogue): string {
  return t[ERROR_CATALOGUE[code].key];
}

export type FieldErrors = Record<string, string>;

export class AccountError extends Error {
  readonly code: ErrorCode;
  readonly fields: FieldErrors | undefined;
  /** Seconds until a retry can succeed (rate_limited). */
  readonly retryAfter: number | undefined;
  /** mfa_required / reauth_required: the ways the account can prove itself (SPEC §9). */
  readonly methods: readonly string[] | undefined;
  /** Set when the flow gave a message of its own (not yet in the catalogues: stays English). */
  readonly ownMessage: boolean;

  constructor(code: ErrorCode, opts: { message?: string; fields?: FieldErrors; retryAfter?: number; methods?: readonly string[] } = {}) {
    super(opts.message ?? catalogueMessage(code, catalogue("en")));
    this.ownMessage = opts.message !== undefined;
    this.name = "AccountError";
    this.code = code;
    this.fields = opts.fields;
    this.retryAfter = opts.retryAfter;
    this.methods = opts.methods;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

/** The error's message in the reader's language. */
export function messageOf(err: AccountError, t: Catalogue): string {
  return err.ownMessage ? t.flowMessage(err.message) : catalogueMessage(err.code, t);
}

export function invalidInput(fields: FieldErrors): AccountError {
  return new AccountError("invalid_input", { fields });
}
