import type { ChallengePurpose } from "../../db/schema.ts";
import { sha256 } from "../../secrets.ts";
import type { Deps, Trx } from "../deps.ts";
import { AccountError } from "../errors.ts";

/** A WebAuthn ceremony must finish within 5 minutes of its options (SPEC §9). */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/** Stores a challenge as SHA-256, for one purpose, optionally bound to a session and an account. */
export async function storeChallenge(
  trx: Trx,
  c: { challenge: string; purpose: ChallengePurpose; sessionHash: string | null; userId: string | null; now: number },
): Promise<void> {
  await trx.deleteFrom("webauthn_challenges").where("expires_at", "<=", c.now).execute();
  await trx
    .insertInto("webauthn_challenges")
    .values({ challenge_hash: sha256(c.challenge), purpose: c.purpose, session_hash: c.sessionHash, user_id: c.userId, expires_at: c.now + CHALLENGE_TTL_MS, used_at: null })
    .execute();
}

/** The challenge the browser signed, read from clientDataJSON (verification checks the rest). */
export function signedChallenge(response: unknown): string {
  try {
    const clientData = (response as { response?: { clientDataJSON?: unknown } })?.response?.clientDataJSON;
    if (typeof clientData !== "string") throw new Error("no clientDataJSON");
    const parsed = JSON.parse(Buffer.from(clientData, "base64url").toString("utf8")) as { challenge?: unknown };
    if (typeof parsed.challenge !== "string") throw new Error("no challenge");
    return parsed.challenge;
  } catch {
    throw passkeyRefused();
  }
}

/**
 * Consumes the challenge, atomically (check inside the write): unused, unexpired, this purpose,
 * this session (when bound). A replayed response finds it used: 400. Returns the bound account.
 */
export async function consumeChallenge(
  deps: Pick<Deps, "db" | "clock">,
  c: { challenge: string; purpose: ChallengePurpose; sessionHash: string | null },
): Promise<{ userId: string | null }> {
  const now = deps.clock.now();
  let q = deps.db.kysely
    .updateTable("webauthn_challenges")
    .set({ used_at: now })
    .where("challenge_hash", "=", sha256(c.challenge))
    .where("purpose", "=", c.purpose)
    .where("used_at", "is", null)
    .where("expires_at", ">", now);
  q = c.sessionHash === null ? q.where("session_hash", "is", null) : q.where("session_hash", "=", c.sessionHash);
  const row = await q.returning("user_id").executeTakeFirst();
  if (!row) throw passkeyRefused("This passkey request has expired or was already used. Try again.");
  return { userId: row.user_id };
}

export function passkeyRefused(message = "The passkey could not be verified."): AccountError {
  return new AccountError("token_invalid", { message });
}
