import { unseal } from "../../secrets.ts";
import type { Deps, Trx } from "../deps.ts";
import { AccountError } from "../errors.ts";
import { looksLikeRecoveryCode, recoveryCodeHmac } from "./recovery-codes.ts";
import { matchTotp } from "./totp.ts";

/** 10 wrong second-factor codes in a row lock the account's second step for 15 minutes. */
export const MFA_LOCK_AFTER = 10;
export const MFA_LOCK_MS = 15 * 60_000;

/** What the account can prove itself with, as `methods` in mfa_required / reauth_required. */
export interface SecondFactors {
  readonly totp: boolean;
  readonly recoveryCodesLeft: number;
  readonly passkeys: number;
}

export async function secondFactors(db: Trx, userId: string): Promise<SecondFactors> {
  const [totp, codes, passkeys] = await Promise.all([
    db.selectFrom("totp_credentials").select("user_id").where("user_id", "=", userId).executeTakeFirst(),
    db
      .selectFrom("recovery_codes")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", userId)
      .where("used_at", "is", null)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom("passkeys")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", userId)
      .executeTakeFirstOrThrow(),
  ]);
  return { totp: totp !== undefined, recoveryCodesLeft: Number(codes.n), passkeys: Number(passkeys.n) };
}

/** Two-step sign-in is on when the account has an authenticator app (passkeys alone do not force it). */
export function mfaOn(f: SecondFactors): boolean {
  return f.totp;
}

/** The second factors this account can use now, in SPEC §9's words. */
export function mfaMethods(f: SecondFactors, passkeysEnabled: boolean): string[] {
  const methods: string[] = [];
  if (f.totp) methods.push("totp");
  if (f.recoveryCodesLeft > 0) methods.push("recovery_code");
  if (f.passkeys > 0 && passkeysEnabled) methods.push("passkey");
  return methods;
}

export type SecondFactorMethod = "otp" | "recovery";

/**
 * Checks a TOTP or recovery code and consumes it in the same statement, so two concurrent
 * requests with one code can never both win: a TOTP code advances `last_step` only if it is
 * later than the last accepted step (a replay, or an older code, fails); a recovery code is
 * marked used only if it was unused. Returns how it was proven, or null.
 */
export async function consumeSecondFactor(trx: Trx, deps: Pick<Deps, "keys">, userId: string, code: string, now: number): Promise<SecondFactorMethod | null> {
  if (typeof code !== "string" || code.length === 0 || code.length > 64) return null;
  if (looksLikeRecoveryCode(code)) {
    const result = await trx
      .updateTable("recovery_codes")
      .set({ used_at: now })
      .where("user_id", "=", userId)
      .where("code_hmac", "=", recoveryCodeHmac(deps.keys.recovery, userId, code))
      .where("used_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n ? "recovery" : null;
  }
  const credential = await trx.selectFrom("totp_credentials").select("secret_sealed").where("user_id", "=", userId).executeTakeFirst();
  if (!credential) return null;
  const step = matchTotp(unseal(deps.keys.totp, credential.secret_sealed), code, now);
  if (step === null) return null;
  const result = await trx
    .updateTable("totp_credentials")
    .set({ last_step: step })
    .where("user_id", "=", userId)
    .where("last_step", "<", step)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n ? "otp" : null;
}

/** 429 while the account's second step is locked (10 wrong codes in a row). */
export async function assertSecondStepOpen(deps: Pick<Deps, "db" | "clock">, userId: string): Promise<void> {
  const user = await deps.db.kysely.selectFrom("users").select("mfa_locked_until").where("id", "=", userId).executeTakeFirst();
  const until = user?.mfa_locked_until === null || user?.mfa_locked_until === undefined ? 0 : Number(user.mfa_locked_until);
  const now = deps.clock.now();
  if (until > now) throw new AccountError("rate_limited", { retryAfter: Math.ceil((until - now) / 1000) });
}

/** Counts a wrong code against the account; the 10th in a row locks the second step. */
export async function secondFactorFailed(trx: Trx, userId: string, now: number): Promise<void> {
  await trx
    .updateTable("users")
    .set((eb) => ({ mfa_failures: eb("mfa_failures", "+", 1) }))
    .where("id", "=", userId)
    .execute();
  await trx
    .updateTable("users")
    .set({ mfa_failures: 0, mfa_locked_until: now + MFA_LOCK_MS })
    .where("id", "=", userId)
    .where("mfa_failures", ">=", MFA_LOCK_AFTER)
    .execute();
}

export async function secondFactorSucceeded(trx: Trx, userId: string): Promise<void> {
  await trx.updateTable("users").set({ mfa_failures: 0, mfa_locked_until: null }).where("id", "=", userId).execute();
}
