import { emit } from "../events/emit.ts";
import { passwordChangedMail } from "../mail/messages/password-changed.tsx";
import { resetMail } from "../mail/messages/reset.tsx";
import { recordEvent } from "./audit.ts";
import type { ClientInfo, Deps, Trx } from "./deps.ts";
import { parseEmail } from "./email-address.ts";
import { AccountError, invalidInput, type FieldErrors } from "./errors.ts";
import { passwordProblem } from "./passwords.ts";
import { deleteUserSessions } from "./sessions.ts";
import { consumeToken, issueToken, killTokens, peekToken } from "./tokens.ts";
import { recipientLocale } from "./locale.ts";

/**
 * "Forgot password": for a known address, kill earlier reset links and queue a new one. The
 * caller answers the same for known and unknown addresses; nothing is sent in the request,
 * and nothing else on the account changes.
 * Returns whether mail was queued (for the in-process worker's wake-up only).
 */
export async function requestReset(deps: Deps, emailInput: string, client: ClientInfo): Promise<boolean> {
  const email = parseEmail(emailInput);
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    const user =
      typeof email === "string"
        ? undefined
        : await trx.selectFrom("users").select(["id", "email", "disabled_at"]).where("email_canonical", "=", email.canonical).executeTakeFirst();
    // Recorded for unknown addresses too: the audit trail shows probing, and both paths write.
    await recordEvent(trx, { type: "reset_requested", userId: user?.id ?? null, outcome: user ? "ok" : "unknown_account", client, now });
    // A disabled account's links fail (SPEC §10): none is sent, and the answer is the same.
    if (!user || user.disabled_at !== null) return false;
    await queueReset(deps, trx, user, now, client);
    return true;
  });
}

/** Kills earlier reset links and queues a new one, in the caller's transaction (also the admin's send-reset). */
export async function queueReset(deps: Deps, trx: Trx, user: { id: string; email: string }, now: number, client: ClientInfo): Promise<void> {
  await killTokens(trx, user.id, now, "reset");
  const ttlSeconds = deps.config.resetTokenTtl;
  const issued = await issueToken(trx, { userId: user.id, purpose: "reset", email: user.email, ttlSeconds, now });
  const link = `${deps.config.baseUrl}/reset/${issued.token}`;
  await deps.outbox.enqueue(trx, resetMail({ locale: await recipientLocale(trx, deps, user.id), to: user.email, link, expiresAt: issued.expiresAt, ttlSeconds, at: now, ...client }), now);
}

/** GET /reset/:token — only looks (mail scanners open links). */
export async function checkResetLink(deps: Deps, token: string): Promise<void> {
  const claim = await peekToken(deps.db.kysely, token, "reset", deps.clock.now());
  const user = await deps.db.kysely.selectFrom("users").select("email").where("id", "=", claim.userId).executeTakeFirst();
  if (!user || user.email !== claim.email) throw new AccountError("token_invalid");
}

/**
 * POST /reset/:token. The new password is checked first (a typo must not burn the link); then,
 * in one transaction: the token is consumed (one winner under any concurrency), the password
 * set, the address marked confirmed (the mailbox is proven), every session and every token of
 * every purpose ended, a pending address change cancelled, and a notice queued. No sign-in.
 */
export async function resetPassword(
  deps: Deps,
  token: string,
  input: { password: string; confirm: string },
  client: ClientInfo,
): Promise<{ email: string }> {
  const now = deps.clock.now();
  const claim = await peekToken(deps.db.kysely, token, "reset", now);
  const fields: FieldErrors = {};
  const problem = passwordProblem(input.password, deps.config.passwordMinLength, claim.email, deps.config.baseUrl);
  if (problem) fields.password = problem;
  else if (input.confirm !== input.password) fields.confirm = "The two passwords do not match.";
  if (Object.keys(fields).length > 0) throw invalidInput(fields);

  const passwordHash = await deps.hasher.hash(input.password, client.gone);
  return deps.db.kysely.transaction().execute(async (trx) => {
    const used = await consumeToken(trx, token, "reset", now);
    const user = await trx.selectFrom("users").select(["email", "confirmed"]).where("id", "=", used.userId).executeTakeFirst();
    if (!user || user.email !== used.email) throw new AccountError("token_invalid");
    await trx
      .updateTable("users")
      .set((eb) => ({
        password_hash: passwordHash,
        confirmed: 1,
        confirmed_on: eb.fn.coalesce("confirmed_on", eb.val(now)),
        pending_email: null,
      }))
      .where("id", "=", used.userId)
      .execute();
    await deleteUserSessions(trx, { userId: used.userId, email: user.email }, now);
    await killTokens(trx, used.userId, now);
    const event = { userId: used.userId, email: user.email, at: now };
    if (user.confirmed === 0) await emit(trx, { type: "user.email_confirmed", ...event });
    await emit(trx, { type: "user.password_changed", ...event });
    const notice = passwordChangedMail({ locale: await recipientLocale(trx, deps, used.userId), to: user.email, at: now, how: "reset", resetUrl: `${deps.config.baseUrl}/forgot`, ...client });
    await deps.outbox.enqueue(trx, notice, now);
    await recordEvent(trx, { type: "reset_done", userId: used.userId, outcome: "ok", client, now });
    return { email: user.email };
  });
}
