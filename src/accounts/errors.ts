/**
 * The one closed catalogue of error codes (SPEC §5). Each code has its HTTP status here;
 * pages pick their wording from the same code, so HTML and JSON always agree.
 */
export const ERROR_CATALOGUE = {
  invalid_input: { status: 422, message: "Some fields need attention." },
  invalid_credentials: { status: 401, message: "That email and password do not match an account." },
  unauthenticated: { status: 401, message: "Please sign in." },
  email_unconfirmed: { status: 403, message: "Please confirm your email address first." },
  forbidden: { status: 403, message: "You cannot do that." },
  token_invalid: { status: 400, message: "This link or code is not valid. It may have been used already." },
  token_expired: { status: 400, message: "This link or code has expired." },
  rate_limited: { status: 429, message: "Too many attempts. Please wait and try again." },
  payload_too_large: { status: 413, message: "That request is too large." },
  not_found: { status: 404, message: "Not found." },
  // SPEC §9: both carry `methods` (what the account can use) in the error object.
  mfa_required: { status: 401, message: "Enter the code from your authenticator app, a recovery code, or use a passkey." },
  reauth_required: { status: 403, message: "Please confirm it is you before this change." },
  account_disabled: { status: 403, message: "This account has been disabled. Contact the operator of this site." },
  // The change would break a rule that other rows uphold (the last admin), or the account is
  // in a state that does not allow it.
  conflict: { status: 409, message: "That cannot be done in the account's current state." },
  // Beyond SPEC §5's list: the bounded password-hash queue is full (issue 4), or the database is
  // unreachable (issue 5). Always with Retry-After.
  unavailable: { status: 503, message: "We are busy right now. Please try again in a moment." },
  // Beyond SPEC §5's list: an unexpected failure (500). Its message carries the request id.
  internal: { status: 500, message: "Something went wrong on our side." },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export type FieldErrors = Record<string, string>;

export class AccountError extends Error {
  readonly code: ErrorCode;
  readonly fields: FieldErrors | undefined;
  /** Seconds until a retry can succeed (rate_limited). */
  readonly retryAfter: number | undefined;
  /** mfa_required / reauth_required: the ways the account can prove itself (SPEC §9). */
  readonly methods: readonly string[] | undefined;

  constructor(code: ErrorCode, opts: { message?: string; fields?: FieldErrors; retryAfter?: number; methods?: readonly string[] } = {}) {
    super(opts.message ?? ERROR_CATALOGUE[code].message);
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

export function invalidInput(fields: FieldErrors): AccountError {
  return new AccountError("invalid_input", { fields });
}
