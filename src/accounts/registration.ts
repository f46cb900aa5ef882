import { randomUUID } from "node:crypto";
import { emit } from "../events/emit.ts";
import { confirmationMail } from "../mail/messages/confirm.tsx";
import { signupAttemptMail } from "../mail/messages/signup-attempt.tsx";
import type { Locale } from "../i18n/index.ts";
import { recordEvent } from "./audit.ts";
import { recipientLocale } from "./locale.ts";
import type { ClientInfo, Deps, Trx } from "./deps.ts";
import { parseEmail } from "./email-address.ts";
import { AccountError, invalidInput, type FieldErrors } from "./errors.ts";
import { passwordProblem } from "./passwords.ts";
import { applyEmailChange, assertPendingAddress } from "./profile.ts";
import { createSession, deleteSession, type Viewer } from "./sessions.ts";
import { consumeCode, consumeToken, issueToken, killTokens, peekToken, type TokenClaim } from "./tokens.ts";

/** A new confirmation email may be requested this long after the previous one. */
export const RESEND_COOLDOWN_MS = 60_000;

/**
 * "Someone tried to sign up with your address": the first attempt always mails the owner,
 * later ones at most once per this interval (a mail-bomb guard), on a clock of its own that
 * never touches the owner's resend cooldown or daily cap (issue 11).
 */
export const SIGNUP_NOTICE_INTERVAL_MS = 10 * 60_000;

export interface RegisterInput {
  readonly email: string;
  readonly password: string;
  readonly confirm: string;
  /** The language of the sign-up page: the account's stored locale (else DEFAULT_LOCALE). */
  readonly locale?: Locale;
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
  const problem = passwordProblem(input.password, deps.config.passwordMinLength, typeof email === "string" ? undefined : email.address, deps.config.baseUrl);
  if (problem) fields.password = problem;
  else if (input.confirm !== input.password) fields.confirm = "The two passwords do not match.";
  if (Object.keys(fields).length > 0 || typeof email === "string") throw invalidInput(fields);

  // Hash before the transaction (it takes milliseconds), and for taken addresses too, so both
  // cases cost the same.
  const passwordHash = await deps.hasher.hash(input.password, client.gone);
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    const findExisting = () =>
      trx.selectFrom("users").select(["id", "email"]).where("email_canonical", "=", email.canonical).executeTakeFirst();
    const asExisting = async (existing: { id: string; email: string }) => {
      await recordEvent(trx, { type: "register", userId: existing.id, outcome: "existing_account", client, now });
      await queueSignupAttemptNotice(deps, trx, existing, now, client);
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
        locale: input.locale ?? deps.config.defaultLocale,
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
    await emit(trx, { type: "user.created", userId, email: email.address, at: now });
    return createSession(trx, deps, { userId, email: email.address, now, client });
  });
}

/** Issues a link token + code for `email` and queues the email, in the caller's transaction. */
export async function queueConfirmation(deps: Deps, trx: Trx, userId: string, email: string, now: number): Promise<void> {
  const ttlSeconds = deps.config.confirmTokenTtl;
  const issued = await issueToken(trx, { userId, purpose: "confirm", email, ttlSeconds, now, codeKey: deps.keys.code });
  const mail = confirmationMail({
    locale: await recipientLocale(trx, deps, userId),
    to: email,
    link: `${deps.config.baseUrl}/confirm/${issued.token}`,
    code: issued.code!,
    expiresAt: issued.expiresAt,
    ttlSeconds,
  });
  await deps.outbox.enqueue(trx, mail, now);
}

/**
 * Tells the owner of a taken address that someone tried to sign up with it, unless a notice
 * went out in the last SIGNUP_NOTICE_INTERVAL_MS. The slot is claimed by a conditional UPDATE
 * (check inside the write), so concurrent attempts cannot both mail.
 */
export async function queueSignupAttemptNotice(deps: Deps, trx: Trx, owner: { id: string; email: string }, now: number, client: ClientInfo): Promise<void> {
  const claimed = await trx
    .updateTable("users")
    .set({ signup_notice_at: now })
    .where("id", "=", owner.id)
    .where((w) => w.or([w("signup_notice_at", "is", null), w("signup_notice_at", "<=", now - SIGNUP_NOTICE_INTERVAL_MS)]))
    .executeTakeFirst();
  if (claimed.numUpdatedRows === 0n) return;
  const { baseUrl } = deps.config;
  // The owner's language, never the one of whoever tried the address.
  const mail = signupAttemptMail({ locale: await recipientLocale(trx, deps, owner.id), to: owner.email, at: now, ip: client.ip, userAgent: client.userAgent, loginUrl: `${baseUrl}/login`, resetUrl: `${baseUrl}/forgot` });
  await deps.outbox.enqueue(trx, mail, now);
}

/**
 * Claims the viewer's "another confirmation email" slot: false within RESEND_COOLDOWN_MS of the
 * last one. A placeholder session's slot is timed on the session itself (from its creation), so
 * it looks like a new account's and never touches the owner's cooldown. `firstFree`: the first
 * use after sign-up needs no wait (correcting a typo seen at once on /unconfirmed).
 */
