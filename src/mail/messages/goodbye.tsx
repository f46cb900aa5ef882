import { catalogue } from "../../i18n/index.ts";
import { htmlDocument, Linked, type Addressed, type Mail } from "../message.tsx";

export interface GoodbyeMail extends Addressed {
  readonly at: number;
  /** "self": from the profile page; "admin": by the site's operator. */
  readonly by: "self" | "admin";
  readonly registerUrl: string;
}

/** The last email to an address: its account and everything of it are gone. */
export function goodbyeMail(m: GoodbyeMail): Mail {
  const t = catalogue(m.locale);
  const subject = t.goodbyeSubject;
  const when = t.time(m.at);
  const what = m.by === "self" ? t.goodbyeBySelf(when) : t.goodbyeByAdmin(when);
  const again = t.goodbyeRegister(m.registerUrl);
  const text = [what, t.goodbyeGone, "", again].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>{what}</p>
      <p>{t.goodbyeGone}</p>
      <Linked line={again} url={m.registerUrl} />
    </>,
    m.locale,
  );
  return { kind: "goodbye", to: m.to, subject, text, html };
}
