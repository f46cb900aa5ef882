import { catalogue } from "../../i18n/index.ts";
import { describeClient, htmlDocument, Linked, type Addressed, type Mail } from "../message.tsx";

export interface SignupAttemptMail extends Addressed {
  readonly at: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly loginUrl: string;
  readonly resetUrl: string;
}

/** Sent instead of a confirmation when someone signs up with an address that has an account. */
export function signupAttemptMail(m: SignupAttemptMail): Mail {
  const t = catalogue(m.locale);
  const subject = t.signupAttemptSubject;
  const what = t.signupAttemptWhat(t.time(m.at), describeClient(m, t));
  const signIn = t.signupAttemptSignIn(m.loginUrl);
  const reset = t.signupAttemptReset(m.resetUrl);
  const text = [what, t.signupAttemptNothingChanged, "", signIn, reset, "", t.signupAttemptNotYou].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>{what}</p>
      <p>{t.signupAttemptNothingChanged}</p>
      <Linked line={signIn} url={m.loginUrl} />
      <Linked line={reset} url={m.resetUrl} />
      <p>{t.signupAttemptNotYou}</p>
    </>,
    m.locale,
  );
  return { kind: "signup_attempt", to: m.to, subject, text, html };
}
