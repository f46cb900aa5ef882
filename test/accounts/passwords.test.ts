import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { hash as argon2Hash } from "@node-rs/argon2";
import { AccountError } from "../../src/accounts/errors.ts";
import { ARGON2_PARAMS, createHasher, PASSWORD_MAX_LENGTH, passwordProblem } from "../../src/accounts/passwords.ts";

const GOOD = "violet kettle orbit";

describe("passwordProblem", () => {
  test("accepts a reasonable password", () => {
    assert.equal(passwordProblem(GOOD, 8), undefined);
  });

  test("rejects an empty password and a non-string", () => {
    assert.equal(typeof passwordProblem("", 8), "string");
    assert.equal(typeof passwordProblem(undefined as unknown as string, 8), "string");
  });

  test("the minimum length comes from the configured value", () => {
    assert.equal(typeof passwordProblem("zq7#kfw", 8), "string", "7 < 8");
    assert.equal(passwordProblem("zq7#kfwx", 8), undefined, "8 is enough");
    assert.equal(typeof passwordProblem("zq7#kfwxpl", 12), "string", "10 < 12");
    assert.equal(passwordProblem("zq7#kfwxpl4m", 12), undefined, "12 is enough");
    assert.match(passwordProblem("zq7#kfwxpl", 12)!, /12/, "the message names the minimum");
  });

  test("length counts characters, not UTF-16 units", () => {
    // 4 astral characters are 8 UTF-16 code units but only 4 characters.
    assert.equal(typeof passwordProblem("😀🐙🚀🌵", 8), "string");
    assert.equal(passwordProblem("😀🐙🚀🌵😀🐙🚀🌵", 8), undefined);
  });

  test(`accepts ${PASSWORD_MAX_LENGTH} characters and rejects one more`, () => {
    assert.equal(PASSWORD_MAX_LENGTH, 1024);
    const base = "k7#Qw9!z".repeat(128);
    assert.equal(passwordProblem(base, 8), undefined);
    assert.equal(typeof passwordProblem(base + "x", 8), "string");
  });

  test("rejects a lone surrogate", () => {
    assert.equal(typeof passwordProblem("violet kettle\ud800 orbit", 8), "string");
  });

  for (const common of ["password1", "iloveyou", "12345678", "qwertyuiop", "trustno1"]) {
    test(`rejects the common password ${JSON.stringify(common)}`, () => {
      assert.equal(typeof passwordProblem(common, 8), "string");
    });
  }

  test("the common-password check ignores case", () => {
    assert.equal(typeof passwordProblem("PassWord1", 8), "string");
    assert.equal(typeof passwordProblem("ILOVEYOU", 8), "string");
  });

  test("the common-password check sees through NFKC (fullwidth)", () => {
    assert.equal(typeof passwordProblem("ｐａｓｓｗｏｒｄ１", 8), "string");
  });

  test("rejects the account's email address as the password, in any case", () => {
    assert.equal(typeof passwordProblem("jane.doe@example.com", 8, "jane.doe@example.com"), "string");
    assert.equal(typeof passwordProblem("Jane.Doe@Example.com", 8, "jane.doe@example.com"), "string");
    assert.equal(passwordProblem("jane.doe@example.com", 8, "someone.else@example.com"), undefined);
  });
});

