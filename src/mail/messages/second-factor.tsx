import { catalogue, type TextKey } from "../../i18n/index.ts";
import { describeClient, htmlDocument, Linked, type Addressed, type Mail } from "../message.tsx";

/** What happened to the account's second factors (SPEC §9: every change is mailed). */
export type SecondFactorNotice =
  | "totp_enabled"
  | "totp_disabled"
  | "recovery_codes_regenerated"
  | "recovery_code_used"
  | "passkey_added"
  | "passkey_removed"
  | "passkey_counter_regression"
  | "mfa_reset";

/** The catalogue keys of each notice's subject and first line. */
const WHAT: Record<SecondFactorNotice, { subject: TextKey; line: TextKey }> = {
  totp_enabled: { subject: "totpEnabledSubject", line: "totpEnabledLine" },
  totp_disabled: { subject: "totpDisabledSubject", line: "totpDisabledLine" },
  recovery_codes_regenerated: { subject: "recoveryCodesRegeneratedSubject", line: "recoveryCodesRegeneratedLine" },
  recovery_code_used: { subject: "recoveryCodeUsedSubject", line: "recoveryCodeUsedLine" },
  passkey_added: { subject: "passkeyAddedSubject", line: "passkeyAddedLine" },
  passkey_removed: { subject: "passkeyRemovedSubject", line: "passkeyRemovedLine" },
  passkey_counter_regression: { subject: "passkeyCounterRegressionSubject", line: "passkeyCounterRegressionLine" },
  mfa_reset: { subject: "mfaResetSubject", line: "mfaResetLine" },
};


export function secondFactorMail(m: Addressed & { notice: SecondFactorNotice; at: number; ip: string | null; userAgent: string | null; resetUrl: string }): Mail {
  const t = catalogue(m.locale);
  const subject = t[WHAT[m.notice].subject];
  const line = t[WHAT[m.notice].line];
  const when = t.secondFactorWhen(t.time(m.at), describeClient(m, t));
  const resetNow = t.mailResetNow(m.resetUrl);
  const body = [line, when, "", t.mailIfYouDidNotAsk, resetNow].join("\n");
  const html = htmlDocument(
    subject,
    <>
      <p>{line}</p>
      <p>{when}</p>
      <p>{t.mailIfYouDidNotAsk}</p>
      <Linked line={resetNow} url={m.resetUrl} />
    </>,
    m.locale,
  );
  return { kind: m.notice, to: m.to, subject, text: body, html };
}
