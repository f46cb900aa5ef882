import { describeClient, formatTime, htmlDocument, type Mail } from "../message.tsx";

export interface SignupAttemptMail {
  readonly to: string;
  readonly at: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly loginUrl: string;
  readonly resetUrl: string;
}

/** Sent instead of a confirmation when someone signs up with an address that has an account. */
export function signupAttemptMail(m: SignupAttemptMail): Mail {
  const subject = "Someone tried to sign up with your address";
  const from = describeClient(m);
  const when = formatTime(m.at);
  const text = [
    `On ${when} someone tried to create a new Latchkey account with this email address, from ${from}.`,
    "You already have an account, so nothing was changed.",
    "",
    `If it was you, sign in: ${m.loginUrl}`,
    `Forgot your password? Reset it: ${m.resetUrl}`,
    "",
    "If it wasn't you, you can ignore this email. Your account and password are unchanged.",
  ].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>
        On {when} someone tried to create a new Latchkey account with this email address, from {from}.
      </p>
      <p>You already have an account, so nothing was changed.</p>
      <p>
        If it was you, <a href={m.loginUrl}>sign in</a>. Forgot your password? <a href={m.resetUrl}>Reset it</a>.
      </p>
      <p>If it wasn't you, you can ignore this email. Your account and password are unchanged.</p>
    </>,
  );
  return { kind: "signup_attempt", to: m.to, subject, text, html };
}
