import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { AccountError } from "../../src/accounts/errors.ts";
import {
  CODE_ALPHABET,
  CODE_LENGTH,
  CODE_MAX_ATTEMPTS,
  consumeCode,
  consumeToken,
  issueToken,
  killTokens,
  newCode,
  normaliseCode,
  peekToken,
} from "../../src/accounts/tokens.ts";
import type { Db } from "../../src/db/index.ts";
import type { TokenPurpose } from "../../src/db/schema.ts";
import { deriveKeys, sha256 } from "../../src/secrets.ts";
import { migratedDatabase, testDialects } from "../helpers/databases.ts";

const HOUR = 3600;
const T0 = Date.UTC(2030, 0, 1);
const codeKey = deriveKeys(randomBytes(32).toString("base64url")).code;

function rejectsWith(promise: Promise<unknown>, code: string) {
  return assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AccountError, `expected an AccountError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

describe("codes", () => {
  test("normaliseCode upper-cases and drops spaces and hyphens", () => {
    assert.equal(normaliseCode("abcd-efgh"), "ABCDEFGH");
    assert.equal(normaliseCode(" ABCD EFGH "), "ABCDEFGH");
    assert.equal(normaliseCode("ab-cd ef-gh"), "ABCDEFGH");
  });

  test("normaliseCode applies NFKC (fullwidth letters from a phone keyboard)", () => {
    assert.equal(normaliseCode("ＡＢＣＤ－ＥＦＧＨ"), "ABCDEFGH");
  });

  test("new codes have 8 characters from the unambiguous alphabet", () => {
    for (let i = 0; i < 200; i++) {
      const code = newCode();
      assert.equal(code.length, CODE_LENGTH);
      for (const ch of code) assert.ok(CODE_ALPHABET.includes(ch), `${ch} in alphabet`);
    }
    for (const ambiguous of ["0", "O", "1", "I", "L"]) assert.ok(!CODE_ALPHABET.includes(ambiguous), ambiguous);
  });
});

for (const dialect of await testDialects()) {
  describe(`tokens (${dialect})`, () => {
    let db!: Db;
    migratedDatabase(dialect, (opened) => (db = opened));

    async function newUser(email = `${randomUUID()}@example.com`): Promise<{ userId: string; email: string }> {
      const userId = randomUUID();
      await db.kysely
        .insertInto("users")
        .values({ id: userId, email, email_canonical: email, password_hash: "x", registered_on: T0, confirmed_on: null, confirmation_sent_at: T0 })
        .execute();
      return { userId, email };
    }

    function issue(user: { userId: string; email: string }, purpose: TokenPurpose = "confirm", opts: { ttl?: number; now?: number; code?: boolean } = {}) {
      return issueToken(db.kysely, {
        userId: user.userId,
        purpose,
        email: user.email,
        ttlSeconds: opts.ttl ?? HOUR,
        now: opts.now ?? T0,
        ...(opts.code ? { codeKey } : {}),
      });
    }

    test("a token is 256 random bits, base64url, stored only as its SHA-256", async () => {
      const user = await newUser();
      const issued = await issue(user);
      assert.match(issued.token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(issued.expiresAt, T0 + HOUR * 1000);
      const rows = await db.kysely.selectFrom("tokens").selectAll().where("user_id", "=", user.userId).execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.token_hash, sha256(issued.token));
      assert.ok(!JSON.stringify(rows).includes(issued.token), "the raw token is nowhere in the row");
    });

    test("consuming returns the user and address the token is bound to, once", async () => {
      const user = await newUser();
      const { token } = await issue(user, "reset");
      const claim = await consumeToken(db.kysely, token, "reset", T0 + 1000);
      assert.equal(claim.userId, user.userId);
      assert.equal(claim.email, user.email);
      await rejectsWith(consumeToken(db.kysely, token, "reset", T0 + 2000), "token_invalid");
    });

    test("20 concurrent consumers, each in its own transaction: exactly one wins", async () => {
      const user = await newUser();
      const { token } = await issue(user);
      const attempts = await Promise.allSettled(
        Array.from({ length: 20 }, () => db.kysely.transaction().execute((trx) => consumeToken(trx, token, "confirm", T0 + 1000))),
      );
      const won = attempts.filter((a) => a.status === "fulfilled");
      const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === "rejected");
      assert.equal(won.length, 1, `winners: ${won.length}`);
      assert.equal(lost.length, 19);
      for (const l of lost) {
        assert.ok(l.reason instanceof AccountError, String(l.reason));
        assert.equal(l.reason.code, "token_invalid");
      }
      const row = await db.kysely.selectFrom("tokens").select("used_at").where("token_hash", "=", sha256(token)).executeTakeFirstOrThrow();
      assert.equal(row.used_at, T0 + 1000);
    });

    test("a token of one purpose does not work for another", async () => {
      const user = await newUser();
      const { token } = await issue(user, "confirm");
      await rejectsWith(consumeToken(db.kysely, token, "reset", T0), "token_invalid");
      await rejectsWith(consumeToken(db.kysely, token, "email_change", T0), "token_invalid");
      await rejectsWith(peekToken(db.kysely, token, "reset", T0), "token_invalid");
      // The failed attempts did not use it up.
      assert.equal((await consumeToken(db.kysely, token, "confirm", T0)).userId, user.userId);
    });

    test("an expired token gives token_expired, and from the moment of expiry", async () => {
      const user = await newUser();
      const { token, expiresAt } = await issue(user, "confirm", { ttl: 60 });
      await rejectsWith(consumeToken(db.kysely, token, "confirm", expiresAt), "token_expired");
      await rejectsWith(consumeToken(db.kysely, token, "confirm", expiresAt + 86_400_000), "token_expired");
      await rejectsWith(peekToken(db.kysely, token, "confirm", expiresAt), "token_expired");
      assert.equal((await consumeToken(db.kysely, token, "confirm", expiresAt - 1)).userId, user.userId, "one ms before expiry it works");
    });

    test("a used token that has since expired is invalid, not expired", async () => {
      const user = await newUser();
      const { token, expiresAt } = await issue(user);
      await consumeToken(db.kysely, token, "confirm", T0);
      await rejectsWith(consumeToken(db.kysely, token, "confirm", expiresAt + 1), "token_invalid");
    });

    test("unknown and malformed tokens are token_invalid", async () => {
      await rejectsWith(consumeToken(db.kysely, randomBytes(32).toString("base64url"), "confirm", T0), "token_invalid");
      for (const bad of ["", "short", "x".repeat(44), `${"a".repeat(42)}=`, "../../etc/passwd", `${"a".repeat(42)}'`]) {
        await rejectsWith(consumeToken(db.kysely, bad, "confirm", T0), "token_invalid");
      }
    });

    test("the stored hash itself is not a token (a database copy gives nothing usable)", async () => {
      const user = await newUser();
      await issue(user);
      const row = await db.kysely.selectFrom("tokens").select("token_hash").where("user_id", "=", user.userId).executeTakeFirstOrThrow();
      await rejectsWith(consumeToken(db.kysely, row.token_hash, "confirm", T0), "token_invalid");
    });

    test("peekToken looks without using the token", async () => {
      const user = await newUser();
      const { token } = await issue(user);
      for (let i = 0; i < 3; i++) assert.equal((await peekToken(db.kysely, token, "confirm", T0)).userId, user.userId);
      await consumeToken(db.kysely, token, "confirm", T0);
      await rejectsWith(peekToken(db.kysely, token, "confirm", T0), "token_invalid");
    });

    test("a rolled-back transaction leaves the token usable", async () => {
      const user = await newUser();
      const { token } = await issue(user);
      await assert.rejects(
        db.kysely.transaction().execute(async (trx) => {
          await consumeToken(trx, token, "confirm", T0);
          throw new Error("side effect failed");
        }),
        /side effect failed/,
      );
      assert.equal((await consumeToken(db.kysely, token, "confirm", T0)).userId, user.userId);
    });

    describe("codes", () => {
      const codeOpts = (user: { userId: string; email: string }, code: string, now = T0 + 1000) => ({ userId: user.userId, email: user.email, code, codeKey, now });

      test("a code is returned only when asked for, and stored only as an HMAC", async () => {
        const user = await newUser();
        assert.equal((await issue(user)).code, undefined);
        const { code } = await issue(user, "confirm", { code: true });
        assert.ok(code);
        const rows = await db.kysely.selectFrom("tokens").select("code_hmac").where("user_id", "=", user.userId).execute();
        assert.deepEqual(rows.map((r) => r.code_hmac === null).sort(), [false, true]);
        assert.ok(!JSON.stringify(rows).includes(code));
      });

      test("the right code, typed loosely, confirms once and uses its link too", async () => {
        const user = await newUser();
        const { token, code } = await issue(user, "confirm", { code: true });
        const typed = `${code!.slice(0, 4).toLowerCase()} - ${code!.slice(4).toLowerCase()}`;
        const claim = await consumeCode(db.kysely, codeOpts(user, typed));
        assert.equal(claim?.userId, user.userId);
        assert.equal(claim?.email, user.email);
        assert.equal(await consumeCode(db.kysely, codeOpts(user, code!)), null, "second use");
        await rejectsWith(consumeToken(db.kysely, token, "confirm", T0 + 2000), "token_invalid");
      });

      test("a code works only for its own user and address", async () => {
        const owner = await newUser();
        const other = await newUser();
        const { code } = await issue(owner, "confirm", { code: true });
        await issue(other, "confirm", { code: true });
        assert.equal(await consumeCode(db.kysely, codeOpts(other, code!)), null, "another user's code");
        assert.equal(await consumeCode(db.kysely, { ...codeOpts(owner, code!), email: "changed@example.com" }), null, "another address");
        assert.ok(await consumeCode(db.kysely, codeOpts(owner, code!)), "still works for its owner");
      });

      test("an expired code does not work", async () => {
        const user = await newUser();
        const { code, expiresAt } = await issue(user, "confirm", { code: true, ttl: 60 });
        assert.equal(await consumeCode(db.kysely, codeOpts(user, code!, expiresAt)), null);
      });

      test(`${CODE_MAX_ATTEMPTS - 1} wrong codes leave the right one working`, async () => {
        const user = await newUser();
        const { code } = await issue(user, "confirm", { code: true });
        for (let i = 0; i < CODE_MAX_ATTEMPTS - 1; i++) assert.equal(await consumeCode(db.kysely, codeOpts(user, wrongCode(code!))), null);
        assert.ok(await consumeCode(db.kysely, codeOpts(user, code!)));
      });

      test(`${CODE_MAX_ATTEMPTS} wrong codes kill the code (its link still works)`, async () => {
        assert.equal(CODE_MAX_ATTEMPTS, 5);
        const user = await newUser();
        const { token, code } = await issue(user, "confirm", { code: true });
        for (let i = 0; i < CODE_MAX_ATTEMPTS; i++) assert.equal(await consumeCode(db.kysely, codeOpts(user, wrongCode(code!))), null);
        assert.equal(await consumeCode(db.kysely, codeOpts(user, code!)), null, "the right code is dead");
        const row = await db.kysely.selectFrom("tokens").select("code_attempts").where("token_hash", "=", sha256(token)).executeTakeFirstOrThrow();
        assert.ok(row.code_attempts >= CODE_MAX_ATTEMPTS);
        assert.equal((await consumeToken(db.kysely, token, "confirm", T0 + 2000)).userId, user.userId);
      });

      test("malformed guesses (wrong length, garbage) count as strikes too", async () => {
        const user = await newUser();
        const { code } = await issue(user, "confirm", { code: true });
        for (const guess of ["", "ABC", "ABCDEFGHJ", "!!!!!!!!", "ABCD-EFGH-JKMN"]) {
          assert.equal(await consumeCode(db.kysely, codeOpts(user, guess)), null);
        }
        assert.equal(await consumeCode(db.kysely, codeOpts(user, code!)), null, "5 strikes, whatever their shape");
      });

      test("strikes count against every live code, so a resend does not reset the budget", async () => {
        const user = await newUser();
        const first = await issue(user, "confirm", { code: true });
        const second = await issue(user, "confirm", { code: true });
        for (let i = 0; i < CODE_MAX_ATTEMPTS; i++) assert.equal(await consumeCode(db.kysely, codeOpts(user, "WWWWWWWW")), null);
        assert.equal(await consumeCode(db.kysely, codeOpts(user, first.code!)), null);
        assert.equal(await consumeCode(db.kysely, codeOpts(user, second.code!)), null);
      });

      test("20 concurrent uses of the right code: exactly one wins", async () => {
        const user = await newUser();
        const { code } = await issue(user, "confirm", { code: true });
        const results = await Promise.all(
          Array.from({ length: 20 }, () => db.kysely.transaction().execute((trx) => consumeCode(trx, codeOpts(user, code!)))),
        );
        assert.equal(results.filter((r) => r !== null).length, 1);
      });
    });

    describe("killTokens", () => {
      test("kills every outstanding token of the user, and only theirs", async () => {
        const user = await newUser();
        const bystander = await newUser();
        const confirm = await issue(user, "confirm", { code: true });
        const reset = await issue(user, "reset");
        const change = await issue(user, "email_change");
        const theirs = await issue(bystander, "reset");
        await killTokens(db.kysely, user.userId, T0 + 1000);
        await rejectsWith(consumeToken(db.kysely, confirm.token, "confirm", T0 + 2000), "token_invalid");
        await rejectsWith(consumeToken(db.kysely, reset.token, "reset", T0 + 2000), "token_invalid");
        await rejectsWith(consumeToken(db.kysely, change.token, "email_change", T0 + 2000), "token_invalid");
        assert.equal(await consumeCode(db.kysely, { userId: user.userId, email: user.email, code: confirm.code!, codeKey, now: T0 + 2000 }), null);
        assert.equal((await consumeToken(db.kysely, theirs.token, "reset", T0 + 2000)).userId, bystander.userId);
      });

      test("with a purpose, kills only that purpose", async () => {
        const user = await newUser();
        const older = await issue(user, "reset");
        const newer = await issue(user, "reset");
        const confirm = await issue(user, "confirm");
        await killTokens(db.kysely, user.userId, T0 + 1000, "reset");
        await rejectsWith(consumeToken(db.kysely, older.token, "reset", T0 + 2000), "token_invalid");
        await rejectsWith(consumeToken(db.kysely, newer.token, "reset", T0 + 2000), "token_invalid");
        assert.equal((await consumeToken(db.kysely, confirm.token, "confirm", T0 + 2000)).userId, user.userId);
      });

      test("does not rewrite when an already-used token was used", async () => {
        const user = await newUser();
        const { token } = await issue(user, "reset");
        await consumeToken(db.kysely, token, "reset", T0 + 1000);
        await killTokens(db.kysely, user.userId, T0 + 5000);
        const row = await db.kysely.selectFrom("tokens").select("used_at").where("token_hash", "=", sha256(token)).executeTakeFirstOrThrow();
        assert.equal(row.used_at, T0 + 1000);
      });
    });
  });
}

/** A code from the alphabet that differs from `code` in its first character. */
function wrongCode(code: string): string {
  const first = CODE_ALPHABET[(CODE_ALPHABET.indexOf(code[0]!) + 1) % CODE_ALPHABET.length]!;
  return first + code.slice(1);
}
