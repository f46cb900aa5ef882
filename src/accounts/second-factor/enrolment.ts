import { randomUUID } from "node:crypto";
import { seal, unseal } from "../../secrets.ts";
import type { ClientInfo, Deps, Trx } from "../deps.ts";
import { parseEmail } from "../email-address.ts";
import { AccountError, invalidInput } from "../errors.ts";
import { requireFresh } from "../reauth.ts";
import { rotateSession, type Viewer } from "../sessions.ts";
import { mfaChanged } from "./notify.ts";
import { newRecoveryCodes, recoveryCodeHmac } from "./recovery-codes.ts";
import { matchTotp, newTotpSecret, otpauthUri } from "./totp.ts";

/** A secret being set up waits this long for its first code. */
export const TOTP_ENROLMENT_MS = 10 * 60_000;
export const TOTP_ISSUER = "Latchkey";

export interface TotpSetup {
  readonly secret: string;
  readonly uri: string;
}

/** Fresh session only. A new secret, kept sealed server-side and bound to this session for 10 minutes. */
export async function startTotpSetup(deps: Deps, viewer: Viewer): Promise<TotpSetup> {
  await requireFresh(deps, viewer);
  const now = deps.clock.now();
  const secret = newTotpSecret();
  await deps.db.kysely.transaction().execute(async (trx) => {
    if (await trx.selectFrom("totp_credentials").select("user_id").where("user_id", "=", viewer.userId).executeTakeFirst()) {
      throw invalidInput({ code: "An authenticator app is already set up. Turn it off first to set up another." });
    }
    await trx.deleteFrom("totp_enrollments").where("user_id", "=", viewer.userId).execute();
    await trx
      .insertInto("totp_enrollments")
      .values({ user_id: viewer.userId, session_hash: viewer.sessionHash, secret_sealed: seal(deps.keys.totp, secret), expires_at: now + TOTP_ENROLMENT_MS })
      .execute();
  });
  return { secret, uri: otpauthUri(secret, viewer.email, TOTP_ISSUER) };
}

/** The set-up still waiting for its first code (to show the page again after a wrong code). */
export async function pendingTotpSetup(deps: Deps, viewer: Viewer): Promise<TotpSetup | null> {
  const row = await enrolment(deps.db.kysely, viewer, deps.clock.now());
  if (!row) return null;
  const secret = unseal(deps.keys.totp, row.secret_sealed);
  return { secret, uri: otpauthUri(secret, viewer.email, TOTP_ISSUER) };
}

function enrolment(db: Trx, viewer: Viewer, now: number) {
  return db
    .selectFrom("totp_enrollments")
    .select("secret_sealed")
    .where("user_id", "=", viewer.userId)
    .where("session_hash", "=", viewer.sessionHash)
    .where("expires_at", ">", now)
    .executeTakeFirst();
}

export interface TotpEnabled {
  readonly recoveryCodes: string[];
  /** This browser's new session id (the old one stops working). */
  readonly session: string;
}

/**
 * The first code turns the app on: the step it matched is consumed (so it cannot also be the
 * next sign-in code), 10 recovery codes are made, every other session ends and this one gets a
 * new id. A wrong code is a 422 and the set-up stays.
 */
export async function enableTotp(deps: Deps, viewer: Viewer, code: string, client: ClientInfo): Promise<TotpEnabled> {
  const now = deps.clock.now();
  const row = await enrolment(deps.db.kysely, viewer, now);
  if (!row) throw new AccountError("token_expired", { message: "The set-up has expired. Start again." });
  const step = matchTotp(unseal(deps.keys.totp, row.secret_sealed), code, now);
  if (step === null) throw invalidInput({ code: "That code is not right. Check the time on your device and try the newest code." });
  const recoveryCodes = newRecoveryCodes();
  const session = await deps.db.kysely.transaction().execute(async (trx) => {
    // Claiming the set-up is the check-inside-the-write: of two concurrent requests, one wins.
    const claimed = await trx
      .deleteFrom("totp_enrollments")
      .where("user_id", "=", viewer.userId)
      .where("session_hash", "=", viewer.sessionHash)
      .where("secret_sealed", "=", row.secret_sealed)
      .executeTakeFirst();
    if (claimed.numDeletedRows === 0n) throw new AccountError("token_invalid", { message: "The set-up was already finished." });
    await trx.insertInto("totp_credentials").values({ user_id: viewer.userId, secret_sealed: row.secret_sealed, last_step: step, created_at: now }).execute();
    await replaceRecoveryCodes(trx, deps, viewer.userId, recoveryCodes, now);
    await trx.deleteFrom("sessions").where("user_id", "=", viewer.userId).where("id_hash", "!=", viewer.sessionHash).execute();
    await mfaChanged(trx, deps, { userId: viewer.userId, email: viewer.email, change: "totp_enabled", client, now });
    return rotateSession(trx, viewer.sessionHash, { amr: [...new Set([...viewer.amr, "otp"])] });
  });
  return { recoveryCodes, session };
}

