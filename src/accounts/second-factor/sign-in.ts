import { recordEvent } from "../audit.ts";
import type { ClientInfo, Deps } from "../deps.ts";
import { AccountError } from "../errors.ts";
import { createSession, dropPendingSession, type Viewer } from "../sessions.ts";
import { notifyOwner } from "./notify.ts";
import { assertSecondStepOpen, consumeSecondFactor, secondFactorFailed, secondFactorSucceeded, type SecondFactorMethod } from "./verify.ts";

/** Wrong codes on one pending sign-in; the 5th ends it (back to the password). */
export const MFA_PENDING_ATTEMPTS = 5;

export type SecondStep = { readonly ok: true; readonly session: string } | { readonly ok: false; readonly ended: boolean };

/**
 * The second step of a sign-in (SPEC §9): a TOTP or recovery code turns the pending session into
 * a full one under a new id. A used recovery code mails the owner. A wrong code counts on the
 * pending session (5 end it) and on the account (10 in a row lock the step for 15 minutes).
 */
export async function completeSecondFactor(deps: Deps, pending: Viewer, code: string, client: ClientInfo): Promise<SecondStep> {
  await assertSecondStepOpen(deps, pending.userId);
  const now = deps.clock.now();
  const session = await deps.db.kysely.transaction().execute(async (trx) => {
    const method = await consumeSecondFactor(trx, deps, pending.userId, code, now);
    if (!method) return null;
    return finishSignIn(trx, deps, pending, method, client, now);
  });
  if (session) return { ok: true, session };
  const ended = await deps.db.kysely.transaction().execute(async (trx) => {
    await secondFactorFailed(trx, pending.userId, now);
    await recordEvent(trx, { type: "mfa_failed", userId: pending.userId, outcome: "login", client, now });
    const row = await trx
      .updateTable("sessions")
      .set((eb) => ({ mfa_attempts: eb("mfa_attempts", "+", 1) }))
      .where("id_hash", "=", pending.sessionHash)
      .returning("mfa_attempts")
      .executeTakeFirst();
    if (!row || row.mfa_attempts >= MFA_PENDING_ATTEMPTS) {
      await dropPendingSession(trx, pending.sessionHash);
      return true;
    }
    return false;
  });
  return { ok: false, ended };
}

/** The pending session ends; a full one with a new id begins, fresh, with how it was proven. */
export async function finishSignIn(
  trx: Parameters<typeof dropPendingSession>[0],
  deps: Deps,
  pending: Viewer,
  method: SecondFactorMethod | "passkey",
  client: ClientInfo,
  now: number,
): Promise<string> {
  await dropPendingSession(trx, pending.sessionHash);
  await secondFactorSucceeded(trx, pending.userId);
  await recordEvent(trx, { type: "mfa_ok", userId: pending.userId, outcome: method, client, now });
  if (method === "recovery") await notifyOwner(trx, deps, { userId: pending.userId, email: pending.email, notice: "recovery_code_used", client, now });
  return createSession(trx, deps, { userId: pending.userId, email: pending.email, now, client, amr: ["pwd", method] });
}

/** For the API and pages: the error a wrong second-factor code answers with. */
export function wrongCode(): AccountError {
  return new AccountError("invalid_credentials", { message: "That code is not right." });
}
