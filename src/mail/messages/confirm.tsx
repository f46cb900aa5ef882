import { formatDuration, formatTime, htmlDocument, type Mail } from "../message.tsx";

export interface ConfirmationMail {
  readonly to: string;
  /** BASE_URL + /confirm/<token> */
  readonly link: string;
  readonly code: string;
  readonly expiresAt: number;
  readonly ttlSeconds: number;
}

/** Shown as ABCD-EFGH; either form is accepted back. */
export function displayCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

export function confirmationMail(m: ConfirmationMail): Mail {
  const subject = "Confirm your email address";
  const code = displayCode(m.code);
  const expires = `${formatTime(m.expiresAt)} (${formatDuration(m.ttlSeconds)} from when it was sent)`;
  const text = [
    "Welcome to Latchkey!",
    "",
    "Confirm your email address by opening this link and pressing Confirm:",
    m.link,
    "",
    `Or enter this code on the page where you signed up: ${code}`,
    "",
    `The link and the code work once and expire on ${expires}.`,
    "",
    "If you did not sign up, ignore this email: nothing happens unless the link is confirmed.",
  ].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>Welcome to Latchkey!</p>
      <p>Confirm your email address by opening this link and pressing Confirm:</p>
      <p>
        <a href={m.link}>{m.link}</a>
      </p>
      <p>
        Or enter this code on the page where you signed up: <strong style="font-size: 1.3em; letter-spacing: 0.1em">{code}</strong>
      </p>
      <p>The link and the code work once and expire on {expires}.</p>
      <p>If you did not sign up, ignore this email: nothing happens unless the link is confirmed.</p>
    </>,
  );
  return { kind: "confirm", to: m.to, subject, text, html };
}
