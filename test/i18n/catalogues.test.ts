import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { de } from "../../src/i18n/de.ts";
import { en } from "../../src/i18n/en.ts";
import { fromAcceptLanguage, resolveLocale } from "../../src/i18n/index.ts";
import { parseEmail } from "../../src/accounts/email-address.ts";
import { passwordProblem } from "../../src/accounts/passwords.ts";

/** Keys whose German is deliberately the same as the English (names, not words). */
const SAME_IN_GERMAN = new Set<string>([
  // Shows a flow's own message; sampled with a text that is no flow message, both return it as is.
  "flowMessage",
  // Words German uses as they are.
  "adminStatus",
  "devMailViewHtml",
  "devMailViewText",
]);

/** Sample arguments for a catalogue function, by parameter count and kind. */
function sample(fn: (...args: never[]) => string): string {
  const args = Array.from({ length: fn.length }, (_, i) => `ARG${i}`);
  // Plural and date functions take a number.
  try {
    const text = (fn as (...a: unknown[]) => string)(...args);
    if (!text.includes("NaN") && !text.includes("undefined")) return text;
  } catch {
    // falls through to numbers
  }
  return (fn as (...a: unknown[]) => string)(...args.map((_, i) => 12345.5 + i));
}

describe("the catalogues", () => {
  test("German has exactly the keys of English, each of the same kind and arity", () => {
    assert.deepEqual(Object.keys(de).sort(), Object.keys(en).sort());
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      assert.equal(typeof de[key], typeof en[key], `${key}: same kind`);
      if (typeof en[key] === "function") assert.equal((de[key] as () => string).length, (en[key] as () => string).length, `${key}: same parameters`);
    }
  });

  test("no German text equals its English one unless listed as deliberately the same", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      const english = en[key];
      const german = de[key];
      const [e, g] = typeof english === "string" ? [english, german as string] : [sample(english), sample(german as typeof english)];
      assert.ok(g.length > 0, `${key} has German text`);
      if (!SAME_IN_GERMAN.has(key)) assert.notEqual(g, e, `${key} is translated`);
      // Every parameter reaches the text in both languages.
      if (typeof english === "function" && e.includes("ARG")) {
        for (let i = 0; i < english.length; i++) assert.ok(g.includes(`ARG${i}`), `${key}: German uses parameter ${i}`);
      }
    }
  });

  test("German uses the formal register and the usual product words", () => {
    const all = Object.values(de).map((v) => (typeof v === "string" ? v : sample(v))).join("\n");
    assert.doesNotMatch(all, /\b(du|dich|dein|deine|deinen|dir)\b/i, "no informal 'du'");
    for (const word of ["E-Mail-Adresse", "Passwort", "Bestätigungscode", "Anmelden", "Registrieren"]) assert.ok(all.includes(word), word);
  });

  test("plurals follow the language's rules, numbers and dates its format", () => {
    assert.equal(en.minutes(1), "1 minute");
    assert.equal(en.minutes(2), "2 minutes");
    assert.equal(de.minutes(1), "1 Minute");
    assert.equal(de.days(2), "2 Tage");
    assert.equal(en.number(12345), "12,345");
    assert.equal(de.number(12345), "12.345");
    const at = Date.UTC(2026, 10, 24, 9, 5, 59);
    assert.equal(en.time(at), "Tuesday, 24 November 2026, 09:05 UTC");
    assert.equal(de.time(at), "Dienstag, 24. November 2026, 09:05 UTC");
    assert.equal(de.time(Date.UTC(2026, 2, 1)), "Sonntag, 1. März 2026, 00:00 UTC");
  });
});

test("the flows' own field messages have their German", () => {
  const emails = ["", "a".repeat(1100), "two@@example.com", "sp ace@example.com", `${"x".repeat(70)}@example.com`, "a@-bad-", "\ud800@example.com"];
  const passwords = ["", "short", "x".repeat(2000), "password123", "jane@example.com", "latchkey2026!", "\ud800abcdefgh"];
  const messages = new Set<string>(["The two passwords do not match.", "Send this field once, as text.", "This is too long."]);
  for (const e of emails) {
    const r = parseEmail(e);
    if (typeof r === "string") messages.add(r);
  }
  for (const p of passwords) {
    const r = passwordProblem(p, 8, "jane@example.com", "https://latchkey.example");
    if (r) messages.add(r);
  }
  // Messages the second-factor and admin flows word themselves (shown as a field error, a refusal or a flash).
  for (const m of [
    "The set-up has expired. Start again.",
    "That code is not right. Check the time on your device and try the newest code.",
    "This passkey request has expired or was already used. Try again.",
    "This is not a page cursor.",
    "The account is disabled: enable it first.",
    "The account is now an admin.",
    "This is the last confirmed, enabled admin: make another account an admin first.",
    "A new confirmation email is on its way to jane@example.com.",
    "A password reset link is on its way to jane@example.com.",
  ]) messages.add(m);
  assert.ok(messages.size >= 10, `enough different messages (${[...messages].join(" | ")})`);
  for (const m of messages) {
    assert.equal(en.flowMessage(m), m);
    assert.notEqual(de.flowMessage(m), m, `German for "${m}"`);
  }
});

describe("choosing the language", () => {
  test("Accept-Language: quality values honoured, regions fall back to the language", () => {
    const cases: [string | undefined, string | undefined][] = [
      ["de-DE,de;q=0.9", "de"],
      ["de-AT", "de"],
      ["de-CH,de;q=0.9,en;q=0.8", "de"],
      ["en;q=0.5, de;q=0.8", "de"],
      ["fr-FR, de;q=0.3, en;q=0.7", "en"],
      ["de;q=0, en;q=0.1", "en"],
      ["de;q=0", undefined],
      ["fr", undefined],
      ["*", undefined],
      ["", undefined],
      [undefined, undefined],
      [";;;,,q=,de;q=abc", "de"],
      ["EN-gb", "en"],
    ];
    for (const [header, expected] of cases) assert.equal(fromAcceptLanguage(header), expected, JSON.stringify(header));
  });

  test("stored locale, then the lang cookie, then Accept-Language, then the default", () => {
    assert.equal(resolveLocale("de", "en", "en", "en"), "de");
    assert.equal(resolveLocale(null, "de", "en", "en"), "de");
    assert.equal(resolveLocale(null, "xx", "de", "en"), "de", "an unknown cookie is ignored");
    assert.equal(resolveLocale(null, undefined, "fr", "en"), "en");
    assert.equal(resolveLocale(null, undefined, undefined, "de"), "de");
  });
});
