import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { deriveKeys, hmac, randomToken, safeEqual, seal, sha256, TOKEN_PATTERN, unseal } from "../src/secrets.ts";

const SECRET = "a-development-secret-key-of-enough-length";

describe("seal / unseal (AES-256-GCM)", () => {
  const key = deriveKeys(SECRET).outbox;

  test("round-trips text, including non-ASCII and the empty string", () => {
    for (const text of ["hello", "", "Grüße, 世界 — 😀", JSON.stringify({ to: "a@example.com", text: "x".repeat(100_000) })]) {
      assert.equal(unseal(key, seal(key, text)), text);
    }
  });

  test("the sealed form does not contain the plaintext", () => {
    const secret = "https://latchkey.test/confirm/SECRETTOKEN";
    const sealed = seal(key, secret);
    assert.ok(!sealed.includes("SECRETTOKEN"));
    assert.ok(!Buffer.from(sealed.split(".")[3]!, "base64url").toString("latin1").includes("SECRETTOKEN"));
  });

  test("sealing the same text twice gives different output (fresh IV)", () => {
    const a = seal(key, "same");
    const b = seal(key, "same");
    assert.notEqual(a, b);
    assert.notEqual(a.split(".")[1], b.split(".")[1], "different IVs");
  });

  /** Flips one bit of one base64url part of a sealed value. */
  function tamper(sealed: string, part: number): string {
    const parts = sealed.split(".");
    const bytes = Buffer.from(parts[part]!, "base64url");
    bytes[0]! ^= 0x01;
    parts[part] = bytes.toString("base64url");
    return parts.join(".");
  }

  for (const [part, name] of [[1, "IV"], [2, "tag"], [3, "ciphertext"]] as const) {
    test(`a flipped bit in the ${name} is detected`, () => {
      const sealed = seal(key, "transfer 100 to alice");
      assert.throws(() => unseal(key, tamper(sealed, part)));
    });
  }

  test("a truncated ciphertext or tag is detected", () => {
    const sealed = seal(key, "transfer 100 to alice");
    const [v, iv, tag, ct] = sealed.split(".");
    assert.throws(() => unseal(key, [v, iv, tag, ct!.slice(0, -2)].join(".")));
    assert.throws(() => unseal(key, [v, iv, tag!.slice(0, 8), ct].join(".")));
    assert.throws(() => unseal(key, [v, iv, "", ct].join(".")));
  });

  test("another key cannot open it", () => {
    const sealed = seal(key, "for the outbox only");
    assert.throws(() => unseal(deriveKeys(SECRET).csrf, sealed));
    assert.throws(() => unseal(deriveKeys(SECRET + "!").outbox, sealed));
  });

  test("unknown formats are refused", () => {
    const sealed = seal(key, "x");
    assert.throws(() => unseal(key, sealed.replace(/^v1\./, "v2.")));
    assert.throws(() => unseal(key, "garbage"));
    assert.throws(() => unseal(key, ""));
  });
});

describe("deriveKeys (HKDF from SECRET_KEY)", () => {
  test("gives one distinct 256-bit key per use", () => {
    const keys = deriveKeys(SECRET);
    const all = [keys.csrf, keys.code, keys.outbox];
    for (const k of all) assert.equal(k.length, 32);
    assert.equal(new Set(all.map((k) => k.toString("hex"))).size, 3, "csrf, code and outbox keys differ");
    for (const k of all) assert.notEqual(k.toString("utf8"), SECRET.slice(0, 32), "not the secret itself");
  });

  test("is deterministic: the same secret gives the same keys (mail queued before a restart stays readable)", () => {
    const a = deriveKeys(SECRET);
    const b = deriveKeys(SECRET);
    assert.ok(a.csrf.equals(b.csrf) && a.code.equals(b.code) && a.outbox.equals(b.outbox));
    assert.equal(unseal(b.outbox, seal(a.outbox, "after restart")), "after restart");
  });

  test("another secret gives entirely different keys", () => {
    const a = deriveKeys(SECRET);
    const b = deriveKeys(randomBytes(32).toString("base64url"));
    assert.ok(!a.csrf.equals(b.csrf) && !a.code.equals(b.code) && !a.outbox.equals(b.outbox));
  });

  test("the keys are frozen", () => {
    const keys = deriveKeys(SECRET);
    assert.ok(Object.isFrozen(keys));
  });
});

describe("tokens and hashes", () => {
  test("randomToken gives 43 base64url characters (256 bits), different each time", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = randomToken();
      assert.match(t, TOKEN_PATTERN);
      assert.equal(Buffer.from(t, "base64url").length, 32);
      seen.add(t);
    }
    assert.equal(seen.size, 1000);
  });

  test("sha256 is hex SHA-256", () => {
    assert.equal(sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  test("hmac depends on the key", () => {
    const { csrf, code } = deriveKeys(SECRET);
    assert.equal(hmac(csrf, "x"), hmac(csrf, "x"));
    assert.notEqual(hmac(csrf, "x"), hmac(code, "x"));
    assert.notEqual(hmac(csrf, "x"), hmac(csrf, "y"));
  });

  test("safeEqual compares exactly, including different lengths", () => {
    assert.equal(safeEqual("abc", "abc"), true);
    assert.equal(safeEqual("abc", "abd"), false);
    assert.equal(safeEqual("abc", "abcd"), false);
    assert.equal(safeEqual("", ""), true);
  });
});
