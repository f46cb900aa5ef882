import { describeClient, formatTime, htmlDocument, type Mail } from "../message.tsx";

export interface PasswordChangedMail {
  readonly to: string;
  readonly at: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** "reset" (through an emailed link) or "change" (from the profile page). */
  readonly how: "reset" | "change";
  readonly resetUrl: string;
}

export function passwordChangedMail(m: PasswordChangedMail): Mail {
  const subject = "Your password was changed";
  const when = formatTime(m.at);
  const from = describeClient(m);
  const what = m.how === "reset" ? "reset through a link sent to this address" : "changed from your profile page";
  const signedOut = m.how === "reset" ? "Every device was signed out." : "Every other device was signed out.";
  const text = [
    `The password of your Latchkey account was ${what} on ${when}, from ${from}.`,
    signedOut,
    "",
    "If this was you, there is nothing to do.",
    `If it wasn't you, reset your password now: ${m.resetUrl}`,
  ].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>
        The password of your Latchkey account was {what} on {when}, from {from}.
      </p>
      <p>{signedOut}</p>
      <p>If this was you, there is nothing to do.</p>
      <p>
        If it wasn't you, <a href={m.resetUrl}>reset your password now</a>: {m.resetUrl}
      </p>
    </>,
  );
  return { kind: "password_changed", to: m.to, subject, text, html };
}
