import { randomBytes, randomUUID } from "node:crypto";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { ChallengePurpose } from "../../db/schema.ts";
import { recordEvent } from "../audit.ts";
import type { ClientInfo, Deps } from "../deps.ts";
import { AccountError, invalidInput } from "../errors.ts";
import { requireFresh } from "../reauth.ts";
import type { Viewer } from "../sessions.ts";
import { mfaChanged, notifyOwner } from "./notify.ts";
import { consumeChallenge, passkeyRefused, signedChallenge, storeChallenge } from "./webauthn-challenges.ts";
import { hideExperimentalWarnings } from "../../experimental-warnings.ts";

/**
 * Passkeys (WebAuthn, SPEC §9) on @simplewebauthn/server: one kind of credential (resident
 * key), for passwordless sign-in (user verified) and as a second factor. The relying party and
 * origin come from config (WEBAUTHN_RP_ID, BASE_URL), never from the request.
 */

const NAME_MAX = 64;

/** Loaded on first use: the library and its ASN.1 stack take seconds to import on a busy machine. */
let library: Promise<typeof import("@simplewebauthn/server")> | undefined;
const webauthn = () => {
  hideExperimentalWarnings("The supports Web Crypto API method is an experimental feature", "The ML-DSA-44 Web Crypto API algorithm is an experimental feature");
  return (library ??= import("@simplewebauthn/server"));
};

export interface PasskeySummary {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  /** Backup-eligible ("synced") rather than bound to one device. */
  readonly synced: boolean;
}

function rp(deps: Pick<Deps, "config">): { rpID: string; origin: string } {
  if (!deps.config.webauthnRpId) throw new AccountError("not_found", { message: "Passkeys are not available on this server." });
  return { rpID: deps.config.webauthnRpId, origin: new URL(deps.config.baseUrl).origin };
}

export async function listPasskeys(deps: Pick<Deps, "db">, userId: string): Promise<PasskeySummary[]> {
  const rows = await deps.db.kysely
    .selectFrom("passkeys")
    .select(["id", "name", "created_at", "last_used_at", "backup_eligible"])
    .where("user_id", "=", userId)
    .orderBy("created_at", "asc")
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: Number(r.created_at), lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at), synced: r.backup_eligible === 1 }));
}

/** Fresh session only. Creation options; the challenge is bound to this session and account. */
export async function registrationOptions(deps: Deps, viewer: Viewer): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { rpID } = rp(deps);
  await requireFresh(deps, viewer);
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    const user = await trx.selectFrom("users").select("webauthn_user_id").where("id", "=", viewer.userId).executeTakeFirstOrThrow();
    let handle = user.webauthn_user_id;
    if (!handle) {
      handle = randomBytes(32).toString("base64url");
      await trx.updateTable("users").set({ webauthn_user_id: handle }).where("id", "=", viewer.userId).execute();
    }
    const existing = await trx.selectFrom("passkeys").select(["credential_id", "transports"]).where("user_id", "=", viewer.userId).execute();
    const options = await (await webauthn()).generateRegistrationOptions({
      rpName: deps.config.webauthnRpName,
      rpID,
      userName: viewer.email,
      userID: Buffer.from(handle, "base64url"),
      attestationType: "none",
      excludeCredentials: existing.map((p) => ({ id: p.credential_id, ...(p.transports ? { transports: JSON.parse(p.transports) as string[] } : {}) })),
      authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
      timeout: 300_000,
    });
    await storeChallenge(trx, { challenge: options.challenge, purpose: "register", sessionHash: viewer.sessionHash, userId: viewer.userId, now });
    return options;
  });
}

/** Stores a new passkey from the browser's answer to registrationOptions; mails the owner. */
export async function addPasskey(deps: Deps, viewer: Viewer, input: { response: unknown; name: unknown }, client: ClientInfo): Promise<PasskeySummary> {
  const { rpID, origin } = rp(deps);
  const name = typeof input.name === "string" && input.name.trim() ? input.name.trim().slice(0, NAME_MAX) : "Passkey";
  const challenge = signedChallenge(input.response);
  await consumeChallenge(deps, { challenge, purpose: "register", sessionHash: viewer.sessionHash });
  const verified = await (await webauthn()).verifyRegistrationResponse({
    response: input.response as RegistrationResponseJSON,
    expectedChallenge: challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    requireUserVerification: false,
  }).catch(() => null);
  if (!verified?.verified) throw passkeyRefused();
  const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
  const now = deps.clock.now();
  const id = randomUUID();
  await deps.db.kysely.transaction().execute(async (trx) => {
    if (await trx.selectFrom("passkeys").select("id").where("credential_id", "=", credential.id).executeTakeFirst()) {
      throw invalidInput({ response: "This passkey is already registered." });
    }
    await trx
      .insertInto("passkeys")
      .values({
        id,
        user_id: viewer.userId,
        credential_id: credential.id,
        public_key: Buffer.from(credential.publicKey).toString("base64url"),
        counter: credential.counter,
        transports: credential.transports ? JSON.stringify(credential.transports) : null,
        backup_eligible: credentialDeviceType === "multiDevice" ? 1 : 0,
        backed_up: credentialBackedUp ? 1 : 0,
        name,
        created_at: now,
        last_used_at: null,
      })
      .execute();
    await mfaChanged(trx, deps, { userId: viewer.userId, email: viewer.email, change: "passkey_added", client, now });
  });
  return { id, name, createdAt: now, lastUsedAt: null, synced: credentialDeviceType === "multiDevice" };
}

