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
  /** When an admin disabled the account; null while it is enabled (migration 006). */
  disabled_at: Generated<number | null>;
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
  | "mail_retried";

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

export interface Database {
  users: UsersTable;
  auth_events: AuthEventsTable;
  sessions: SessionsTable;
  tokens: TokensTable;
  outbox: OutboxTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type Session = Selectable<SessionsTable>;
export type Token = Selectable<TokensTable>;
export type OutboxRow = Selectable<OutboxTable>;
