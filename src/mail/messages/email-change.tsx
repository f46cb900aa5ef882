import { catalogue } from "../../i18n/index.ts";
import { describeClient, formatDuration, htmlDocument, Linked, type Addressed, type Mail } from "../message.tsx";

export interface EmailChangeMail extends Addressed {
  /** BASE_URL + /confirm/<token> */
  readonly link: string;
  readonly expiresAt: number;
  readonly ttlSeconds: number;
}

/** To the new address: the link that makes it the account's address (in the account's language). */
export function emailChangeMail(m: EmailChangeMail): Mail {
  const t = catalogue(m.locale);
  const subject = t.emailChangeSubject;
  const expires = t.emailChangeExpires(t.time(m.expiresAt), formatDuration(m.ttlSeconds, t));
  const text = [t.emailChangeAsked, t.emailChangeOpenLink, m.link, "", expires, "", t.emailChangeNotYou].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>{t.emailChangeAsked}</p>
      <p>{t.emailChangeOpenLink}</p>
      <p>
        <a href={m.link}>{m.link}</a>
      </p>
      <p>{expires}</p>
      <p>{t.emailChangeNotYou}</p>
    </>,
    m.locale,
  );
  return { kind: "email_change", to: m.to, subject, text, html };
}

export interface EmailChangeNoticeMail extends Addressed {
  readonly newEmail: string;
  readonly at: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly resetUrl: string;
}

/** To the old address: someone asked to move the account away from it. */
export function emailChangeNoticeMail(m: EmailChangeNoticeMail): Mail {
  const t = catalogue(m.locale);
  const subject = t.emailChangeNoticeSubject;
  const what = t.emailChangeNoticeWhat(t.time(m.at), describeClient(m, t), m.newEmail);
  const notMe = t.emailChangeNoticeNotMe(m.resetUrl);
  const text = [what, t.emailChangeNoticeOnlyWhen, "", t.emailChangeNoticeNothingToDo, notMe].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>{what}</p>
      <p>{t.emailChangeNoticeOnlyWhen}</p>
      <p>{t.emailChangeNoticeNothingToDo}</p>
      <Linked line={notMe} url={m.resetUrl} />
    </>,
    m.locale,
  );
  return { kind: "email_change_notice", to: m.to, subject, text, html };
}
