import type { Generated, Insertable, Selectable } from "kysely";

/**
 * Times are integer milliseconds since the epoch in both dialects (bigint in PostgreSQL,
 * parsed back to number), so comparisons and arithmetic are the same SQL everywhere.
 * Flags are 0/1 integers for the same reason.
 */
export interface UsersTable {
  id: string;
  email: string;
  email_canonical: string;
  password_hash: string;
  registered_on: number;
  confirmed: Generated<number>;
  confirmed_on: number | null;
  admin: Generated<number>;
  /** When the last confirmation email was queued: the resend cooldown reads it. */
  confirmation_sent_at: number | null;
  /** An address change waiting for its link to be confirmed (only the latest request counts). */
  pending_email: string | null;
  /** When the last "someone tried to sign up with your address" notice was queued (migration 007). */
  signup_notice_at: number | null;
  /** Wrong second-factor codes in a row (any session); 10 lock second-factor sign-in for 15 min. */
  mfa_failures: Generated<number>;
  mfa_locked_until: Generated<number | null>;
  /** Random WebAuthn user handle (base64url), never the id or address; set with the first passkey. */
  webauthn_user_id: Generated<string | null>;
  /** When an admin disabled the account; null while it is enabled (migration 006). */
  disabled_at: Generated<number | null>;
  /** The account's language, `en` or `de` (migration 008); null: DEFAULT_LOCALE. */
  locale: Generated<string | null>;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the cookie value; the value itself is never stored. */
  id_hash: string;
  /** A random handle shown on /sessions and used to revoke; not a credential. */
  public_id: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
  /**
   * Set only on the placeholder session of a sign-up with an already registered address:
   * the address as typed. Such a session reaches /unconfirmed and /resend, nothing else.
   */
  signup_email: string | null;
  /** The password typed with that sign-up attempt (argon2id), so "Wrong address?" works as for a real account. */
  signup_password_hash: string | null;
  /** A placeholder session's last "send it again" (its own cooldown, never the owner's; migration 007). */
  signup_resent_at: number | null;
  /** Last sign-in or re-authentication: a session is "fresh" for REAUTH_TTL after it. */
  authenticated_at: Generated<number | null>;
  /** JSON list of how it was authenticated, e.g. ["pwd","otp"]. */
  amr: Generated<string | null>;
  /** 1: the password was right but the second factor is still owed; opens only /login/2fa. */
  mfa_pending: Generated<number>;
  /** Wrong codes on this pending sign-in; the 5th ends it. */
  mfa_attempts: Generated<number>;
}

export type TokenPurpose = "confirm" | "reset" | "email_change";

export interface TokensTable {
  id: string;
  /** SHA-256 (hex) of the link token. */
  token_hash: string;
  user_id: string;
  purpose: TokenPurpose;
  /** The address the token was sent to and is bound to. */
  email: string;
  /** HMAC-SHA-256 (keyed by SECRET_KEY) of the short confirmation code, if any. */
  code_hmac: string | null;
  code_attempts: Generated<number>;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export type OutboxStatus = "pending" | "sent" | "failed";

export interface OutboxTable {
  id: string;
  /** RFC 5322 Message-ID, kept across attempts so a re-send is recognisable as the same mail. */
  message_id: string;
  /** Template name (confirm, …): lets admins see what failed without decrypting. */
  kind: string;
  /** AES-256-GCM sealed JSON {to, subject, text, html}; null once delivered. */
  payload: string | null;
  status: OutboxStatus;
  attempts: Generated<number>;
  created_at: number;
  next_attempt_at: number;
  locked_until: number | null;
  sent_at: number | null;
  last_error: string | null;
  /** Set on a webhook delivery (the endpoint it goes to); null on an email. */
  endpoint_id: string | null;
  /** Keyed hash of the recipient's address (outbox.ts), so an account's deletion finds its mail (006). */
  recipient: Generated<string | null>;
}

export type AuthEventType =
  | "register"
  | "confirm"
  | "resend"
  | "login_ok"
  | "login_failed"
  | "logout"
  | "reset_requested"
  | "reset_done"
  | "password_changed"
  | "email_change_requested"
  | "email_changed"
  | "address_fixed"
  | "session_revoked"
  | "rate_limited"
  | "admin_created"
  | "admin_promoted"
  // Second factors (issue 13): outcome says which change or method.
  | "mfa_changed"
  | "mfa_failed"
  | "mfa_ok"
  | "reauth"
  | "passkey_login"
  | "passkey_counter_regression"
  // Issue 14 (lifecycle.ts, admin/actions.ts): actor_id is the admin, user_id the account.
  | "account_disabled"
  | "account_enabled"
  | "account_deleted"
  | "account_purged"
  | "admin_granted"
  | "admin_revoked"
  | "sessions_revoked"
  | "confirmation_resent"
  | "confirmed_by_admin"
  | "reset_sent"
  | "mfa_reset"
  | "mail_retried"
  // Admin webhooks pages: outcome is the endpoint's id, user_id null, actor_id the admin.
  | "webhook_added"
  | "webhook_removed";

/** Append-only. Never a password, token, session id or email body. */
export interface AuthEventsTable {
  id: string;
  type: AuthEventType;
  user_id: string | null;
  ip: string | null;
  user_agent: string | null;
  /** ok | failed | duplicate | unknown_account | limited … */
  outcome: string;
  created_at: number;
  /** Who acted, when not the account itself (an admin); null otherwise (migration 006). */
  actor_id: Generated<string | null>;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  /** The endpoint's `whsec_…` secret, AES-256-GCM sealed (the worker signs with it). */
  secret: string;
  /** Comma list of subscribed event types; null = all. */
  events: string | null;
  created_at: number;
}

export interface TotpCredentialsTable {
  user_id: string;
  /** AES-256-GCM sealed base32 secret. */
  secret_sealed: string;
  /** The last accepted time step: a code of this step or an earlier one never works again. */
  last_step: number;
  created_at: number;
}

/** A secret being set up: bound to one session, 10 minutes. */
export interface TotpEnrollmentsTable {
  user_id: string;
  session_hash: string;
  secret_sealed: string;
  expires_at: number;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  /** HMAC-SHA-256 (recovery key) of user id and the normalised code. */
  code_hmac: string;
  created_at: number;
  used_at: number | null;
}

export interface PasskeysTable {
  id: string;
  user_id: string;
  /** base64url credential id. */
  credential_id: string;
  /** base64url COSE public key. */
  public_key: string;
  counter: number;
  /** JSON list of transports, as the browser reported them. */
  transports: string | null;
  backup_eligible: number;
  backed_up: number;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export type ChallengePurpose = "register" | "login" | "second_factor" | "reauth";

/** WebAuthn challenges: stored as SHA-256, single-use, 5 minutes. */
export interface WebauthnChallengesTable {
  challenge_hash: string;
  purpose: ChallengePurpose;
  session_hash: string | null;
  user_id: string | null;
  expires_at: number;
  used_at: number | null;
}

export interface Database {
  users: UsersTable;
  auth_events: AuthEventsTable;
  sessions: SessionsTable;
  tokens: TokensTable;
  outbox: OutboxTable;
  webhook_endpoints: WebhookEndpointsTable;
  totp_credentials: TotpCredentialsTable;
  totp_enrollments: TotpEnrollmentsTable;
  recovery_codes: RecoveryCodesTable;
  passkeys: PasskeysTable;
  webauthn_challenges: WebauthnChallengesTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type Session = Selectable<SessionsTable>;
export type Token = Selectable<TokensTable>;
export type OutboxRow = Selectable<OutboxTable>;
