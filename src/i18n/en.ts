import { pluralOf, utcParts } from "./time.ts";

// Built once for the language, never per request.
const plural = new Intl.PluralRules("en");
const numbers = new Intl.NumberFormat("en");
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const count = (one: string, other: string) => (n: number) => `${numbers.format(n)} ${pluralOf(plural, { one, other }, n)}`;

/**
 * English: the reference catalogue. Every other language is typed `Catalogue` (this object's
 * type), so a missing key or a parameter of the wrong kind is a type error (SPEC §8).
 */
export const en = {
  languageName: "English",
  /** A message a flow worded itself (src/i18n/flow-messages.ts): English as it is. */
  flowMessage: (english: string): string => english,

  // ---- dates, numbers, durations -------------------------------------------------------
  /** "Monday, 30 November 2026, 09:15 UTC": unambiguous whatever the reader's zone. */
  time: (ms: number): string => {
    const d = utcParts(ms);
    return `${WEEKDAYS[d.weekday]}, ${d.day} ${MONTHS[d.month]} ${d.year}, ${d.hhmm} UTC`;
  },
  number: (n: number): string => numbers.format(n),
  seconds: count("second", "seconds"),
  minutes: count("minute", "minutes"),
  hours: count("hour", "hours"),
  days: count("day", "days"),

  // ---- layout -----------------------------------------------------------------------------
  signedInAs: "Signed in as",
  navProfile: "Profile",
  navConfirmAddress: "Confirm your address",
  navAdmin: "Admin",
  signOut: "Sign out",
  signIn: "Sign in",
  createAccount: "Create account",
  footerLanguage: "Language",
  errorSummaryTitle: "There is a problem",

  // ---- error pages ------------------------------------------------------------------------
  titleFormExpired: "Form expired",
  formExpired: "This form has expired or did not come from this site. Go back, reload the page and try again.",
  titleNotFound: "Not found",
  notFoundText: "There is no page at this address.",
  titleCannotDoThat: "Cannot do that",
  titleSlowDown: "Slow down",
  titleError: "Error",
  tryAgainIn: "You can try again in",
  requestId: "Request id:",
  addressUnreadable: "The address of this request could not be read.",
  requestUnreadable: "The request could not be read.",

  // ---- the error catalogue's messages (src/accounts/errors.ts) ---------------------------
  errInvalidInput: "Some fields need attention.",
  errInvalidCredentials: "That email and password do not match an account.",
  errUnauthenticated: "Please sign in.",
  errEmailUnconfirmed: "Please confirm your email address first.",
  errForbidden: "You cannot do that.",
  errTokenInvalid: "This link or code is not valid. It may have been used already.",
  errTokenExpired: "This link or code has expired.",
  errRateLimited: "Too many attempts. Please wait and try again.",
  errPayloadTooLarge: "That request is too large.",
  errNotFound: "Not found.",
  errMfaRequired: "Enter the code from your authenticator app, a recovery code, or use a passkey.",
  errReauthRequired: "Please confirm it is you before this change.",
  errAccountDisabled: "This account has been disabled. Contact the operator of this site.",
  errConflict: "That cannot be done in the account's current state.",
  errUnavailable: "We are busy right now. Please try again in a moment.",
  errInternal: "Something went wrong on our side.",

  // ---- sign-up, sign-in, confirmation, recovery pages -----------------------------------
  countdownDone: "a moment — reload the page",
  countdownFormat: "(in %)",
  fieldEmail: "Email",
  fieldPassword: "Password",
  forgotPassword: "Forgot your password?",
  createAnAccount: "Create an account",
  passwordHint: "At least 8 characters; avoid common passwords.",
  fieldRepeatPassword: "Repeat the password",
  alreadyHaveAccount: "Already have an account?",
  titleCheckInbox: "Check your inbox",
  unconfirmedSentBefore: "We sent a confirmation email to",
  unconfirmedSentAfter: ". Open the link in it (on any device), or type the code from it here:",
  fieldConfirmationCode: "Confirmation code",
  codeHint: "8 characters, like ABCD-EFGH",
  confirmButton: "Confirm",
  iveConfirmed: "I've confirmed — continue",
  noEmail: "No email? Check your spam folder, then",
  sendAgain: "send it again",
  inWait: (wait: string) => `(in ${wait})`,
  wrongAddress: "Wrong address?",
  fieldCorrectEmail: "Correct email address",
  fieldYourPassword: "Your password",
  useThisAddress: "Use this address",
  pressToConfirm: "Press the button to confirm this email address.",
  titleConfirmed: "Email address confirmed",
  confirmedThanks: "Thank you — your email address is confirmed.",
  continueToProfile: "Continue to your profile",
  titleLinkBroken: "This link does not work",
  confirmLinkExpired: "This confirmation link has expired.",
  confirmLinkInvalid: "This confirmation link is not valid. It may have been used already.",
  confirmLinkHelp: "If your address is already confirmed, just sign in. Otherwise sign in and ask for a new email from the confirmation page.",
  forgotIntro: "Enter the address you signed up with. If it has an account, we will email it a link to choose a new password.",
  emailMeALink: "Email me a link",
  forgotSent: (ttl: string) =>
    `If that address has an account, a link to reset its password is on its way. It works for ${ttl}. Nothing arrived? Check your spam folder, or`,
  askAgain: "ask again",
  titleChooseNewPassword: "Choose a new password",
  fieldNewPassword: "New password",
  fieldRepeatNewPassword: "Repeat the new password",
  setNewPassword: "Set the new password",
  resetLinkExpired: "This password reset link has expired.",
  resetLinkInvalid: "This password reset link is not valid. It may have been used already, or a newer one was sent.",
  askNewLink: "Ask for a new link",

  // ---- profile and signed-in devices --------------------------------------------------------
  titleProfile: "Your profile",
  noticePasswordChanged: "Your password was changed. Every other device was signed out.",
  noticeEmailChange: "Check the inbox of the new address: the change takes effect when you confirm the link we sent there.",
  changeRequestedTo: "Change requested to",
  waitingForLink: "(waiting for its confirmation link)",
  registered: "Registered",
  confirmed: "Confirmed",
  yourDevices: "Your signed-in devices",
  twoStepSignIn: "Two-step sign-in",
  passkeys: "Passkeys",
  changePassword: "Change password",
  fieldCurrentPassword: "Current password",
  changeEmail: "Change email address",
  fieldNewEmail: "New email address",
  sendConfirmationLink: "Send a confirmation link",
  yourData: "Your data",
  downloadData: "Download your data (JSON)",
  deleteAccount: "Delete your account",
  deleteWarning: "This deletes the account, its sessions and everything of it at once. It cannot be undone.",
  fieldTypeEmailToConfirm: "Type your email address to confirm",
  deleteMyAccount: "Delete my account",
  titleDevices: "Signed-in devices",
  revokeExplained: "Revoking a device signs it out at once.",
  colDevice: "Device",
  colIp: "IP address",
  colSignedIn: "Signed in",
  colLastSeen: "Last seen",
  thisDevice: " (this device)",
  revoke: "Revoke",

  // ---- home -------------------------------------------------------------------------------
  titleWelcome: "Welcome to Latchkey",
  titleWelcomeBack: "Welcome back",
  homeLead:
    "Latchkey is this site's account service: you sign up with your email address, confirm it, and sign in. Your password is stored only as a strong hash, and you can see and end every signed-in device.",
  notSignedIn: "You are not signed in.",
  cardRegister: "New here? Sign up with your email address and a password; we email you a link to confirm it.",
  cardSignIn: "Already have an account? Sign in with your email address and password.",
  cardForgot: "We email you a link to choose a new one.",
  youAreSignedInAs: "You are signed in as",
  cardProfile: "Your address and when you joined; change your password or email address.",
  cardDevices: "Every browser signed in to your account; sign out the ones you do not recognise.",
  cardAdmin: "Sign-ups and confirmations by day and week, accounts, and email delivery.",
  notConfirmedYet: "Your address is not confirmed yet.",
  confirmIt: "Confirm it",
  confirmItHow: "with the link or code we emailed you.",

  // ---- re-authentication ------------------------------------------------------------------
  titleReauth: "Confirm it is you",
  reauthIntro: "This change needs you to confirm who you are.",
  confirmWithPassword: "Confirm with password",
  orACode: "Or a code",
  codeFromApp: "From your authenticator app, or a recovery code.",
  confirmWithCode: "Confirm with code",

  // ---- emails -----------------------------------------------------------------------------
  unknownAddress: "an unknown address",
  mailIfYouDidNotAsk: "If this was you, there is nothing to do.",
  mailResetNow: (url: string) => `If it wasn't you, reset your password now: ${url}`,

  confirmSubject: "Confirm your email address",
  confirmWelcome: "Welcome to Latchkey!",
  confirmOpenLink: "Confirm your email address by opening this link and pressing Confirm:",
  confirmOrCode: "Or enter this code on the page where you signed up:",
  confirmExpires: (time: string, ttl: string) => `The link and the code work once and expire on ${time} (${ttl} from when it was sent).`,
  confirmNotYou: "If you did not sign up, ignore this email: nothing happens unless the link is confirmed.",

  signupAttemptSubject: "Someone tried to sign up with your address",
  signupAttemptWhat: (when: string, from: string) => `On ${when} someone tried to create a new Latchkey account with this email address, from ${from}.`,
  signupAttemptNothingChanged: "You already have an account, so nothing was changed.",
  signupAttemptSignIn: (url: string) => `If it was you, sign in: ${url}`,
  signupAttemptReset: (url: string) => `Forgot your password? Reset it: ${url}`,
  signupAttemptNotYou: "If it wasn't you, you can ignore this email. Your account and password are unchanged.",

  resetSubject: "Reset your password",
  resetWhat: (when: string, from: string) => `On ${when} someone asked to reset the password of the Latchkey account for this address, from ${from}.`,
  resetOpenLink: "To choose a new password, open this link:",
  resetExpires: (time: string, ttl: string) =>
    `The link works once and expires on ${time} (${ttl} after it was requested). Asking again makes this link stop working.`,
  resetNotYou: "If it wasn't you, ignore this email: your password stays as it is.",

  passwordChangedSubject: "Your password was changed",
  passwordChangedByReset: (when: string, from: string) =>
    `The password of your Latchkey account was reset through a link sent to this address on ${when}, from ${from}.`,
  passwordChangedByChange: (when: string, from: string) => `The password of your Latchkey account was changed from your profile page on ${when}, from ${from}.`,
  passwordChangedAllOut: "Every device was signed out.",
  passwordChangedOthersOut: "Every other device was signed out.",

  emailChangeSubject: "Confirm your new email address",
  emailChangeAsked: "You asked to use this address for your Latchkey account.",
  emailChangeOpenLink: "Open this link and press Confirm to make the change:",
  emailChangeExpires: (time: string, ttl: string) =>
    `The link works once and expires on ${time} (${ttl} after it was requested). Until then, your account keeps its current address.`,
  emailChangeNotYou: "If you did not ask for this, ignore this email: nothing changes unless the link is confirmed.",

  emailChangeNoticeSubject: "A change of your email address was requested",
  emailChangeNoticeWhat: (when: string, from: string, newEmail: string) =>
    `On ${when}, from ${from}, someone signed in to your Latchkey account asked to change its address to ${newEmail}.`,
  emailChangeNoticeOnlyWhen: "The address changes only when the link sent to the new address is confirmed.",
  emailChangeNoticeNothingToDo: "If this was you, there is nothing to do here.",
  emailChangeNoticeNotMe: (url: string) => `This wasn't me: reset your password now (this also cancels the change): ${url}`,

  goodbyeSubject: "Your account was deleted",
  goodbyeBySelf: (when: string) => `Your Latchkey account for this address was deleted at your request on ${when}.`,
  goodbyeByAdmin: (when: string) => `Your Latchkey account for this address was deleted by the operator of this site on ${when}.`,
  goodbyeGone: "Its sessions, links and queued emails are gone; nothing of it can be signed in to any more.",
  goodbyeRegister: (url: string) => `You can create a new account with this address at any time: ${url}`,

  secondFactorWhen: (when: string, from: string) => `When: ${when}, from ${from}.`,
  totpEnabledSubject: "Two-step sign-in was turned on",
  totpEnabledLine: "Two-step sign-in with an authenticator app was turned on for your Latchkey account. Every other device was signed out.",
  totpDisabledSubject: "Two-step sign-in was turned off",
  totpDisabledLine: "The authenticator app was removed from your Latchkey account.",
  recoveryCodesRegeneratedSubject: "New recovery codes were made",
  recoveryCodesRegeneratedLine: "A new set of recovery codes was made for your Latchkey account; the old codes no longer work.",
  recoveryCodeUsedSubject: "A recovery code was used",
  recoveryCodeUsedLine: "A recovery code was used to sign in to your Latchkey account. It cannot be used again.",
  passkeyAddedSubject: "A passkey was added",
  passkeyAddedLine: "A passkey was added to your Latchkey account.",
  passkeyRemovedSubject: "A passkey was removed",
  passkeyRemovedLine: "A passkey was removed from your Latchkey account.",
  passkeyCounterRegressionSubject: "A passkey sign-in was refused",
  passkeyCounterRegressionLine:
    "A sign-in with one of your passkeys was refused because its signature counter went backwards: the key may have been copied.",
  mfaResetSubject: "Your second factors were removed",
  mfaResetLine: "An administrator removed every second factor (authenticator app, recovery codes, passkeys) from your Latchkey account.",

  // admin: webhooks
  webhooksTitle: "Webhooks",
  webhooksIntro:
    "Latchkey POSTs each account event, signed as Standard Webhooks specify, to every endpoint subscribed to it, and retries a failed delivery for about 28 hours.",
  webhooksEndpoints: "Endpoints",
  webhooksNoEndpoints: "No endpoints yet: no event is sent anywhere.",
  webhooksColUrl: "Endpoint URL",
  webhooksColEvents: "Events",
  webhooksColAdded: "Added",
  webhooksAllEvents: "All events",
  webhooksDelete: "Delete",
  webhooksDeleteLabel: (url: string) => `Delete the endpoint ${url}`,
  webhooksAdd: "Add an endpoint",
  webhooksFieldUrl: "Endpoint URL",
  webhooksUrlHint: "Where the receiver listens, starting with https://. Loopback, private and link-local addresses are refused unless WEBHOOK_ALLOW_PRIVATE=on.",
  webhooksFieldEvents: "Events to send",
  webhooksEventsHint: "None checked: every event, including any added later.",
  webhooksAddButton: "Add the endpoint",
  webhooksSecretTitle: "Copy the signing secret now",
  webhooksSecretText: (url: string) =>
    `The endpoint ${url} was added. Its signing secret is shown only this once: give it to the receiver, which verifies each delivery's signature with it.`,
  webhooksSecretLabel: "Signing secret",
  webhooksRemoved: "The endpoint was deleted, with its deliveries not yet made.",
  webhooksDeliveries: "Recent deliveries",
  webhooksDeliveriesShown: (n: number) => `The latest ${n}, newest first. The event's body is never shown here.`,
  webhooksNoDeliveries: "No deliveries yet.",
  webhooksColQueued: "Queued",
  webhooksColEvent: "Event",
  webhooksColWebhookId: "Webhook id",
  webhooksColEndpoint: "Endpoint",
  webhooksColStatus: "Status",
  webhooksColAttempts: "Attempts",
  webhooksColLastError: "Last error",
  webhooksColWhen: "Sent, or next attempt",
  webhooksStatusPending: "pending",
  webhooksStatusSent: "delivered",
  webhooksStatusFailed: "given up",
  webhooksEndpointRemoved: "(endpoint deleted)",
  webhooksUrlInvalid: "Enter the receiver's URL, starting with https:// or http://, without a user name or password.",
  webhooksUrlPrivate: (host: string) => `${host} is a loopback, private or link-local address: refused unless WEBHOOK_ALLOW_PRIVATE=on.`,
  webhooksUrlUnresolvable: (host: string) => `${host} does not resolve to an address.`,
  webhooksEventsUnknown: (names: string) => `Unknown event type: ${names}. Choose from the list.`,
};

export type Catalogue = typeof en;
