import { describeClient, formatDuration, formatTime, htmlDocument, type Mail } from "../message.tsx";

export interface ResetMail {
  readonly to: string;
  /** BASE_URL + /reset/<token> */
  readonly link: string;
  readonly expiresAt: number;
  readonly ttlSeconds: number;
  readonly at: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export function resetMail(m: ResetMail): Mail {
  const subject = "Reset your password";
  const expires = `${formatTime(m.expiresAt)} (${formatDuration(m.ttlSeconds)} after it was requested)`;
  const from = describeClient(m);
  const when = formatTime(m.at);
  const text = [
    `On ${when} someone asked to reset the password of the Latchkey account for this address, from ${from}.`,
    "",
    "To choose a new password, open this link:",
    m.link,
    "",
    `The link works once and expires on ${expires}. Asking again makes this link stop working.`,
    "",
    "If it wasn't you, ignore this email: your password stays as it is.",
  ].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>
        On {when} someone asked to reset the password of the Latchkey account for this address, from {from}.
      </p>
      <p>To choose a new password, open this link:</p>
      <p>
        <a href={m.link}>{m.link}</a>
      </p>
      <p>The link works once and expires on {expires}. Asking again makes this link stop working.</p>
      <p>If it wasn't you, ignore this email: your password stays as it is.</p>
    </>,
  );
  return { kind: "reset", to: m.to, subject, text, html };
}
