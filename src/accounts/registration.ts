import { randomUUID } from "node:crypto";
import { confirmationMail } from "../mail/messages/confirm.tsx";
import { signupAttemptMail } from "../mail/messages/signup-attempt.tsx";
import { recordEvent } from "./audit.ts";
import type { ClientInfo, Deps, Trx } from "./deps.ts";
import { parseEmail } from "./email-address.ts";
import { AccountError, invalidInput, type FieldErrors } from "./errors.ts";
import { passwordProblem } from "./passwords.ts";
import { applyEmailChange, assertPendingAddress } from "./profile.ts";
import { createSession, type Viewer } from "./sessions.ts";
import { consumeCode, consumeToken, issueToken, killTokens, peekToken, type TokenClaim } from "./tokens.ts";

/** A new confirmation email may be requested this long after the previous one. */
export const RESEND_COOLDOWN_MS = 60_000;

export interface RegisterInput {
  readonly email: string;
  readonly password: string;
  readonly confirm: string;
}

/**
 * Signs up and signs in (as unconfirmed). An address that already has an account gets the
 * same outward result, a placeholder session, and its owner is told by email instead
 * (SPEC §3: no user enumeration through sign-up). Returns the new session's cookie value.
 */
export async function register(deps: Deps, input: RegisterInput, client: ClientInfo): Promise<string> {
  const fields: FieldErrors = {};
  const email = parseEmail(input.email);
  if (typeof email === "string") fields.email = email;
  const problem = passwordProblem(input.password, deps.config.passwordMinLength, typeof email === "string" ? undefined : email.address);
  if (problem) fields.password = problem;
  else if (input.confirm !== input.password) fields.confirm = "The two passwords do not match.";
  if (Object.keys(fields).length > 0 || typeof email === "string") throw invalidInput(fields);

  // Hash before the transaction (it takes milliseconds), and for taken addresses too, so both
  // cases cost the same.
  const passwordHash = await deps.hasher.hash(input.password, client.gone);
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    const findExisting = () =>
      trx.selectFrom("users").select(["id", "email", "confirmation_sent_at"]).where("email_canonical", "=", email.canonical).executeTakeFirst();
    const asExisting = async (existing: { id: string; email: string }) => {
      await recordEvent(trx, { type: "register", userId: existing.id, outcome: "existing_account", client, now });
      if (await startCooldown(trx, existing.id, now)) await queueSignupAttemptNotice(deps, trx, existing.email, now, client);
      return createSession(trx, deps, { userId: existing.id, now, client, placeholder: { email: email.address, passwordHash } });
    };
    const existing = await findExisting();
    if (existing) return asExisting(existing);
    const userId = randomUUID();
    const inserted = await trx
      .insertInto("users")
      .values({
        id: userId,
        email: email.address,
        email_canonical: email.canonical,
        password_hash: passwordHash,
        registered_on: now,
        confirmed_on: null,
        confirmation_sent_at: now,
      })
      // A concurrent sign-up with the same address (a double-click) committed first: on
      // PostgreSQL the plain INSERT would fail the unique index and answer 500.
      .onConflict((oc) => oc.column("email_canonical").doNothing())
      .executeTakeFirst();
    if (inserted.numInsertedOrUpdatedRows === 0n) {
      const winner = await findExisting();
      if (!winner) throw new Error("sign-up conflict without an existing account");
      return asExisting(winner);
    }
    await queueConfirmation(deps, trx, userId, email.address, now);
    await recordEvent(trx, { type: "register", userId, outcome: "ok", client, now });
    return createSession(trx, deps, { userId, now, client });
  });
}

/** Issues a link token + code for `email` and queues the email, in the caller's transaction. */
export async function queueConfirmation(deps: Deps, trx: Trx, userId: string, email: string, now: number): Promise<void> {
  const ttlSeconds = deps.config.confirmTokenTtl;
  const issued = await issueToken(trx, { userId, purpose: "confirm", email, ttlSeconds, now, codeKey: deps.keys.code });
  const mail = confirmationMail({
    to: email,
    link: `${deps.config.baseUrl}/confirm/${issued.token}`,
    code: issued.code!,
    expiresAt: issued.expiresAt,
    ttlSeconds,
  });
  await deps.outbox.enqueue(trx, mail, now);
}

export async function queueSignupAttemptNotice(deps: Deps, trx: Trx, to: string, now: number, client: ClientInfo): Promise<void> {
  const { baseUrl } = deps.config;
  const mail = signupAttemptMail({ to, at: now, ip: client.ip, userAgent: client.userAgent, loginUrl: `${baseUrl}/login`, resetUrl: `${baseUrl}/forgot` });
  await deps.outbox.enqueue(trx, mail, now);
}

