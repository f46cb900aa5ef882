import { describeClient, formatTime, htmlDocument, type Mail } from "../message.tsx";

/** What happened to the account's second factors (SPEC §9: every change is mailed). */
export type SecondFactorNotice =
  | "totp_enabled"
  | "totp_disabled"
  | "recovery_codes_regenerated"
  | "recovery_code_used"
  | "passkey_added"
  | "passkey_removed"
  | "passkey_counter_regression"
  | "mfa_reset";

const WHAT: Record<SecondFactorNotice, { subject: string; line: string }> = {
  totp_enabled: {
    subject: "Two-step sign-in was turned on",
    line: "Two-step sign-in with an authenticator app was turned on for your Latchkey account. Every other device was signed out.",
  },
  totp_disabled: { subject: "Two-step sign-in was turned off", line: "The authenticator app was removed from your Latchkey account." },
  recovery_codes_regenerated: {
    subject: "New recovery codes were made",
    line: "A new set of recovery codes was made for your Latchkey account; the old codes no longer work.",
  },
  recovery_code_used: { subject: "A recovery code was used", line: "A recovery code was used to sign in to your Latchkey account. It cannot be used again." },
  passkey_added: { subject: "A passkey was added", line: "A passkey was added to your Latchkey account." },
  passkey_removed: { subject: "A passkey was removed", line: "A passkey was removed from your Latchkey account." },
  passkey_counter_regression: {
    subject: "A passkey sign-in was refused",
    line: "A sign-in with one of your passkeys was refused because its signature counter went backwards: the key may have been copied.",
  },
  mfa_reset: {
    subject: "Your second factors were removed",
    line: "An administrator removed every second factor (authenticator app, recovery codes, passkeys) from your Latchkey account.",
  },
};

export function secondFactorMail(m: { to: string; notice: SecondFactorNotice; at: number; ip: string | null; userAgent: string | null; resetUrl: string }): Mail {
  const { subject, line } = WHAT[m.notice];
  const when = formatTime(m.at);
  const from = describeClient(m);
  const text = [line, `When: ${when}, from ${from}.`, "", "If this was you, there is nothing to do.", `If it wasn't you, reset your password now: ${m.resetUrl}`].join(
    "\n",
  );
  const html = htmlDocument(
    subject,
    <>
      <p>{line}</p>
      <p>
        When: {when}, from {from}.
      </p>
      <p>If this was you, there is nothing to do.</p>
      <p>
        If it wasn't you, <a href={m.resetUrl}>reset your password now</a>: {m.resetUrl}
      </p>
    </>,
  );
  return { kind: m.notice, to: m.to, subject, text, html };
}
