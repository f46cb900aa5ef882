import { recordEvent } from "../audit.ts";
import type { ClientInfo, Deps } from "../deps.ts";
import { createSession, rotateSession, type Viewer } from "../sessions.ts";
import { finishSignIn } from "./sign-in.ts";
import { verifyPasskey } from "./passkeys.ts";

/**
 * Sign-in without a password: a passkey that verified its user (PIN, biometrics) is a full
 * sign-in on its own, second step included (verifyPasskey refuses one that did not, saying so).
 * Returns the new session's cookie value.
 */
export async function passkeyLogin(deps: Deps, response: unknown, client: ClientInfo): Promise<{ session: string; confirmed: boolean }> {
  const key = await verifyPasskey(deps, "login", { response, sessionHash: null }, client);
  const now = deps.clock.now();
  const session = await deps.db.kysely.transaction().execute(async (trx) => {
    await recordEvent(trx, { type: "passkey_login", userId: key.userId, outcome: "ok", client, now });
    return createSession(trx, deps, { userId: key.userId, email: key.email, now, client, amr: ["passkey"] });
  });
  return { session, confirmed: key.confirmed };
}

/** The second step of a password sign-in, by passkey (user verification not required). */
export async function passkeySecondFactor(deps: Deps, pending: Viewer, response: unknown, client: ClientInfo): Promise<string> {
  await verifyPasskey(deps, "second_factor", { response, sessionHash: pending.sessionHash }, client);
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute((trx) => finishSignIn(trx, deps, pending, "passkey", client, now));
}

/** Re-authentication by passkey: fresh from now, with a second factor; the session gets a new id. */
export async function passkeyReauth(deps: Deps, viewer: Viewer, response: unknown, client: ClientInfo): Promise<string> {
  await verifyPasskey(deps, "reauth", { response, sessionHash: viewer.sessionHash }, client);
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    await recordEvent(trx, { type: "reauth", userId: viewer.userId, outcome: "passkey", client, now });
    return rotateSession(trx, viewer.sessionHash, { authenticatedAt: now, amr: ["passkey"] });
  });
}