describe("Hasher", () => {
  const hasher = createHasher({ concurrency: 2 });

  test("hashes with argon2id and verifies the right password only", async () => {
    const h = await hasher.hash(GOOD);
    assert.match(h, /^\$argon2id\$/);
    assert.ok(!h.includes(GOOD));
    assert.equal(await hasher.verify(h, GOOD), true);
    assert.equal(await hasher.verify(h, GOOD + "!"), false);
    assert.equal(await hasher.verify(h, "Violet kettle orbit"), false, "case matters");
  });

  test("the same password hashes differently each time (salted)", async () => {
    assert.notEqual(await hasher.hash(GOOD), await hasher.hash(GOOD));
  });

  test("composed and decomposed forms of a password verify against the same hash (NFKC)", async () => {
    const composed = "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e";
    const decomposed = composed.normalize("NFD");
    assert.notEqual(composed, decomposed);
    assert.equal(await hasher.verify(await hasher.hash(composed), decomposed), true);
    assert.equal(await hasher.verify(await hasher.hash(decomposed), composed), true);
  });

  test("a fullwidth password verifies against its ASCII form (NFKC)", async () => {
    assert.equal(await hasher.verify(await hasher.hash("ｖｉｏｌｅｔ ｋｅｔｔｌｅ"), "violet kettle"), true);
  });

  test("a malformed hash verifies as false instead of throwing", async () => {
    assert.equal(await hasher.verify("not a hash", GOOD), false);
    assert.equal(await hasher.verify("", GOOD), false);
  });

  test("a hash made with the current parameters does not need a rehash", async () => {
    assert.equal(hasher.needsRehash(await hasher.hash(GOOD)), false);
  });

  test("a hash made with other argon2 parameters still verifies but needs a rehash", async () => {
    const weaker = await argon2Hash(GOOD, { ...ARGON2_PARAMS, memoryCost: 8192, timeCost: 1 });
    assert.equal(await hasher.verify(weaker, GOOD), true);
    assert.equal(hasher.needsRehash(weaker), true);
    const moreLanes = await argon2Hash(GOOD, { ...ARGON2_PARAMS, parallelism: 2 });
    assert.equal(hasher.needsRehash(moreLanes), true);
  });

  test("a hash of another algorithm needs a rehash", async () => {
    const argon2i = await argon2Hash(GOOD, { ...ARGON2_PARAMS, algorithm: 1 /* Argon2i */ });
    assert.equal(hasher.needsRehash(argon2i), true);
    assert.equal(hasher.needsRehash("$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01"), true);
  });

  test("verifyDummy always answers false", async () => {
    assert.equal(await hasher.verifyDummy(GOOD), false);
    assert.equal(await hasher.verifyDummy("latchkey dummy password for timing"), false);
  });

  test("with no time to wait (budget 0, none always admitted), hash work beyond the running one is refused with `unavailable`", async () => {
    const tiny = createHasher({ concurrency: 1, waitBudgetMs: 0, alwaysAdmitted: 0 });
    // Hashed before the slot is taken: awaiting it afterwards would give the queue time to drain.
    const stored = await argon2Hash(GOOD);
    const running = tiny.hash(GOOD);
    const refusedHash = tiny.hash(GOOD);
    const refusedVerify = tiny.verify(stored, GOOD);
    await assert.rejects(refusedHash, (err: unknown) => err instanceof AccountError && err.code === "unavailable");
    await assert.rejects(refusedVerify, (err: unknown) => err instanceof AccountError && err.code === "unavailable");
    assert.match(await running, /^\$argon2id\$/);
    assert.equal(await tiny.verify(await tiny.hash(GOOD), GOOD), true, "accepts work again once the slot is free");
  });

  test("verifyDummy recovers after being refused once (unknown emails must not stay 503)", async () => {
    const tiny = createHasher({ concurrency: 1, waitBudgetMs: 0, alwaysAdmitted: 0 });
    const busy = tiny.hash(GOOD);
    await assert.rejects(tiny.verifyDummy(GOOD), (err: unknown) => err instanceof AccountError && err.code === "unavailable");
    await busy;
    assert.equal(await tiny.verifyDummy(GOOD), false);
  });
});

describe("context-specific words (issue 18.9)", () => {
  test("the product name, BASE_URL's host labels and the local part are refused, give or take case, digits and symbols", () => {
    for (const p of ["latchkey", "LATCHKEY", "Latchkey2026!", "!latchkey!"]) assert.equal(typeof passwordProblem(p, 8), "string", p);
    assert.equal(typeof passwordProblem("intranetco", 8, undefined, "https://login.intranetco.example"), "string", "a host label");
    assert.equal(typeof passwordProblem("Firstname.Lastname", 8, "firstname.lastname@example.com"), "string", "the local part");
  });

  test("a passphrase containing one, and short labels, are not refused", () => {
    assert.equal(passwordProblem("latchkey under the doormat", 8), undefined);
    assert.equal(passwordProblem("comfortable chair", 8, "me@x.com", "https://a.b.com"), undefined);
  });
});
