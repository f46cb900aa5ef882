import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { domainToASCII } from "node:url";
import { parseEmail, type EmailAddress } from "../../src/accounts/email-address.ts";

function ok(input: string): EmailAddress {
  const result = parseEmail(input);
  assert.equal(typeof result, "object", `expected ${JSON.stringify(input)} to be accepted, got: ${String(result)}`);
  return result as EmailAddress;
}

function rejected(input: string): void {
  const result = parseEmail(input);
  assert.equal(typeof result, "string", `expected ${JSON.stringify(input)} to be rejected, got ${JSON.stringify(result)}`);
  assert.ok((result as string).length > 0, "the reason is a non-empty message");
}

describe("parseEmail", () => {
  test("accepts a plain address unchanged", () => {
    assert.deepEqual(ok("jane.doe+tag@example.com"), { address: "jane.doe+tag@example.com", canonical: "jane.doe+tag@example.com" });
  });

  test("trims surrounding whitespace (spaces, tabs, newlines)", () => {
    assert.equal(ok("  jane@example.com \t\n").address, "jane@example.com");
  });

  test("applies NFKC: fullwidth characters become their ASCII forms", () => {
    const parsed = ok("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ");
    assert.equal(parsed.address, "jane@example.com");
    assert.equal(parsed.canonical, "jane@example.com");
  });

  test("NFKC makes composed and decomposed forms the same address", () => {
    assert.equal(ok("jos\u00e9@example.com").canonical, ok("jose\u0301@example.com").canonical);
  });

  test("lower-cases the domain but keeps the local part as typed; the canonical form is all lower case", () => {
    const parsed = ok("Jane.Doe@Example.COM");
    assert.equal(parsed.address, "Jane.Doe@example.com");
    assert.equal(parsed.canonical, "jane.doe@example.com");
  });

  test("differently-cased spellings share one canonical form", () => {
    assert.equal(ok("JANE@EXAMPLE.COM").canonical, ok("jane@example.com").canonical);
  });

  test("IDNA-encodes an internationalised domain", () => {
    const parsed = ok("user@Bücher.example");
    assert.equal(parsed.address, "user@xn--bcher-kva.example");
    assert.equal(parsed.canonical, "user@xn--bcher-kva.example");
  });

  test("the Unicode and the punycode spelling of a domain are the same address", () => {
    assert.equal(ok("user@bücher.example").canonical, ok("user@XN--BCHER-KVA.example").canonical);
  });

  test("accepts non-ASCII letters in the local part (SMTPUTF8)", () => {
    assert.equal(ok("Jürgen@example.de").canonical, "jürgen@example.de");
  });

  test("accepts ideographic full stops as domain dots", () => {
    assert.equal(ok("user@例え。テスト").address, "user@xn--r8jz45g.xn--zckzah");
  });

  test("accepts a single trailing dot on the domain (the DNS root) and drops it", () => {
    assert.equal(ok("jane@example.com.").address, "jane@example.com");
  });

  test("accepts a local part of exactly 64 characters", () => {
    ok(`${"a".repeat(64)}@example.com`);
  });

  test("accepts an address of exactly 254 characters", () => {
    const domain = `${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(58)}.com`;
    const address = `${"a".repeat(254 - 1 - domain.length)}@${domain}`;
    assert.equal(address.length, 254);
    assert.equal(ok(address).address, address);
  });

  const bad: Array<[string, string]> = [
    ["empty", ""],
    ["only spaces", "   "],
    ["no @", "jane.example.com"],
    ["two @", "jane@doe@example.com"],
    ["two @ (fullwidth second)", "jane＠doe@example.com"],
    ["empty local part", "@example.com"],
    ["empty domain", "jane@"],
    ["quoted local part", '"jane"@example.com'],
    ["quoted local part with a space", '"jane doe"@example.com'],
    ["a double quote inside", 'ja"ne@example.com'],
    ["a backslash", "ja\\ne@example.com"],
    ["a space inside", "jane doe@example.com"],
    ["a space before the @", "jane @example.com"],
    ["a no-break space", "jane\u00a0doe@example.com"],
    ["CR LF (header injection)", "jane@example.com\r\nBcc: victim@example.com"],
    ["a bare LF inside", "jane\n@example.com"],
    ["a CR inside", "jane\r@example.com"],
    ["a NUL", "jane\u0000@example.com"],
    ["a tab inside", "ja\tne@example.com"],
    ["a DEL", "jane\u007f@example.com"],
    ["an escape character", "jane\u001b@example.com"],
    ["RTL override (U+202E)", "jane\u202Emoc.elpmaxe@example.com"],
    ["RTL override in the domain", "jane@exa\u202Emple.com"],
    ["a zero-width space", "ja\u200bne@example.com"],
    ["a zero-width joiner", "ja\u200dne@example.com"],
    ["a lone high surrogate", "jane\ud800@example.com"],
    ["a lone low surrogate", "jane@exam\udc00ple.com"],
    ["leading dot in the local part", ".jane@example.com"],
    ["trailing dot in the local part", "jane.@example.com"],
    ["double dot in the local part", "ja..ne@example.com"],
    ["leading dot in the domain", "jane@.example.com"],
    ["double dot in the domain", "jane@example..com"],
    ["two trailing dots in the domain", "jane@example.com.."],
    ["a dotless domain", "jane@localhost"],
    ["a label starting with a hyphen", "jane@-example.com"],
    ["a label ending with a hyphen", "jane@example-.com"],
    ["a label longer than 63", `jane@${"x".repeat(64)}.com`],
    ["an underscore in the domain", "jane@ex_ample.com"],
    ["an IP literal", "jane@[127.0.0.1]"],
    ["angle brackets", "Jane <jane@example.com>"],
    ["a comma (two addresses)", "jane@example.com,bob@example.com"],
    ["a semicolon", "jane@example.com;bob@example.com"],
    ["parentheses (comment)", "jane(comment)@example.com"],
    ["a local part of 65 characters", `${"a".repeat(65)}@example.com`],
    ["a percent-encoded domain (would decode to example.com)", "jane@ex%61mple.com"],
    ["a bare IPv4 address as the domain", "jane@127.0.0.1"],
    ["a hex IPv4 address as the domain (would parse as 127.0.0.1)", "jane@0x7f.1"],
    ["an all-numeric top-level domain", "jane@example.123"],
    ["a port after the domain", "jane@example.com:25"],
    ["a slash in the domain", "jane@example.com/x"],
  ];
  for (const [name, input] of bad) {
    test(`rejects ${name}`, () => rejected(input));
  }

  test("rejects an address longer than 254 characters", () => {
    const domain = `${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(59)}.com`;
    const address = `${"a".repeat(255 - 1 - domain.length)}@${domain}`;
    assert.equal(address.length, 255);
    rejected(address);
  });

  test("rejects an address whose IDNA form is longer than 254 characters", () => {
    // Short as typed, long once each ü label becomes xn--…
    const label = "日本語漢字仮名文書電話番号住所氏名会社"; // 19 characters, 60 as punycode
    const domain = [label, label, label, label].join(".") + ".com";
    const address = `${"a".repeat(64)}@${domain}`;
    assert.ok(address.length <= 254, "short as typed");
    assert.ok(64 + 1 + domainToASCII(domain).length > 254, "long once encoded");
    rejected(address);
  });

  test("rejects absurdly long input without trying to parse it", () => {
    rejected(`${"a".repeat(100_000)}@example.com`);
  });

  test("rejects a non-string (from a JSON body) without throwing", () => {
    rejected(undefined as unknown as string);
    rejected(42 as unknown as string);
    rejected({} as unknown as string);
  });
});
