import { catalogue } from "../../i18n/index.ts";
import { formatDuration, htmlDocument, type Addressed, type Mail } from "../message.tsx";

export interface ConfirmationMail extends Addressed {
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
  const t = catalogue(m.locale);
  const subject = t.confirmSubject;
  const code = displayCode(m.code);
  const expires = t.confirmExpires(t.time(m.expiresAt), formatDuration(m.ttlSeconds, t));
  const text = [t.confirmWelcome, "", t.confirmOpenLink, m.link, "", `${t.confirmOrCode} ${code}`, "", expires, "", t.confirmNotYou].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>{t.confirmWelcome}</p>
      <p>{t.confirmOpenLink}</p>
      <p>
        <a href={m.link}>{m.link}</a>
      </p>
      <p>
        {t.confirmOrCode} <strong style="font-size: 1.3em; letter-spacing: 0.1em">{code}</strong>
      </p>
      <p>{expires}</p>
      <p>{t.confirmNotYou}</p>
    </>,
    m.locale,
  );
  return { kind: "confirm", to: m.to, subject, text, html };
}
