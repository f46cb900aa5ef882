import { randomInt, randomUUID } from "node:crypto";
import type { TokenPurpose } from "../db/schema.ts";
import { hmac, randomToken, sha256, TOKEN_PATTERN } from "../secrets.ts";
import type { Trx } from "./deps.ts";
import { AccountError } from "./errors.ts";

/** No 0/O, 1/I/L, U/V-ish pairs: a code read off a phone and typed on a laptop. */
export const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789";
export const CODE_LENGTH = 8;
export const CODE_MAX_ATTEMPTS = 5;

export interface IssuedToken {
  readonly token: string;
  readonly code: string | undefined;
  readonly expiresAt: number;
}

export function newCode(): string {
  let code = "";
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** Upper-cases and drops separators, so "abcd-efgh" and "ABCD EFGH" are the same code. */
export function normaliseCode(input: string): string {
  return input.normalize("NFKC").toUpperCase().replace(/[\s-]/g, "");
}

/** Codes are short, so they are keyed (HMAC with SECRET_KEY) and bound to the user. */
export function codeHmac(key: Buffer, userId: string, code: string): string {
  return hmac(key, `${userId}:${normaliseCode(code)}`);
}

export async function issueToken(
  trx: Trx,
  opts: { userId: string; purpose: TokenPurpose; email: string; ttlSeconds: number; now: number; codeKey?: Buffer },
): Promise<IssuedToken> {
  const token = randomToken();
  const code = opts.codeKey ? newCode() : undefined;
  const expiresAt = opts.now + opts.ttlSeconds * 1000;
  await trx
    .insertInto("tokens")
    .values({
      id: randomUUID(),
      token_hash: sha256(token),
      user_id: opts.userId,
      purpose: opts.purpose,
      email: opts.email,
      code_hmac: code && opts.codeKey ? codeHmac(opts.codeKey, opts.userId, code) : null,
      created_at: opts.now,
      expires_at: expiresAt,
      used_at: null,
    })
    .execute();
  return { token, code, expiresAt };
}

export interface TokenClaim {
  readonly userId: string;
  readonly email: string;
  readonly purpose: TokenPurpose;
}

/** One purpose, or several that share a route (/confirm/:token serves confirm and email_change). */
type Purposes = TokenPurpose | readonly TokenPurpose[];

const asList = (p: Purposes): readonly TokenPurpose[] => (typeof p === "string" ? [p] : p);

/**
 * Marks the token used in one statement (DESIGN rule 11): of any number of concurrent
 * attempts exactly one gets a row back. Throws token_invalid / token_expired otherwise.
 */
export async function consumeToken(trx: Trx, token: string, purpose: Purposes, now: number): Promise<TokenClaim> {
  if (!TOKEN_PATTERN.test(token)) throw new AccountError("token_invalid");
  const row = await trx
    .updateTable("tokens")
    .set({ used_at: now })
    .where("token_hash", "=", sha256(token))
    .where("purpose", "in", asList(purpose))
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .returning(["user_id", "email", "purpose"])
    .executeTakeFirst();
  if (!row) throw await whyUnusable(trx, token, purpose, now);
  return { userId: row.user_id, email: row.email, purpose: row.purpose };
}

/** Checks a token without using it (GET pages: mail scanners open links). */
export async function peekToken(trx: Trx, token: string, purpose: Purposes, now: number): Promise<TokenClaim> {
  if (!TOKEN_PATTERN.test(token)) throw new AccountError("token_invalid");
  const row = await trx
    .selectFrom("tokens")
    .select(["user_id", "email", "purpose"])
    .where("token_hash", "=", sha256(token))
    .where("purpose", "in", asList(purpose))
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  if (!row) throw await whyUnusable(trx, token, purpose, now);
  return { userId: row.user_id, email: row.email, purpose: row.purpose };
}

/**
 * The stored language of the account a link belongs to, used or not, expired or not (its pages
 * speak the owner's language to a visitor without a session or a `lang` cookie). Null when the
 * token is unknown or the account stores none.
 */
export async function tokenOwnerLocale(trx: Trx, token: string, purpose: Purposes): Promise<string | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const row = await trx
    .selectFrom("tokens")
    .innerJoin("users", "users.id", "tokens.user_id")
    .select("users.locale")
    .where("tokens.token_hash", "=", sha256(token))
    .where("tokens.purpose", "in", asList(purpose))
    .executeTakeFirst();
  return row?.locale ?? null;
}

async function whyUnusable(trx: Trx, token: string, purpose: Purposes, now: number): Promise<AccountError> {
  const row = await trx
    .selectFrom("tokens")
    .select(["expires_at", "used_at"])
    .where("token_hash", "=", sha256(token))
    .where("purpose", "in", asList(purpose))
    .executeTakeFirst();
  return new AccountError(row && row.used_at === null && row.expires_at <= now ? "token_expired" : "token_invalid");
}

/**
 * Confirms by code: the code must belong to one of the user's live confirmation tokens for
 * `email`. A wrong code counts one strike against every live code and returns null; a code
 * with CODE_MAX_ATTEMPTS strikes no longer works (its link still does).
 */
export async function consumeCode(
  trx: Trx,
  opts: { userId: string; email: string; code: string; codeKey: Buffer; now: number },
): Promise<TokenClaim | null> {
  const normalised = normaliseCode(opts.code);
  const live = trx
    .updateTable("tokens")
    .where("user_id", "=", opts.userId)
    .where("purpose", "=", "confirm")
    .where("email", "=", opts.email)
    .where("used_at", "is", null)
    .where("expires_at", ">", opts.now)
    .where("code_hmac", "is not", null)
    .where("code_attempts", "<", CODE_MAX_ATTEMPTS);
  if (normalised.length === CODE_LENGTH) {
    const row = await live
      .set({ used_at: opts.now })
      .where("code_hmac", "=", codeHmac(opts.codeKey, opts.userId, normalised))
      .returning(["user_id", "email"])
      .executeTakeFirst();
    if (row) return { userId: row.user_id, email: row.email, purpose: "confirm" };
  }
  await live.set((eb) => ({ code_attempts: eb("code_attempts", "+", 1) })).execute();
  return null;
}

/** Kills every outstanding token of the user (of one purpose, or all). */
export async function killTokens(trx: Trx, userId: string, now: number, purpose?: TokenPurpose): Promise<void> {
  let q = trx.updateTable("tokens").set({ used_at: now }).where("user_id", "=", userId).where("used_at", "is", null);
  if (purpose) q = q.where("purpose", "=", purpose);
  await q.execute();
}
