import { catalogue } from "../../i18n/index.ts";
import { describeClient, htmlDocument, Linked, type Addressed, type Mail } from "../message.tsx";

export interface PasswordChangedMail extends Addressed {
  readonly at: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** "reset" (through an emailed link) or "change" (from the profile page). */
  readonly how: "reset" | "change";
  readonly resetUrl: string;
}

export function passwordChangedMail(m: PasswordChangedMail): Mail {
  const t = catalogue(m.locale);
  const subject = t.passwordChangedSubject;
  const when = t.time(m.at);
  const from = describeClient(m, t);
  const what = m.how === "reset" ? t.passwordChangedByReset(when, from) : t.passwordChangedByChange(when, from);
  const signedOut = m.how === "reset" ? t.passwordChangedAllOut : t.passwordChangedOthersOut;
  const resetNow = t.mailResetNow(m.resetUrl);
  const text = [what, signedOut, "", t.mailIfYouDidNotAsk, resetNow].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>{what}</p>
      <p>{signedOut}</p>
      <p>{t.mailIfYouDidNotAsk}</p>
      <Linked line={resetNow} url={m.resetUrl} />
    </>,
    m.locale,
  );
  return { kind: "password_changed", to: m.to, subject, text, html };
}
