import { emailChangeMail, emailChangeNoticeMail } from "../mail/messages/email-change.tsx";
import { emit } from "../events/emit.ts";
import { passwordChangedMail } from "../mail/messages/password-changed.tsx";
import { recordEvent } from "./audit.ts";
import type { ClientInfo, Deps, Trx } from "./deps.ts";
import { parseEmail } from "./email-address.ts";
import { AccountError, invalidInput, type FieldErrors } from "./errors.ts";
import { passwordProblem } from "./passwords.ts";
import { createSession, deleteUserSessions, emitRevoked, type Viewer } from "./sessions.ts";
import { issueToken, killTokens, type TokenClaim } from "./tokens.ts";
import { storedLocale } from "./locale.ts";

/**
 * A wrong current password is a field error on `current_password` (422), never a sign-out.
 * Returns the hash it verified, for a write that must find it still in place.
 */
export async function verifyCurrentPassword(deps: Deps, userId: string, password: string): Promise<string> {
  const user = await deps.db.kysely.selectFrom("users").select("password_hash").where("id", "=", userId).executeTakeFirstOrThrow();
  if (!password || !(await deps.hasher.verify(user.password_hash, password))) {
    throw invalidInput({ current_password: "That is not your current password." });
  }
  return user.password_hash;
}

/**
 * Change of password from the profile: other sessions end, this one gets a new id (returned,
 * for the cookie), every outstanding token dies (SPEC §4), a notice is queued.
 */
export async function changePassword(
  deps: Deps,
  viewer: Viewer,
  input: { current_password: string; password: string; confirm: string },
  client: ClientInfo,
): Promise<string> {
  const fields: FieldErrors = {};
  const problem = passwordProblem(input.password, deps.config.passwordMinLength, viewer.email, deps.config.baseUrl);
  if (problem) fields.password = problem;
  else if (input.confirm !== input.password) fields.confirm = "The two passwords do not match.";
  if (Object.keys(fields).length > 0) throw invalidInput(fields);
  const verified = await verifyCurrentPassword(deps, viewer.userId, input.current_password);

  const passwordHash = await deps.hasher.hash(input.password, client.gone);
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    // Check inside the write (DESIGN rule 11): a reset (or another change) that committed since
    // the password was verified wins, and this change sets nothing. Tokens first, in the order a
    // reset locks them (token, then user), so the two never deadlock on PostgreSQL.
    await killTokens(trx, viewer.userId, now);
    const changed = await trx
      .updateTable("users")
      .set({ password_hash: passwordHash, pending_email: null })
      .where("id", "=", viewer.userId)
      .where("password_hash", "=", verified)
      .executeTakeFirst();
    const own = await trx.deleteFrom("sessions").where("id_hash", "=", viewer.sessionHash).returning("public_id").executeTakeFirst();
    if (changed.numUpdatedRows === 0n || !own) {
      throw invalidInput({ current_password: "Your password was just changed or reset elsewhere; sign in again." });
    }
    await emitRevoked(trx, viewer, own.public_id, now);
    await deleteUserSessions(trx, viewer, now);
    const notice = passwordChangedMail({ locale: storedLocale(viewer.locale, deps.config), to: viewer.email, at: now, how: "change", resetUrl: `${deps.config.baseUrl}/forgot`, ...client });
    await deps.outbox.enqueue(trx, notice, now);
    await recordEvent(trx, { type: "password_changed", userId: viewer.userId, outcome: "ok", client, now });
    await emit(trx, { type: "user.password_changed", userId: viewer.userId, email: viewer.email, at: now });
    return createSession(trx, deps, { userId: viewer.userId, email: viewer.email, now, client });
  });
}

/**
 * Asks to move the account to a new address: it is stored as pending, a link goes to it and a
 * notice to the current address. Only the latest request's link works (its address must equal
 * `pending_email` at confirmation). A taken address gets the same answer and no mail.
 */
export async function requestEmailChange(
  deps: Deps,
  viewer: Viewer,
  input: { email: string; current_password: string },
  client: ClientInfo,
): Promise<void> {
  const email = parseEmail(input.email);
  if (typeof email === "string") throw invalidInput({ email });
  if (email.canonical === viewer.email.toLowerCase()) throw invalidInput({ email: "That is already your address." });
  await verifyCurrentPassword(deps, viewer.userId, input.current_password);

  const now = deps.clock.now();
  await deps.db.kysely.transaction().execute(async (trx) => {
    await killTokens(trx, viewer.userId, now, "email_change");
    await trx.updateTable("users").set({ pending_email: email.address }).where("id", "=", viewer.userId).execute();
    const resetUrl = `${deps.config.baseUrl}/forgot`;
    await deps.outbox.enqueue(trx, emailChangeNoticeMail({ locale: storedLocale(viewer.locale, deps.config), to: viewer.email, newEmail: email.address, at: now, resetUrl, ...client }), now);
    const taken = await addressTaken(trx, email.canonical, viewer.userId);
    await recordEvent(trx, { type: "email_change_requested", userId: viewer.userId, outcome: taken ? "address_taken" : "ok", client, now });
    if (taken) return;
    const ttlSeconds = deps.config.emailChangeTokenTtl;
    const issued = await issueToken(trx, { userId: viewer.userId, purpose: "email_change", email: email.address, ttlSeconds, now });
    const link = `${deps.config.baseUrl}/confirm/${issued.token}`;
    await deps.outbox.enqueue(trx, emailChangeMail({ locale: storedLocale(viewer.locale, deps.config), to: email.address, link, expiresAt: issued.expiresAt, ttlSeconds }), now);
  });
}

async function addressTaken(trx: Trx, canonical: string, exceptUserId: string): Promise<boolean> {
  const other = await trx.selectFrom("users").select("id").where("email_canonical", "=", canonical).where("id", "!=", exceptUserId).executeTakeFirst();
  return other !== undefined;
}

/** An email-change link works while its address is still the pending one and still free. */
export async function assertPendingAddress(trx: Trx, claim: TokenClaim): Promise<void> {
  const user = await trx.selectFrom("users").select("pending_email").where("id", "=", claim.userId).executeTakeFirst();
  if (!user || user.pending_email !== claim.email) throw new AccountError("token_invalid");
  if (await addressTaken(trx, claim.email.toLowerCase(), claim.userId)) {
    throw new AccountError("token_invalid", { message: "That address now belongs to another account." });
  }
}

/**
 * The POSTed email-change link (already consumed by the caller, in `trx`): the new address
 * becomes the login address if it is still the pending one and still free; every token bound
 * to the old address dies with it.
 */
export async function applyEmailChange(trx: Trx, claim: TokenClaim, now: number): Promise<void> {
  await assertPendingAddress(trx, claim);
  const canonical = claim.email.toLowerCase();
  await trx
    .updateTable("users")
    .set((eb) => ({
      email: claim.email,
      email_canonical: canonical,
      pending_email: null,
      confirmed: 1,
      confirmed_on: eb.fn.coalesce("confirmed_on", eb.val(now)),
    }))
    .where("id", "=", claim.userId)
    .execute();
  await killTokens(trx, claim.userId, now);
  await emit(trx, { type: "user.email_changed", userId: claim.userId, email: claim.email, at: now });
}
