import { randomBytes } from "node:crypto";
import { hmac } from "../../secrets.ts";

export const RECOVERY_CODE_COUNT = 10;

/** Crockford base32: no I, L, O, U, so nothing reads as another character. */
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** `xxxxx-xxxxx`: 10 characters, 50 random bits each. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const chars = [...randomBytes(10)].map((b) => CROCKFORD[b & 31]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/**
 * What is compared: upper case, without spaces or hyphens, and the letters people mistake for
 * digits mapped to them (O→0, I/L→1), as Crockford base32 reads them.
 */
export function normaliseRecoveryCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
}

/** A typed code that could be a recovery code (rather than a 6-digit TOTP code). */
export function looksLikeRecoveryCode(input: string): boolean {
  return /^[0-9A-Z]{10}$/.test(normaliseRecoveryCode(input));
}

/** Stored form: keyed by the recovery key and bound to the user. */
export function recoveryCodeHmac(key: Buffer, userId: string, code: string): string {
  return hmac(key, `${userId}:${normaliseRecoveryCode(code)}`);
}
