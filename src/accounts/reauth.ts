import { recordEvent } from "./audit.ts";
import type { ClientInfo, Deps } from "./deps.ts";
import { AccountError } from "./errors.ts";
import { PASSWORD_MAX_LENGTH } from "./passwords.ts";
import { rotateSession, type Viewer } from "./sessions.ts";
import {
  assertSecondStepOpen,
  consumeSecondFactor,
  mfaMethods,
  mfaOn,
  secondFactorFailed,
  secondFactors,
  secondFactorSucceeded,
} from "./second-factor/verify.ts";

/**
 * Re-authentication ("sudo mode", SPEC §9): a sign-in or a re-authentication makes a session
 * fresh for REAUTH_TTL seconds (a fixed window, not sliding); sensitive changes require it.
 */

/** amr values that are a second factor (RFC 8176 `otp`; recovery codes and passkeys). */
const SECOND_FACTOR_AMR = new Set(["otp", "recovery", "passkey"]);

export interface FreshnessRule {
  /** Removing a factor of an account with 2FA on: the re-authentication must have used a second factor. */
  readonly secondFactor?: boolean;
}

type FreshDeps = Pick<Deps, "db" | "clock" | "config">;

export function isFresh(deps: Pick<Deps, "clock" | "config">, viewer: Viewer): boolean {
  return viewer.authenticatedAt !== null && deps.clock.now() - viewer.authenticatedAt <= deps.config.reauthTtl * 1000;
}

/** Whether a session that has 2FA on last authenticated with a second factor. */
function usedSecondFactor(viewer: Viewer): boolean {
  return viewer.amr.some((m) => SECOND_FACTOR_AMR.has(m));
}

/** The ways this account can re-authenticate; only second factors when the rule asks for one. */
export async function reauthMethods(deps: FreshDeps, userId: string, rule: FreshnessRule = {}): Promise<string[]> {
  const f = await secondFactors(deps.db.kysely, userId);
  const factors = mfaMethods(f, deps.config.webauthnRpId !== null);
  return rule.secondFactor && mfaOn(f) ? factors : ["password", ...factors];
}

/**
 * The check every sensitive flow calls first: throws 403 `reauth_required` (with `methods`)
 * unless the session is fresh — and, under `secondFactor`, fresh through a second factor when
 * the account has two-step sign-in on. Pages turn the error into 303 → /reauth?next=….
 */
export async function requireFresh(deps: FreshDeps, viewer: Viewer, rule: FreshnessRule = {}): Promise<void> {
  if (isFresh(deps, viewer)) {
    if (!rule.secondFactor || usedSecondFactor(viewer)) return;
    if (!mfaOn(await secondFactors(deps.db.kysely, viewer.userId))) return;
  }
  throw new AccountError("reauth_required", { methods: await reauthMethods(deps, viewer.userId, rule) });
}

/**
 * Re-authentication by password or by a second-factor code. On success the session gets a new
 * id (returned, for the cookie) and counts as fresh from now; `amr` says how. A wrong answer is
 * a 401 and counts like a failed sign-in (the caller's throttling) or a wrong code (the
 * account's second-step lockout).
 */
export async function reauthenticate(deps: Deps, viewer: Viewer, input: { password?: string; code?: string }, client: ClientInfo): Promise<string> {
  const now = deps.clock.now();
  const code = typeof input.code === "string" ? input.code.trim() : "";
  const password = typeof input.password === "string" ? input.password : "";
  if (!code && !password) throw new AccountError("invalid_input", { fields: { password: "Enter your password or a code." } });

  if (code) {
    await assertSecondStepOpen(deps, viewer.userId);
    const outcome = await deps.db.kysely.transaction().execute(async (trx) => {
      const method = await consumeSecondFactor(trx, deps, viewer.userId, code, now);
      if (!method) return null;
      await secondFactorSucceeded(trx, viewer.userId);
      await recordEvent(trx, { type: "reauth", userId: viewer.userId, outcome: method, client, now });
      return rotateSession(trx, viewer.sessionHash, { authenticatedAt: now, amr: [method] });
    });
    if (outcome) return outcome;
    await deps.db.kysely.transaction().execute(async (trx) => {
      await secondFactorFailed(trx, viewer.userId, now);
      await recordEvent(trx, { type: "mfa_failed", userId: viewer.userId, outcome: "reauth", client, now });
    });
    throw new AccountError("invalid_credentials", { message: "That code is not right." });
  }

  if (password.length > PASSWORD_MAX_LENGTH * 4) throw new AccountError("invalid_credentials");
  const user = await deps.db.kysely.selectFrom("users").select("password_hash").where("id", "=", viewer.userId).executeTakeFirstOrThrow();
  if (!(await deps.hasher.verify(user.password_hash, password))) {
    await recordEvent(deps.db.kysely, { type: "reauth", userId: viewer.userId, outcome: "wrong_password", client, now });
    throw new AccountError("invalid_credentials", { message: "That is not your password." });
  }
  return deps.db.kysely.transaction().execute(async (trx) => {
    await recordEvent(trx, { type: "reauth", userId: viewer.userId, outcome: "pwd", client, now });
    return rotateSession(trx, viewer.sessionHash, { authenticatedAt: now, amr: ["pwd"] });
  });
}
