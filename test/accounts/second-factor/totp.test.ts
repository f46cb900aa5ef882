import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import * as OTPAuth from "otpauth";
import { looksLikeRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from "../../../src/accounts/second-factor/recovery-codes.ts";
import { base32Decode, base32Encode, groupKey, hotp, matchTotp, newTotpSecret, otpauthUri, totpCode } from "../../../src/accounts/second-factor/totp.ts";

describe("TOTP (RFC 6238)", () => {
  // RFC 6238 Appendix B, SHA-1, 8 digits; the key is ASCII "12345678901234567890".
  const KEY = Buffer.from("12345678901234567890");
  const VECTORS: Array<[number, string]> = [
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ];

  for (const [seconds, expected] of VECTORS) {
    test(`RFC 6238 vector at T=${seconds}s gives ${expected}`, () => {
      assert.equal(hotp(KEY, Math.floor(seconds / 30), 8), expected);
    });
  }

  test("6-digit codes agree with the otpauth library at many times and keys", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 10, maxLength: 40 }), fc.integer({ min: 0, max: 4_000_000_000 }), (bytes, seconds) => {
        const secret = base32Encode(bytes);
        const oracle = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 });
        assert.equal(totpCode(secret, seconds * 1000), oracle.generate({ timestamp: seconds * 1000 }));
      }),
      { numRuns: 300 },
    );
  });

  test("a code of the previous or next step matches (drift ±1), two steps away does not", () => {
    const secret = newTotpSecret();
    const now = 1_700_000_000_000;
    const step = Math.floor(now / 30_000);
    assert.equal(matchTotp(secret, totpCode(secret, now), now), step);
    assert.equal(matchTotp(secret, totpCode(secret, now - 30_000), now), step - 1);
    assert.equal(matchTotp(secret, totpCode(secret, now + 30_000), now), step + 1);
    const farOld = totpCode(secret, now - 60_000);
    if (![-1, 0, 1].some((d) => totpCode(secret, now + d * 30_000) === farOld)) assert.equal(matchTotp(secret, farOld, now), null);
    assert.equal(matchTotp(secret, "12345", now), null);
    assert.equal(matchTotp(secret, "abcdef", now), null);
  });

  test("base32 round-trips any bytes, and decoding ignores case, spaces and padding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = base32Encode(bytes);
        assert.deepEqual([...base32Decode(text)], [...bytes]);
        assert.deepEqual([...base32Decode(groupKey(text).toLowerCase() + "==")], [...bytes]);
        assert.equal(base32Encode(bytes), OTPAuth.Secret.fromHex(Buffer.from(bytes).toString("hex")).base32.replace(/=+$/, ""));
      }),
    );
    assert.throws(() => base32Decode("ABC1"));
  });

  test("a new secret has 160 bits, and the otpauth URI names issuer, account and parameters", () => {
    const secret = newTotpSecret();
    assert.equal(base32Decode(secret).length, 20);
    const parsed = OTPAuth.URI.parse(otpauthUri(secret, "ann@example.com", "Latchkey")) as OTPAuth.TOTP;
    assert.equal(parsed.issuer, "Latchkey");
    assert.equal(parsed.label, "ann@example.com");
    assert.equal(parsed.secret.base32, secret);
    assert.equal(parsed.digits, 6);
    assert.equal(parsed.period, 30);
    assert.equal(parsed.algorithm, "SHA1");
  });
});

describe("recovery codes", () => {
  test("10 distinct codes of the form xxxxx-xxxxx", () => {
    const codes = newRecoveryCodes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const c of codes) assert.match(c, /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
  });

  test("typing is forgiving: case, spaces, hyphens and O/I/L for 0/1", () => {
    for (const c of newRecoveryCodes()) {
      const n = normaliseRecoveryCode(c);
      assert.equal(normaliseRecoveryCode(c.toLowerCase()), n);
      assert.equal(normaliseRecoveryCode(` ${c.replace("-", " ")} `), n);
      assert.equal(normaliseRecoveryCode(c.replace("-", "")), n);
      assert.equal(normaliseRecoveryCode(c.replace(/0/g, "o").replace(/1/g, "l")), n);
      assert.ok(looksLikeRecoveryCode(c));
    }
    assert.equal(looksLikeRecoveryCode("123456"), false);
  });
});
