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
  // second factors: enrolment, sign-in, passkeys
  "An authenticator app is already set up. Turn it off first to set up another.":
    "Es ist bereits eine Authenticator-App eingerichtet. Schalten Sie sie zuerst aus, um eine andere einzurichten.",
  "The set-up has expired. Start again.": "Die Einrichtung ist abgelaufen. Beginnen Sie von vorn.",
  "That code is not right. Check the time on your device and try the newest code.":
    "Dieser Code stimmt nicht. Prüfen Sie die Uhrzeit auf Ihrem Gerät und versuchen Sie den neuesten Code.",
  "The set-up was already finished.": "Die Einrichtung wurde bereits abgeschlossen.",
  "Turn on two-step sign-in first.": "Schalten Sie zuerst die Zwei-Faktor-Authentifizierung ein.",
  "That code is not right.": "Dieser Code stimmt nicht.",
  "Passkeys are not available on this server.": "Passkeys sind auf diesem Server nicht verfügbar.",
  "This passkey is already registered.": "Dieser Passkey ist bereits registriert.",
  "This passkey did not verify you (PIN or biometrics); sign in with your password.":
    "Dieser Passkey hat Sie nicht überprüft (PIN oder Biometrie); melden Sie sich mit Ihrem Passwort an.",
  "This passkey's signature counter went backwards; it may have been copied. The sign-in was refused.":
    "Der Signaturzähler dieses Passkeys ist zurückgegangen; er wurde möglicherweise kopiert. Die Anmeldung wurde abgelehnt.",
  "This passkey request has expired or was already used. Try again.": "Diese Passkey-Anfrage ist abgelaufen oder wurde bereits verwendet. Versuchen Sie es erneut.",
  "The passkey could not be verified.": "Der Passkey konnte nicht überprüft werden.",
  // admin: what an action did (the page's flash), and its refusals
  "This is not a page cursor.": "Das ist keine gültige Seitenmarke.",
  "There is no failed mail with this id whose body is still kept.": "Es gibt keine fehlgeschlagene E-Mail mit dieser ID, deren Inhalt noch gespeichert ist.",
  "The mail is queued again.": "Die E-Mail ist wieder in der Warteschlange.",
  "by must be day or week.": "by muss day oder week sein.",
  "The account is disabled: every session ended, every link and code is dead.":
    "Das Konto ist gesperrt: Alle Sitzungen wurden beendet, alle Links und Codes sind ungültig.",
  "The account was already disabled.": "Das Konto war bereits gesperrt.",
  "The account is enabled: it can sign in again.": "Das Konto ist entsperrt: Es kann sich wieder anmelden.",
  "The account was already enabled.": "Das Konto war bereits entsperrt.",
  "The account and everything of it were deleted.": "Das Konto und alles, was dazugehört, wurden gelöscht.",
  "The address is already confirmed.": "Die Adresse ist bereits bestätigt.",
  "The account is disabled: enable it first.": "Das Konto ist gesperrt: Entsperren Sie es zuerst.",
  "The address was already confirmed.": "Die Adresse war bereits bestätigt.",
  "The address is confirmed.": "Die Adresse ist bestätigt.",
  "Every session of the account has ended.": "Alle Sitzungen des Kontos wurden beendet.",
  "Every second factor was removed.": "Alle zweiten Faktoren wurden entfernt.",
  "The account had no second factor.": "Das Konto hatte keinen zweiten Faktor.",
  "The account is now an admin.": "Das Konto ist jetzt Administrator.",
  "The account was already an admin.": "Das Konto war bereits Administrator.",
  "The account is no longer an admin.": "Das Konto ist kein Administrator mehr.",
  "The account was not an admin.": "Das Konto war kein Administrator.",
  "This is the last confirmed, enabled admin: make another account an admin first.":
    "Dies ist der letzte bestätigte, aktive Administrator: Machen Sie zuerst ein anderes Konto zum Administrator.",
  // web/http.ts formFields
  "Send this field once, as text.": "Senden Sie dieses Feld einmal, als Text.",
  "This is too long.": "Das ist zu lang.",
};

const PATTERNS_DE: readonly [RegExp, (n: string) => string][] = [
  [/^Use at least (\d+) characters\.$/, (n) => `Verwenden Sie mindestens ${n} Zeichen.`],
  [/^Use at most (\d+) characters\.$/, (n) => `Verwenden Sie höchstens ${n} Zeichen.`],
  // admin actions that name the address they mailed
  [/^A new confirmation email is on its way to (.+)\.$/, (email) => `Eine neue Bestätigungs-E-Mail ist unterwegs an ${email}.`],
  [/^A password reset link is on its way to (.+)\.$/, (email) => `Ein Link zum Zurücksetzen des Passworts ist unterwegs an ${email}.`],
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
