import type { ClientInfo, Deps } from "./deps.ts";
import { parseEmail } from "./email-address.ts";
import { AccountError } from "./errors.ts";
import { PASSWORD_MAX_LENGTH } from "./passwords.ts";
import { createSession } from "./sessions.ts";

export interface LoginResult {
  /** The new session's cookie value. */
  readonly session: string;
  readonly confirmed: boolean;
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
          .select(["id", "password_hash", "confirmed"])
          .where("email_canonical", "=", email.canonical)
          .executeTakeFirst();
  const ok = user ? await deps.hasher.verify(user.password_hash, password) : await deps.hasher.verifyDummy(password);
  if (!user || !ok) throw new AccountError("invalid_credentials");

  const rehash = deps.hasher.needsRehash(user.password_hash) ? await deps.hasher.hash(password) : undefined;
  const now = deps.clock.now();
  const session = await deps.db.kysely.transaction().execute(async (trx) => {
    if (rehash) await trx.updateTable("users").set({ password_hash: rehash }).where("id", "=", user.id).execute();
    return createSession(trx, deps, { userId: user.id, now, client });
  });
  return { session, confirmed: user.confirmed === 1 };
}