/**
 * Claims the resend slot atomically: true when no confirmation mail went out in the last
 * RESEND_COOLDOWN_MS (and records this one), false otherwise.
 */
export async function startCooldown(trx: Trx, userId: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable("users")
    .set({ confirmation_sent_at: now })
    .where("id", "=", userId)
    .where((w) => w.or([w("confirmation_sent_at", "is", null), w("confirmation_sent_at", "<=", now - RESEND_COOLDOWN_MS)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Sends another confirmation email (or, for a placeholder session, another notice to the owner). */
export async function resendConfirmation(deps: Deps, viewer: Viewer, client: ClientInfo): Promise<void> {
  if (viewer.confirmed) return;
  const now = deps.clock.now();
  await deps.db.kysely.transaction().execute(async (trx) => {
    if (!(await startCooldown(trx, viewer.userId, now))) {
      const last = await trx.selectFrom("users").select("confirmation_sent_at").where("id", "=", viewer.userId).executeTakeFirstOrThrow();
      const retryAfter = Math.max(1, Math.ceil(((last.confirmation_sent_at ?? now) + RESEND_COOLDOWN_MS - now) / 1000));
      throw new AccountError("rate_limited", { message: "A confirmation email was sent less than a minute ago.", retryAfter });
    }
    await recordEvent(trx, { type: "resend", userId: viewer.userId, outcome: viewer.signupAttempt ? "existing_account" : "ok", client, now });
    if (viewer.signupAttempt) {
      const owner = await trx.selectFrom("users").select("email").where("id", "=", viewer.userId).executeTakeFirstOrThrow();
      await queueSignupAttemptNotice(deps, trx, owner.email, now, client);
    } else {
      await queueConfirmation(deps, trx, viewer.userId, viewer.email, now);
    }
  });
}

/** Both kinds of address confirmation arrive at /confirm/:token. */
const CONFIRM_PURPOSES = ["confirm", "email_change"] as const;

/** GET /confirm/:token — only looks. */
export async function checkConfirmationLink(deps: Deps, token: string): Promise<TokenClaim> {
  const claim = await peekToken(deps.db.kysely, token, CONFIRM_PURPOSES, deps.clock.now());
  if (claim.purpose === "email_change") await assertPendingAddress(deps.db.kysely, claim);
  else await assertCurrentAddress(deps.db.kysely, claim);
  return claim;
}

/** POST /confirm/:token — needs no session and creates none. */
export async function confirmByLink(deps: Deps, token: string, client: ClientInfo): Promise<TokenClaim> {
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    const claim = await consumeToken(trx, token, CONFIRM_PURPOSES, now);
    if (claim.purpose === "email_change") await applyEmailChange(trx, claim, now);
    else await markConfirmed(trx, claim, now);
    const type = claim.purpose === "email_change" ? "email_changed" : "confirm";
    await recordEvent(trx, { type, userId: claim.userId, outcome: "ok", client, now });
    return claim;
  });
}

/** POST /confirm — the 8-character code, by the signed-in unconfirmed user. */
export async function confirmByCode(deps: Deps, viewer: Viewer, code: string, client: ClientInfo): Promise<void> {
  if (viewer.confirmed) return;
  if (viewer.signupAttempt) throw new AccountError("token_invalid");
  const now = deps.clock.now();
  const confirmed = await deps.db.kysely.transaction().execute(async (trx) => {
    const claim = await consumeCode(trx, { userId: viewer.userId, email: viewer.email, code, codeKey: deps.keys.code, now });
    if (claim) await markConfirmed(trx, claim, now);
    await recordEvent(trx, { type: "confirm", userId: viewer.userId, outcome: claim ? "ok" : "wrong_code", client, now });
    return claim !== null;
  });
  // Thrown after the commit: a wrong code's strike must stick.
  if (!confirmed) throw new AccountError("token_invalid", { message: "That code is not valid. Check the latest email and try again." });
}

/** The token is bound to an address; it only confirms while that is still the account's address. */
async function assertCurrentAddress(trx: Trx, claim: TokenClaim): Promise<void> {
  const user = await trx.selectFrom("users").select("email").where("id", "=", claim.userId).executeTakeFirst();
  if (!user || user.email !== claim.email) throw new AccountError("token_invalid");
}

async function markConfirmed(trx: Trx, claim: TokenClaim, now: number): Promise<void> {
  await assertCurrentAddress(trx, claim);
  await trx
    .updateTable("users")
    .set((eb) => ({ confirmed: 1, confirmed_on: eb.fn.coalesce("confirmed_on", eb.val(now)) }))
    .where("id", "=", claim.userId)
    .execute();
  await killTokens(trx, claim.userId, now, "confirm");
}
