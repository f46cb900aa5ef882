/**
 * The flows (src/accounts) know nothing of languages: a field error or a refusal they word
 * themselves is English. The web layer shows them through `t.flowMessage`, which in German
 * looks the English text up here (exact texts, and the few with a number in them). A text not
 * listed stays English: test/i18n/catalogues.test.ts lists every flow message it knows of and
 * checks each has its German.
 */
export const FLOW_MESSAGES_DE: Readonly<Record<string, string>> = {
  // email-address.ts
  "Enter your email address.": "Geben Sie Ihre E-Mail-Adresse ein.",
  "That email address is too long.": "Diese E-Mail-Adresse ist zu lang.",
  "That email address contains invalid characters.": "Diese E-Mail-Adresse enthält ungültige Zeichen.",
  "An email address cannot contain spaces or control characters.": "Eine E-Mail-Adresse darf keine Leer- oder Steuerzeichen enthalten.",
  "An email address has exactly one @.": "Eine E-Mail-Adresse enthält genau ein @.",
  "The part before the @ is not valid.": "Der Teil vor dem @ ist ungültig.",
  "The part before the @ is too long.": "Der Teil vor dem @ ist zu lang.",
  "The part after the @ is not a valid domain.": "Der Teil nach dem @ ist keine gültige Domain.",
  // passwords.ts
  "Choose a password.": "Wählen Sie ein Passwort.",
  "The password contains invalid characters.": "Das Passwort enthält ungültige Zeichen.",
  "That password is too common; choose another.": "Dieses Passwort ist zu verbreitet; wählen Sie ein anderes.",
  "Do not use your email address as the password.": "Verwenden Sie nicht Ihre E-Mail-Adresse als Passwort.",
  "That password is too easy to guess here (the service's or your own name); choose another.":
    "Dieses Passwort ist hier zu leicht zu erraten (der Name des Dienstes oder Ihr eigener); wählen Sie ein anderes.",
  // registration, recovery, profile, address fix, lifecycle
  "The two passwords do not match.": "Die beiden Passwörter stimmen nicht überein.",
  "A confirmation email was sent less than a minute ago.": "Vor weniger als einer Minute wurde bereits eine Bestätigungs-E-Mail gesendet.",
  "That code is not valid. Check the latest email and try again.": "Dieser Code ist ungültig. Sehen Sie in der neuesten E-Mail nach und versuchen Sie es erneut.",
  "That is the address we already have.": "Diese Adresse ist bereits hinterlegt.",
  "That is not your current password.": "Das ist nicht Ihr aktuelles Passwort.",
  "Your password was just changed or reset elsewhere; sign in again.": "Ihr Passwort wurde gerade an anderer Stelle geändert oder zurückgesetzt; melden Sie sich erneut an.",
  "That is already your address.": "Das ist bereits Ihre Adresse.",
  "Type this account's email address to confirm.": "Geben Sie zur Bestätigung die E-Mail-Adresse dieses Kontos ein.",
  // web/http.ts formFields
  "Send this field once, as text.": "Senden Sie dieses Feld einmal, als Text.",
  "This is too long.": "Das ist zu lang.",
};

const PATTERNS_DE: readonly [RegExp, (n: string) => string][] = [
  [/^Use at least (\d+) characters\.$/, (n) => `Verwenden Sie mindestens ${n} Zeichen.`],
  [/^Use at most (\d+) characters\.$/, (n) => `Verwenden Sie höchstens ${n} Zeichen.`],
];

export function flowMessageDe(english: string): string {
  const exact = FLOW_MESSAGES_DE[english];
  if (exact !== undefined) return exact;
  for (const [pattern, german] of PATTERNS_DE) {
    const m = pattern.exec(english);
    if (m) return german(m[1]!);
  }
  return english;
}
