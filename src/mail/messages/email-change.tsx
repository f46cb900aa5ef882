import { describeClient, formatDuration, formatTime, htmlDocument, type Mail } from "../message.tsx";

export interface EmailChangeMail {
  readonly to: string;
  /** BASE_URL + /confirm/<token> */
  readonly link: string;
  readonly expiresAt: number;
  readonly ttlSeconds: number;
}

/** To the new address: the link that makes it the account's address. */
export function emailChangeMail(m: EmailChangeMail): Mail {
  const subject = "Confirm your new email address";
  const expires = `${formatTime(m.expiresAt)} (${formatDuration(m.ttlSeconds)} after it was requested)`;
  const text = [
    "You asked to use this address for your Latchkey account.",
    "Open this link and press Confirm to make the change:",
    m.link,
    "",
    `The link works once and expires on ${expires}. Until then, your account keeps its current address.`,
    "",
    "If you did not ask for this, ignore this email: nothing changes unless the link is confirmed.",
  ].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>You asked to use this address for your Latchkey account.</p>
      <p>Open this link and press Confirm to make the change:</p>
      <p>
        <a href={m.link}>{m.link}</a>
      </p>
      <p>The link works once and expires on {expires}. Until then, your account keeps its current address.</p>
      <p>If you did not ask for this, ignore this email: nothing changes unless the link is confirmed.</p>
    </>,
  );
  return { kind: "email_change", to: m.to, subject, text, html };
}

export interface EmailChangeNoticeMail {
  readonly to: string;
  readonly newEmail: string;
  readonly at: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly resetUrl: string;
}

/** To the old address: someone asked to move the account away from it. */
export function emailChangeNoticeMail(m: EmailChangeNoticeMail): Mail {
  const subject = "A change of your email address was requested";
  const when = formatTime(m.at);
  const from = describeClient(m);
  const text = [
    `On ${when}, from ${from}, someone signed in to your Latchkey account asked to change its address to ${m.newEmail}.`,
    "The address changes only when the link sent to the new address is confirmed.",
    "",
    "If this was you, there is nothing to do here.",
    `This wasn't me: reset your password now (this also cancels the change): ${m.resetUrl}`,
  ].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>
        On {when}, from {from}, someone signed in to your Latchkey account asked to change its address to{" "}
        <strong>{m.newEmail}</strong>.
      </p>
      <p>The address changes only when the link sent to the new address is confirmed.</p>
      <p>If this was you, there is nothing to do here.</p>
      <p>
        <a href={m.resetUrl}>This wasn't me: reset my password</a> (this also cancels the change): {m.resetUrl}
      </p>
    </>,
  );
  return { kind: "email_change_notice", to: m.to, subject, text, html };
}