async function replaceRecoveryCodes(trx: Trx, deps: Pick<Deps, "keys">, userId: string, codes: string[], now: number): Promise<void> {
  await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
  await trx
    .insertInto("recovery_codes")
    .values(codes.map((c) => ({ id: randomUUID(), user_id: userId, code_hmac: recoveryCodeHmac(deps.keys.recovery, userId, c), created_at: now, used_at: null })))
    .execute();
}

/** Fresh through a second factor. Removes the app and its recovery codes. */
export async function disableTotp(deps: Deps, viewer: Viewer, client: ClientInfo): Promise<void> {
  await requireFresh(deps, viewer, { secondFactor: true });
  const now = deps.clock.now();
  await deps.db.kysely.transaction().execute(async (trx) => {
    const removed = await trx.deleteFrom("totp_credentials").where("user_id", "=", viewer.userId).executeTakeFirst();
    if (removed.numDeletedRows === 0n) return;
    await trx.deleteFrom("recovery_codes").where("user_id", "=", viewer.userId).execute();
    await mfaChanged(trx, deps, { userId: viewer.userId, email: viewer.email, change: "totp_disabled", client, now });
  });
}

/** Fresh session only. A new set of 10; the old set dies in the same transaction. */
export async function regenerateRecoveryCodes(deps: Deps, viewer: Viewer, client: ClientInfo): Promise<string[]> {
  await requireFresh(deps, viewer);
  const now = deps.clock.now();
  const codes = newRecoveryCodes();
  await deps.db.kysely.transaction().execute(async (trx) => {
    if (!(await trx.selectFrom("totp_credentials").select("user_id").where("user_id", "=", viewer.userId).executeTakeFirst())) {
      throw invalidInput({ code: "Turn on two-step sign-in first." });
    }
    await replaceRecoveryCodes(trx, deps, viewer.userId, codes, now);
    await mfaChanged(trx, deps, { userId: viewer.userId, email: viewer.email, change: "recovery_codes_regenerated", client, now });
  });
  return codes;
}

/**
 * `latchkey mfa-reset --email E`: the owner lost every factor. Removes the app, recovery codes
 * and passkeys, lifts a lockout; audited and mailed. Returns false for an unknown address.
 */
export async function resetSecondFactors(deps: Deps, email: string, client: ClientInfo): Promise<boolean> {
  const parsed = parseEmail(email);
  if (typeof parsed === "string") throw invalidInput({ email: parsed });
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    const user = await trx.selectFrom("users").select(["id", "email"]).where("email_canonical", "=", parsed.canonical).executeTakeFirst();
    if (!user) return false;
    await removeSecondFactors(trx, deps, user, client, now);
    return true;
  });
}

/**
 * Removes the app, recovery codes and passkeys of the account and lifts a lockout, in the
 * caller's transaction (the CLI above, the admin's reset-2fa); audited and mailed. Returns
 * whether the account had any second factor.
 */
export async function removeSecondFactors(trx: Trx, deps: Deps, user: { id: string; email: string }, client: ClientInfo, now: number): Promise<boolean> {
  let removed = 0n;
  for (const table of ["totp_credentials", "totp_enrollments", "recovery_codes", "passkeys"] as const) {
    removed += (await trx.deleteFrom(table).where("user_id", "=", user.id).executeTakeFirst()).numDeletedRows;
  }
  await trx.updateTable("users").set({ mfa_failures: 0, mfa_locked_until: null }).where("id", "=", user.id).execute();
  await mfaChanged(trx, deps, { userId: user.id, email: user.email, change: "mfa_reset", client, now });
  return removed > 0n;
}
