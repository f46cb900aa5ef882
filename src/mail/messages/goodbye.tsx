import { formatTime, htmlDocument, type Mail } from "../message.tsx";

export interface GoodbyeMail {
  readonly to: string;
  readonly at: number;
  /** "self": from the profile page; "admin": by the site's operator. */
  readonly by: "self" | "admin";
  readonly registerUrl: string;
}

/** The last email to an address: its account and everything of it are gone. */
export function goodbyeMail(m: GoodbyeMail): Mail {
  const subject = "Your account was deleted";
  const when = formatTime(m.at);
  const how = m.by === "self" ? "at your request" : "by the operator of this site";
  const text = [
    `Your Latchkey account for this address was deleted ${how} on ${when}.`,
    "Its sessions, links and queued emails are gone; nothing of it can be signed in to any more.",
    "",
    `You can create a new account with this address at any time: ${m.registerUrl}`,
  ].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>
        Your Latchkey account for this address was deleted {how} on {when}.
      </p>
      <p>Its sessions, links and queued emails are gone; nothing of it can be signed in to any more.</p>
      <p>
        You can <a href={m.registerUrl}>create a new account</a> with this address at any time: {m.registerUrl}
      </p>
    </>,
  );
  return { kind: "goodbye", to: m.to, subject, text, html };
}