export async function claimResendSlot(trx: Trx, viewer: Viewer, now: number, firstFree = false): Promise<boolean> {
  const since = now - RESEND_COOLDOWN_MS;
  const result = viewer.signupAttempt
    ? await trx
        .updateTable("sessions")
        .set({ signup_resent_at: now })
        .where("id_hash", "=", viewer.sessionHash)
        .where((w) =>
          w.or([w.and([w("signup_resent_at", "is", null), firstFree ? w.lit(true) : w("created_at", "<=", since)]), w("signup_resent_at", "<=", since)]),
        )
        .executeTakeFirst()
    : await trx
        .updateTable("users")
        .set({ confirmation_sent_at: now })
        .where("id", "=", viewer.userId)
        .where((w) =>
          w.or([
            w("confirmation_sent_at", "is", null),
            w("confirmation_sent_at", "<=", since),
            ...(firstFree ? [w("confirmation_sent_at", "=", w.ref("registered_on"))] : []),
          ]),
        )
        .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The 429 for a refused slot, with the seconds until it opens. */
export async function cooldownError(trx: Trx, viewer: Viewer, now: number): Promise<AccountError> {
  const last = viewer.signupAttempt
    ? await trx.selectFrom("sessions").select((eb) => eb.fn.coalesce("signup_resent_at", "created_at").as("at")).where("id_hash", "=", viewer.sessionHash).executeTakeFirst()
    : await trx.selectFrom("users").select("confirmation_sent_at as at").where("id", "=", viewer.userId).executeTakeFirst();
  const retryAfter = Math.max(1, Math.ceil(((last?.at ?? now) + RESEND_COOLDOWN_MS - now) / 1000));
  return new AccountError("rate_limited", { message: "A confirmation email was sent less than a minute ago.", retryAfter });
}

/** Sends another confirmation email (or, for a placeholder session, another notice to the owner). */
export async function resendConfirmation(deps: Deps, viewer: Viewer, client: ClientInfo): Promise<void> {
  if (viewer.confirmed) return;
  const now = deps.clock.now();
  await deps.db.kysely.transaction().execute(async (trx) => {
    if (!(await claimResendSlot(trx, viewer, now))) throw await cooldownError(trx, viewer, now);
    await recordEvent(trx, { type: "resend", userId: viewer.userId, outcome: viewer.signupAttempt ? "existing_account" : "ok", client, now });
    if (viewer.signupAttempt) {
      const owner = await trx.selectFrom("users").select(["id", "email"]).where("id", "=", viewer.userId).executeTakeFirstOrThrow();
      await queueSignupAttemptNotice(deps, trx, owner, now, client);
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

/**
 * POST /confirm — the 8-character code, by the signed-in unconfirmed user. Confirming raises
 * the session's privileges, so it gets a new id (issue 18.6): returns the new cookie value, or
 * null when there was nothing to confirm.
 */
export async function confirmByCode(deps: Deps, viewer: Viewer, code: string, client: ClientInfo): Promise<string | null> {
  if (viewer.confirmed) return null;
  if (viewer.signupAttempt) throw new AccountError("token_invalid");
  const now = deps.clock.now();
  const session = await deps.db.kysely.transaction().execute(async (trx) => {
    const claim = await consumeCode(trx, { userId: viewer.userId, email: viewer.email, code, codeKey: deps.keys.code, now });
    await recordEvent(trx, { type: "confirm", userId: viewer.userId, outcome: claim ? "ok" : "wrong_code", client, now });
    if (!claim) return null;
    await markConfirmed(trx, claim, now);
    await deleteSession(trx, viewer, now);
    return createSession(trx, deps, { userId: viewer.userId, email: viewer.email, now, client });
  });
  // Thrown after the commit: a wrong code's strike must stick.
  if (session === null) throw new AccountError("token_invalid", { message: "That code is not valid. Check the latest email and try again." });
  return session;
}

/** The token is bound to an address; it only confirms while that is still the account's address. */
async function assertCurrentAddress(trx: Trx, claim: TokenClaim): Promise<void> {
  const user = await trx.selectFrom("users").select("email").where("id", "=", claim.userId).executeTakeFirst();
  if (!user || user.email !== claim.email) throw new AccountError("token_invalid");
}

async function markConfirmed(trx: Trx, claim: TokenClaim, now: number): Promise<void> {
  await assertCurrentAddress(trx, claim);
  const changed = await trx
    .updateTable("users")
    .set((eb) => ({ confirmed: 1, confirmed_on: eb.fn.coalesce("confirmed_on", eb.val(now)) }))
    .where("id", "=", claim.userId)
    .where("confirmed", "=", 0)
    .executeTakeFirst();
  await killTokens(trx, claim.userId, now, "confirm");
  if (changed.numUpdatedRows > 0n) await emit(trx, { type: "user.email_confirmed", userId: claim.userId, email: claim.email, at: now });
}
