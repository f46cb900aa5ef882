import { recordEvent } from "./audit.ts";
import type { ClientInfo, Deps } from "./deps.ts";
import { parseEmail } from "./email-address.ts";
import { AccountError } from "./errors.ts";
import { PASSWORD_MAX_LENGTH } from "./passwords.ts";
import { mfaOn, secondFactors } from "./second-factor/verify.ts";
import { createSession, deleteSession, type Viewer } from "./sessions.ts";

export interface LoginResult {
  /** The new session's cookie value. */
  readonly session: string;
  readonly confirmed: boolean;
  readonly userId: string;
  /** The account has two-step sign-in: `session` is pending and opens only /login/2fa. */
  readonly mfaPending: boolean;
}

/**
 * Email + password → a new session. Unknown address and wrong password give the same error
 * after the same work (a dummy argon2 verify), so neither the answer nor its timing tells
 * whether an account exists.
 */
export async function login(deps: Deps, input: { email: string; password: string }, client: ClientInfo): Promise<LoginResult> {
  const email = parseEmail(input.email);
  const password = typeof input.password === "string" ? input.password : "";
  if (password.length === 0 || password.length > PASSWORD_MAX_LENGTH * 4) {
    throw new AccountError("invalid_credentials");
  }
  const user =
    typeof email === "string"
      ? undefined
      : await deps.db.kysely
          .selectFrom("users")
          .select(["id", "email", "password_hash", "confirmed", "disabled_at"])
          .where("email_canonical", "=", email.canonical)
          .executeTakeFirst();
  const ok = user ? await deps.hasher.verify(user.password_hash, password, client.gone) : await deps.hasher.verifyDummy(password, client.gone);
  const now = deps.clock.now();
  if (!user || !ok) {
    const outcome = user ? "wrong_password" : "unknown_account";
    await recordEvent(deps.db.kysely, { type: "login_failed", userId: user?.id ?? null, outcome, client, now });
    throw new AccountError("invalid_credentials");
  }

  if (user.disabled_at !== null) {
    // Only after the right password: a wrong one stays a plain 401 (SPEC §3).
    await recordEvent(deps.db.kysely, { type: "login_failed", userId: user.id, outcome: "disabled", client, now });
    throw new AccountError("account_disabled");
  }

  const rehash = deps.hasher.needsRehash(user.password_hash) ? await deps.hasher.hash(password, client.gone) : undefined;
  const mfaPending = mfaOn(await secondFactors(deps.db.kysely, user.id));
  const session = await deps.db.kysely.transaction().execute(async (trx) => {
    if (rehash) await trx.updateTable("users").set({ password_hash: rehash }).where("id", "=", user.id).execute();
    await recordEvent(trx, { type: "login_ok", userId: user.id, outcome: mfaPending ? "mfa_pending" : "ok", client, now });
    return createSession(trx, deps, { userId: user.id, email: user.email, now, client, pending: mfaPending });
  });
  return { session, confirmed: user.confirmed === 1, userId: user.id, mfaPending };
}

/** Signs out: the server-side session is deleted, so the cookie is dead wherever it was copied. */
export async function logout(deps: Deps, viewer: Viewer, client: ClientInfo): Promise<void> {
  const now = deps.clock.now();
  await deps.db.kysely.transaction().execute(async (trx) => {
    await deleteSession(trx, viewer, now);
    await recordEvent(trx, { type: "logout", userId: viewer.userId, outcome: "ok", client, now });
  });
}
