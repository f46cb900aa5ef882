import { createPrivateKey } from "node:crypto";
import { calculateJwkThumbprint, importJWK, SignJWT, type JWK } from "jose";
import type { Clock } from "../accounts/deps.ts";

/** How long an assertion is valid (SPEC §7). */
export const ASSERTION_TTL_SECONDS = 60;
/**
 * A signed assertion is reused for the same session, audience and identity while at least
 * this much of its life is left: a page with thirty assets costs one signature, not thirty.
 * The session itself is still looked up on every request, so revocation stays instant.
 */
const REUSE_WHILE_LEFT_SECONDS = 45;
const CACHE_MAX = 10_000;

/** The identity an assertion states. */
export interface AssertionClaims {
  readonly sub: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly admin: boolean;
  /** The session's public id (as /sessions shows it). */
  readonly sid: string;
  /** The protected URL's origin. */
  readonly aud: string;
}

export interface AssertionSigner {
  /**
   * A JWT (EdDSA) stating who is signed in, for the app at `aud`: a string at once when one
   * signed earlier is reused (the usual case, kept off the promise queue), else a promise.
   */
  sign(claims: AssertionClaims): string | Promise<string>;
  /** The public key set, served at /.well-known/jwks.json. */
  readonly jwks: { readonly keys: readonly JWK[] };
}

// An Ed25519 private key in PKCS#8 DER is this fixed prefix followed by the 32-byte seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * The signer for one deployment. The Ed25519 seed is derived from SECRET_KEY (secrets.ts,
 * HKDF), so every instance signs with the same key and there is no new secret to distribute;
 * rotating SECRET_KEY rotates this key too.
 */
export async function createAssertionSigner(o: { seed: Buffer; issuer: string; clock: Clock }): Promise<AssertionSigner> {
  const jwk = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, o.seed]), format: "der", type: "pkcs8" }).export({ format: "jwk" });
  const publicJwk: JWK = { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! };
  const kid = await calculateJwkThumbprint(publicJwk);
  const key = await importJWK({ ...jwk, alg: "EdDSA" } as JWK, "EdDSA");
  // By session, then audience (no key string built per request).
  const cache = new Map<string, Map<string, { token: string; reuseUntil: number; claims: AssertionClaims }>>();
  const same = (a: AssertionClaims, b: AssertionClaims) => a.sub === b.sub && a.email === b.email && a.emailVerified === b.emailVerified && a.admin === b.admin;
  const signNew = async (c: AssertionClaims, now: number) => {
    const iat = Math.floor(now / 1000);
    const token = await new SignJWT({ email: c.email, email_verified: c.emailVerified, admin: c.admin, sid: c.sid })
      .setProtectedHeader({ alg: "EdDSA", kid, typ: "JWT" })
      .setIssuer(o.issuer)
      .setAudience(c.aud)
      .setSubject(c.sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_TTL_SECONDS)
      .sign(key);
    if (cache.size >= CACHE_MAX) cache.clear();
    let bySession = cache.get(c.sid);
    if (!bySession) cache.set(c.sid, (bySession = new Map()));
    bySession.set(c.aud, { token, reuseUntil: (iat + ASSERTION_TTL_SECONDS - REUSE_WHILE_LEFT_SECONDS) * 1000, claims: { ...c } });
    return token;
  };

  return {
    jwks: Object.freeze({ keys: Object.freeze([Object.freeze({ ...publicJwk, kid, alg: "EdDSA", use: "sig" })]) }),
    sign(c) {
      const now = o.clock.now();
      const hit = cache.get(c.sid)?.get(c.aud);
      if (hit && hit.reuseUntil > now && same(hit.claims, c)) return hit.token;
      return signNew(c, now);
    },
  };
}
