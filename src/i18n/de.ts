import type { Catalogue } from "./en.ts";
import { flowMessageDe } from "./flow-messages.ts";
import { pluralOf, utcParts } from "./time.ts";

// Built once for the language, never per request.
const plural = new Intl.PluralRules("de");
const numbers = new Intl.NumberFormat("de");
const WEEKDAYS = ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"];
const MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"];
const count = (one: string, other: string) => (n: number) => `${numbers.format(n)} ${pluralOf(plural, { one, other }, n)}`;

/** German, formal register ("Sie"). Typed `Catalogue`: a missing key is a type error. */
export const de: Catalogue = {
  languageName: "Deutsch",
  flowMessage: flowMessageDe,

  time: (ms: number): string => {
    const d = utcParts(ms);
    return `${WEEKDAYS[d.weekday]}, ${d.day}. ${MONTHS[d.month]} ${d.year}, ${d.hhmm} UTC`;
  },
  number: (n: number): string => numbers.format(n),
  seconds: count("Sekunde", "Sekunden"),
  minutes: count("Minute", "Minuten"),
  hours: count("Stunde", "Stunden"),
  days: count("Tag", "Tage"),

  signedInAs: "Angemeldet als",
  navProfile: "Profil",
  navConfirmAddress: "Adresse bestätigen",
  navAdmin: "Verwaltung",
  signOut: "Abmelden",
  signIn: "Anmelden",
  createAccount: "Registrieren",
  footerLanguage: "Sprache",
  errorSummaryTitle: "Bitte prüfen Sie Ihre Eingaben",

  titleFormExpired: "Formular abgelaufen",
  formExpired: "Dieses Formular ist abgelaufen oder stammt nicht von dieser Website. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.",
  titleNotFound: "Nicht gefunden",
  notFoundText: "Unter dieser Adresse gibt es keine Seite.",
  titleCannotDoThat: "Nicht möglich",
  titleSlowDown: "Zu viele Versuche",
  titleError: "Fehler",
  tryAgainIn: "Sie können es erneut versuchen in",
  requestId: "Anfrage-ID:",
  addressUnreadable: "Die Adresse dieser Anfrage konnte nicht gelesen werden.",
  requestUnreadable: "Die Anfrage konnte nicht gelesen werden.",

  errInvalidInput: "Einige Felder müssen korrigiert werden.",
  errInvalidCredentials: "E-Mail-Adresse und Passwort passen zu keinem Konto.",
  errUnauthenticated: "Bitte melden Sie sich an.",
  errEmailUnconfirmed: "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse.",
  errForbidden: "Dazu sind Sie nicht berechtigt.",
  errTokenInvalid: "Dieser Link oder Code ist ungültig. Möglicherweise wurde er bereits verwendet.",
  errTokenExpired: "Dieser Link oder Code ist abgelaufen.",
  errRateLimited: "Zu viele Versuche. Bitte warten Sie einen Moment und versuchen Sie es dann erneut.",
  errPayloadTooLarge: "Diese Anfrage ist zu groß.",
  errNotFound: "Nicht gefunden.",
  errMfaRequired: "Geben Sie den Code aus Ihrer Authenticator-App oder einen Wiederherstellungscode ein, oder verwenden Sie einen Passkey.",
  errReauthRequired: "Bitte bestätigen Sie vor dieser Änderung, dass Sie es sind.",
  errAccountDisabled: "Dieses Konto wurde gesperrt. Wenden Sie sich an den Betreiber dieser Website.",
  errConflict: "Das ist im aktuellen Zustand des Kontos nicht möglich.",
  errUnavailable: "Wir sind gerade ausgelastet. Bitte versuchen Sie es gleich noch einmal.",
  errInternal: "Bei uns ist etwas schiefgelaufen.",

  countdownDone: "gleich – laden Sie die Seite neu",
  countdownFormat: "(noch %)",
  fieldEmail: "E-Mail-Adresse",
  fieldPassword: "Passwort",
  forgotPassword: "Passwort vergessen?",
  createAnAccount: "Konto anlegen",
  passwordHint: "Mindestens 8 Zeichen; vermeiden Sie gängige Passwörter.",
  fieldRepeatPassword: "Passwort wiederholen",
  alreadyHaveAccount: "Sie haben bereits ein Konto?",
  titleCheckInbox: "Sehen Sie in Ihr Postfach",
  unconfirmedSentBefore: "Wir haben eine Bestätigungs-E-Mail an",
  unconfirmedSentAfter: " gesendet. Öffnen Sie den Link darin (auf einem beliebigen Gerät) oder geben Sie den Bestätigungscode hier ein:",
  fieldConfirmationCode: "Bestätigungscode",
  codeHint: "8 Zeichen, etwa ABCD-EFGH",
  confirmButton: "Bestätigen",
  iveConfirmed: "Ich habe bestätigt – weiter",
  noEmail: "Keine E-Mail erhalten? Sehen Sie in Ihrem Spam-Ordner nach und",
  sendAgain: "senden Sie sie erneut",
  inWait: (wait: string) => `(noch ${wait})`,
  wrongAddress: "Falsche Adresse?",
  fieldCorrectEmail: "Richtige E-Mail-Adresse",
  fieldYourPassword: "Ihr Passwort",
  useThisAddress: "Diese Adresse verwenden",
  pressToConfirm: "Klicken Sie auf die Schaltfläche, um diese E-Mail-Adresse zu bestätigen.",
  titleConfirmed: "E-Mail-Adresse bestätigt",
  confirmedThanks: "Vielen Dank – Ihre E-Mail-Adresse ist bestätigt.",
  continueToProfile: "Weiter zu Ihrem Profil",
  titleLinkBroken: "Dieser Link funktioniert nicht",
  confirmLinkExpired: "Dieser Bestätigungslink ist abgelaufen.",
  confirmLinkInvalid: "Dieser Bestätigungslink ist ungültig. Möglicherweise wurde er bereits verwendet.",
  confirmLinkHelp:
    "Wenn Ihre Adresse bereits bestätigt ist, melden Sie sich einfach an. Andernfalls melden Sie sich an und fordern auf der Bestätigungsseite eine neue E-Mail an.",
  forgotIntro:
    "Geben Sie die Adresse ein, mit der Sie sich registriert haben. Wenn es dazu ein Konto gibt, senden wir einen Link, mit dem Sie ein neues Passwort festlegen können.",
  emailMeALink: "Link per E-Mail senden",
  forgotSent: (ttl: string) =>
    `Wenn es zu dieser Adresse ein Konto gibt, ist ein Link zum Zurücksetzen des Passworts unterwegs. Er ist ${ttl} lang gültig. Nichts angekommen? Sehen Sie in Ihrem Spam-Ordner nach, oder`,
  askAgain: "fordern Sie ihn erneut an",
  titleChooseNewPassword: "Neues Passwort festlegen",
  fieldNewPassword: "Neues Passwort",
  fieldRepeatNewPassword: "Neues Passwort wiederholen",
  setNewPassword: "Neues Passwort speichern",
  resetLinkExpired: "Dieser Link zum Zurücksetzen des Passworts ist abgelaufen.",
  resetLinkInvalid: "Dieser Link zum Zurücksetzen des Passworts ist ungültig. Möglicherweise wurde er bereits verwendet oder ein neuerer Link wurde gesendet.",
  askNewLink: "Neuen Link anfordern",

  titleProfile: "Ihr Profil",
  noticePasswordChanged: "Ihr Passwort wurde geändert. Alle anderen Geräte wurden abgemeldet.",
  noticeEmailChange: "Sehen Sie im Postfach der neuen Adresse nach: Die Änderung wird wirksam, sobald Sie den Link bestätigen, den wir dorthin gesendet haben.",
  changeRequestedTo: "Änderung beantragt auf",
  waitingForLink: "(wartet auf die Bestätigung des Links)",
  registered: "Registriert",
  confirmed: "Bestätigt",
  yourDevices: "Ihre angemeldeten Geräte",
  twoStepSignIn: "Anmeldung in zwei Schritten",
  passkeys: "Passkeys (Zugangsschlüssel)",
  changePassword: "Passwort ändern",
  fieldCurrentPassword: "Aktuelles Passwort",
  changeEmail: "E-Mail-Adresse ändern",
  fieldNewEmail: "Neue E-Mail-Adresse",
  sendConfirmationLink: "Bestätigungslink senden",
  yourData: "Ihre Daten",
  downloadData: "Ihre Daten herunterladen (JSON)",
  deleteAccount: "Konto löschen",
  deleteWarning: "Damit werden das Konto, seine Sitzungen und alles, was dazugehört, sofort gelöscht. Das kann nicht rückgängig gemacht werden.",
  fieldTypeEmailToConfirm: "Geben Sie zur Bestätigung Ihre E-Mail-Adresse ein",
  deleteMyAccount: "Mein Konto löschen",
  titleDevices: "Angemeldete Geräte",
  revokeExplained: "Hier können Sie jedes Gerät sofort abmelden.",
  colDevice: "Gerät",
  colIp: "IP-Adresse",
  colSignedIn: "Angemeldet",
  colLastSeen: "Zuletzt aktiv",
  thisDevice: " (dieses Gerät)",
  revoke: "Abmelden",

  titleWelcome: "Willkommen bei Latchkey",
  titleWelcomeBack: "Willkommen zurück",
  homeLead:
    "Latchkey ist der Kontodienst dieser Website: Sie registrieren sich mit Ihrer E-Mail-Adresse, bestätigen sie und melden sich an. Ihr Passwort wird nur als starker Hash gespeichert, und Sie sehen jedes angemeldete Gerät und können es abmelden.",
  notSignedIn: "Sie sind nicht angemeldet.",
  cardRegister: "Neu hier? Registrieren Sie sich mit Ihrer E-Mail-Adresse und einem Passwort; wir senden Ihnen einen Link zur Bestätigung.",
  cardSignIn: "Sie haben bereits ein Konto? Melden Sie sich mit E-Mail-Adresse und Passwort an.",
  cardForgot: "Wir senden Ihnen einen Link, mit dem Sie ein neues festlegen.",
  youAreSignedInAs: "Sie sind angemeldet als",
  cardProfile: "Ihre Adresse und seit wann Sie dabei sind; Passwort oder E-Mail-Adresse ändern.",
  cardDevices: "Jeder Browser, der bei Ihrem Konto angemeldet ist; melden Sie die ab, die Sie nicht kennen.",
  cardAdmin: "Registrierungen und Bestätigungen nach Tag und Woche, Konten und E-Mail-Zustellung.",
  notConfirmedYet: "Ihre Adresse ist noch nicht bestätigt.",
  confirmIt: "Bestätigen Sie sie",
  confirmItHow: "mit dem Link oder Code aus unserer E-Mail.",

  titleReauth: "Bestätigen Sie, dass Sie es sind",
  reauthIntro: "Für diese Änderung müssen Sie bestätigen, wer Sie sind.",
  confirmWithPassword: "Mit Passwort bestätigen",
  orACode: "Oder ein Code",
  codeFromApp: "Aus Ihrer Authenticator-App oder ein Wiederherstellungscode.",
  confirmWithCode: "Mit Code bestätigen",

  unknownAddress: "einer unbekannten Adresse",
  mailIfYouDidNotAsk: "Wenn Sie das waren, müssen Sie nichts weiter tun.",
  mailResetNow: (url: string) => `Wenn Sie das nicht waren, setzen Sie jetzt Ihr Passwort zurück: ${url}`,

  confirmSubject: "Bestätigen Sie Ihre E-Mail-Adresse",
  confirmWelcome: "Willkommen bei Latchkey!",
  confirmOpenLink: "Bestätigen Sie Ihre E-Mail-Adresse, indem Sie diesen Link öffnen und auf „Bestätigen“ klicken:",
  confirmOrCode: "Oder geben Sie diesen Bestätigungscode auf der Seite ein, auf der Sie sich registriert haben:",
  confirmExpires: (time: string, ttl: string) =>
    `Link und Bestätigungscode funktionieren nur einmal und laufen am ${time} ab (${ttl} nach dem Versand).`,
  confirmNotYou: "Wenn Sie sich nicht registriert haben, ignorieren Sie diese E-Mail: Ohne Bestätigung des Links geschieht nichts.",

  signupAttemptSubject: "Jemand wollte sich mit Ihrer E-Mail-Adresse registrieren",
  signupAttemptWhat: (when: string, from: string) =>
    `Am ${when} hat jemand von ${from} aus versucht, mit dieser E-Mail-Adresse ein neues Latchkey-Konto anzulegen.`,
  signupAttemptNothingChanged: "Sie haben bereits ein Konto, daher wurde nichts geändert.",
  signupAttemptSignIn: (url: string) => `Wenn Sie das waren, melden Sie sich an: ${url}`,
  signupAttemptReset: (url: string) => `Passwort vergessen? Setzen Sie es zurück: ${url}`,
  signupAttemptNotYou: "Wenn Sie das nicht waren, können Sie diese E-Mail ignorieren. Ihr Konto und Ihr Passwort sind unverändert.",

  resetSubject: "Setzen Sie Ihr Passwort zurück",
  resetWhat: (when: string, from: string) =>
    `Am ${when} hat jemand von ${from} aus angefordert, das Passwort des Latchkey-Kontos für diese Adresse zurückzusetzen.`,
  resetOpenLink: "Um ein neues Passwort festzulegen, öffnen Sie diesen Link:",
  resetExpires: (time: string, ttl: string) =>
    `Der Link funktioniert nur einmal und läuft am ${time} ab (${ttl} nach der Anforderung). Eine neue Anforderung macht diesen Link ungültig.`,
  resetNotYou: "Wenn Sie das nicht waren, ignorieren Sie diese E-Mail: Ihr Passwort bleibt unverändert.",

  passwordChangedSubject: "Ihr Passwort wurde geändert",
  passwordChangedByReset: (when: string, from: string) =>
    `Das Passwort Ihres Latchkey-Kontos wurde am ${when} von ${from} aus über einen an diese Adresse gesendeten Link zurückgesetzt.`,
  passwordChangedByChange: (when: string, from: string) =>
    `Das Passwort Ihres Latchkey-Kontos wurde am ${when} von ${from} aus auf Ihrer Profilseite geändert.`,
  passwordChangedAllOut: "Alle Geräte wurden abgemeldet.",
  passwordChangedOthersOut: "Alle anderen Geräte wurden abgemeldet.",

  emailChangeSubject: "Bestätigen Sie Ihre neue E-Mail-Adresse",
  emailChangeAsked: "Sie möchten diese Adresse für Ihr Latchkey-Konto verwenden.",
  emailChangeOpenLink: "Öffnen Sie diesen Link und klicken Sie auf „Bestätigen“, um die Änderung abzuschließen:",
  emailChangeExpires: (time: string, ttl: string) =>
    `Der Link funktioniert nur einmal und läuft am ${time} ab (${ttl} nach der Anforderung). Bis dahin behält Ihr Konto seine bisherige Adresse.`,
  emailChangeNotYou: "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ohne Bestätigung des Links ändert sich nichts.",

  emailChangeNoticeSubject: "Eine Änderung Ihrer E-Mail-Adresse wurde angefordert",
  emailChangeNoticeWhat: (when: string, from: string, newEmail: string) =>
    `Am ${when} hat jemand, der bei Ihrem Latchkey-Konto angemeldet ist, von ${from} aus angefordert, dessen Adresse in ${newEmail} zu ändern.`,
  emailChangeNoticeOnlyWhen: "Die Adresse ändert sich erst, wenn der an die neue Adresse gesendete Link bestätigt wird.",
  emailChangeNoticeNothingToDo: "Wenn Sie das waren, müssen Sie hier nichts tun.",
  emailChangeNoticeNotMe: (url: string) => `Das war ich nicht: Setzen Sie jetzt Ihr Passwort zurück (damit wird die Änderung auch abgebrochen): ${url}`,

  goodbyeSubject: "Ihr Konto wurde gelöscht",
  goodbyeBySelf: (when: string) => `Ihr Latchkey-Konto für diese Adresse wurde am ${when} auf Ihren Wunsch gelöscht.`,
  goodbyeByAdmin: (when: string) => `Ihr Latchkey-Konto für diese Adresse wurde am ${when} vom Betreiber dieser Website gelöscht.`,
  goodbyeGone: "Seine Sitzungen, Links und wartenden E-Mails sind gelöscht; eine Anmeldung ist nicht mehr möglich.",
  goodbyeRegister: (url: string) => `Sie können jederzeit ein neues Konto mit dieser Adresse anlegen: ${url}`,

  secondFactorWhen: (when: string, from: string) => `Wann: ${when}, von ${from}.`,
  totpEnabledSubject: "Die Anmeldung in zwei Schritten wurde aktiviert",
  totpEnabledLine: "Für Ihr Latchkey-Konto wurde die Anmeldung in zwei Schritten mit einer Authenticator-App aktiviert. Alle anderen Geräte wurden abgemeldet.",
  totpDisabledSubject: "Die Anmeldung in zwei Schritten wurde deaktiviert",
  totpDisabledLine: "Die Authenticator-App wurde von Ihrem Latchkey-Konto entfernt.",
  recoveryCodesRegeneratedSubject: "Neue Wiederherstellungscodes wurden erstellt",
  recoveryCodesRegeneratedLine: "Für Ihr Latchkey-Konto wurden neue Wiederherstellungscodes erstellt; die alten Codes funktionieren nicht mehr.",
  recoveryCodeUsedSubject: "Ein Wiederherstellungscode wurde verwendet",
  recoveryCodeUsedLine: "Bei einer Anmeldung in Ihrem Latchkey-Konto wurde ein Wiederherstellungscode verwendet. Er kann nicht erneut verwendet werden.",
  passkeyAddedSubject: "Ein Passkey wurde hinzugefügt",
  passkeyAddedLine: "Ihrem Latchkey-Konto wurde ein Passkey hinzugefügt.",
  passkeyRemovedSubject: "Ein Passkey wurde entfernt",
  passkeyRemovedLine: "Von Ihrem Latchkey-Konto wurde ein Passkey entfernt.",
  passkeyCounterRegressionSubject: "Eine Anmeldung mit Passkey wurde abgelehnt",
  passkeyCounterRegressionLine:
    "Eine Anmeldung mit einem Ihrer Passkeys wurde abgelehnt, weil sein Signaturzähler zurückgesprungen ist: Der Schlüssel wurde möglicherweise kopiert.",
  mfaResetSubject: "Ihre zweiten Faktoren wurden entfernt",
  mfaResetLine: "Ein Administrator hat alle zweiten Faktoren (Authenticator-App, Wiederherstellungscodes, Passkeys) von Ihrem Latchkey-Konto entfernt.",
};