/** Fresh session only. Returns false when the account has no passkey by that id. */
export async function removePasskey(deps: Deps, viewer: Viewer, id: string, client: ClientInfo): Promise<boolean> {
  await requireFresh(deps, viewer);
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    const removed = await trx.deleteFrom("passkeys").where("id", "=", id).where("user_id", "=", viewer.userId).executeTakeFirst();
    if (removed.numDeletedRows === 0n) return false;
    await mfaChanged(trx, deps, { userId: viewer.userId, email: viewer.email, change: "passkey_removed", client, now });
    return true;
  });
}

/**
 * Request options. Passwordless sign-in asks for user verification and lists no credentials
 * (the browser offers the resident keys it has); as a second factor or for re-authentication the
 * challenge is bound to the session and account and lists that account's keys.
 */
export async function authenticationOptions(
  deps: Deps,
  purpose: Exclude<ChallengePurpose, "register">,
  viewer: Viewer | null,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { rpID } = rp(deps);
  const now = deps.clock.now();
  const keys = viewer ? await deps.db.kysely.selectFrom("passkeys").select(["credential_id", "transports"]).where("user_id", "=", viewer.userId).execute() : [];
  const options = await (await webauthn()).generateAuthenticationOptions({
    rpID,
    userVerification: purpose === "login" ? "required" : "preferred",
    allowCredentials: keys.map((p) => ({ id: p.credential_id, ...(p.transports ? { transports: JSON.parse(p.transports) as string[] } : {}) })),
    timeout: 300_000,
  });
  await storeChallenge(deps.db.kysely, { challenge: options.challenge, purpose, sessionHash: viewer?.sessionHash ?? null, userId: viewer?.userId ?? null, now });
  return options;
}

export interface VerifiedPasskey {
  readonly userId: string;
  readonly email: string;
  readonly confirmed: boolean;
}

/**
 * Verifies an assertion: its challenge (consumed first: a replay fails), the credential (and,
 * when the challenge is bound to an account, that it is that account's; for a passwordless
 * sign-in, that the user handle is the owner's and that the passkey verified its user), origin,
 * RP ID and signature. Counter rule: a synced (backup-eligible) passkey never fails on a counter
 * that did not grow; a device-bound one whose counter goes backwards is refused, audited and mailed.
 */
export async function verifyPasskey(
  deps: Deps,
  purpose: Exclude<ChallengePurpose, "register">,
  input: { response: unknown; sessionHash: string | null },
  client: ClientInfo,
): Promise<VerifiedPasskey> {
  const { rpID, origin } = rp(deps);
  const challenge = signedChallenge(input.response);
  const bound = await consumeChallenge(deps, { challenge, purpose, sessionHash: input.sessionHash });
  const response = input.response as AuthenticationResponseJSON;
  const key = typeof response.id === "string" ? await deps.db.kysely
    .selectFrom("passkeys")
    .innerJoin("users", "users.id", "passkeys.user_id")
    .select(["passkeys.id", "passkeys.user_id", "passkeys.credential_id", "passkeys.public_key", "passkeys.counter", "passkeys.backup_eligible", "users.email", "users.confirmed", "users.webauthn_user_id"])
    .where("passkeys.credential_id", "=", response.id)
    .executeTakeFirst() : undefined;
  if (!key) throw passkeyRefused();
  if (bound.userId !== null && key.user_id !== bound.userId) throw passkeyRefused();
  const handle = response.response?.userHandle;
  if (bound.userId === null && handle !== key.webauthn_user_id) throw passkeyRefused();
  const stored = Number(key.counter);
  const verified = await (await webauthn()).verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    // The counter is judged below, by our rule, not the library's.
    credential: { id: key.credential_id, publicKey: Buffer.from(key.public_key, "base64url"), counter: 0 },
    // Judged below, so that the refusal says why.
    requireUserVerification: false,
  }).catch(() => null);
  if (!verified?.verified) throw passkeyRefused();
  const { newCounter, userVerified } = verified.authenticationInfo;
  if (purpose === "login" && !userVerified) throw passkeyRefused("This passkey did not verify you (PIN or biometrics); sign in with your password.");
  const now = deps.clock.now();
  if (key.backup_eligible === 0 && (newCounter > 0 || stored > 0) && newCounter <= stored) {
    await deps.db.kysely.transaction().execute(async (trx) => {
      await recordEvent(trx, { type: "passkey_counter_regression", userId: key.user_id, outcome: `${stored}->${newCounter}`, client, now });
      await notifyOwner(trx, deps, { userId: key.user_id, email: key.email, notice: "passkey_counter_regression", client, now });
    });
    throw passkeyRefused("This passkey's signature counter went backwards; it may have been copied. The sign-in was refused.");
  }
  await deps.db.kysely
    .updateTable("passkeys")
    .set({ counter: key.backup_eligible === 1 ? Math.max(stored, newCounter) : newCounter, last_used_at: now })
    .where("id", "=", key.id)
    .execute();
  return { userId: key.user_id, email: key.email, confirmed: key.confirmed === 1 };
}
