import { catalogue } from "../../i18n/index.ts";
import { describeClient, formatDuration, htmlDocument, type Addressed, type Mail } from "../message.tsx";

export interface ResetMail extends Addressed {
  /** BASE_URL + /reset/<token> */
  readonly link: string;
  readonly expiresAt: number;
  readonly ttlSeconds: number;
  readonly at: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export function resetMail(m: ResetMail): Mail {
  const t = catalogue(m.locale);
  const subject = t.resetSubject;
  const what = t.resetWhat(t.time(m.at), describeClient(m, t));
  const expires = t.resetExpires(t.time(m.expiresAt), formatDuration(m.ttlSeconds, t));
  const text = [what, "", t.resetOpenLink, m.link, "", expires, "", t.resetNotYou].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>{what}</p>
      <p>{t.resetOpenLink}</p>
      <p>
        <a href={m.link}>{m.link}</a>
      </p>
      <p>{expires}</p>
      <p>{t.resetNotYou}</p>
    </>,
    m.locale,
  );
  return { kind: "reset", to: m.to, subject, text, html };
}
