import { createCipheriv, createDecipheriv, createHmac, hash, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Keys derived from SECRET_KEY, one per use, so a key leaked from one use (say, a CSRF token
 * scheme) says nothing about another (the outbox encryption).
 */
export interface Keys {
  readonly csrf: Buffer;
  readonly code: Buffer;
  readonly outbox: Buffer;
  /** The Ed25519 seed of the identity assertion (authz/assertion.ts). */
  readonly assertion: Buffer;
  /** Seals webhook endpoints' signing secrets at rest. */
  readonly webhook: Buffer;
  /** Seals TOTP secrets at rest. */
  readonly totp: Buffer;
  /** Keys the HMACs of recovery codes. */
  readonly recovery: Buffer;
}

export function deriveKeys(secretKey: string): Keys {
  const derive = (info: string) => Buffer.from(hkdfSync("sha256", secretKey, "latchkey", info, 32));
  return Object.freeze({
    csrf: derive("csrf v1"),
    code: derive("confirmation code v1"),
    outbox: derive("outbox v1"),
    webhook: derive("webhook secret v1"),
    assertion: derive("assertion ed25519 v1"),
    totp: derive("totp v1"),
    recovery: derive("recovery codes v1"),
  });
}

/** 256 random bits, base64url: the form of every link token and session id. */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** SHA-256, hex: how link tokens and session ids are stored (synchronous; no thread pool). */
export function sha256(value: string): string {
  // The one-shot crypto.hash: behind every signed-in request, and about twice as fast as createHash.
  return hash("sha256", value, "hex");
}

export function hmac(key: Buffer, value: string): string {
  return createHmac("sha256", key).update(value).digest("base64url");
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** AES-256-GCM; output `v1.iv.tag.ciphertext`, base64url parts. */
export function seal(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), ct].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

export function unseal(key: Buffer, sealed: string): string {
  const [version, iv, tag, ct] = sealed.split(".");
  if (version !== "v1" || iv === undefined || tag === undefined || ct === undefined) throw new Error("unknown sealed format");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
}
