import { groupKey } from "../../accounts/second-factor/totp.ts";
import { CsrfField, useT } from "./layout.tsx";

/** A code input: TOTP digits or a recovery code (letters), so no numeric keyboard and no autocapitalise. */
export function CodeField({ label, error, hint }: { label: string; error?: string | undefined; hint?: string }) {
  return (
    <p class={error ? "field invalid" : "field"}>
      <label for="code">{label}</label>
      <input
        id="code"
        name="code"
        type="text"
        autocomplete="one-time-code"
        autocapitalize="none"
        spellcheck={false}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? "code-error" : hint ? "code-hint" : undefined}
        required
      />
      {hint && !error ? <small id="code-hint">{hint}</small> : null}
      {error ? (
        <small id="code-error" class="error">
          {error}
        </small>
      ) : null}
    </p>
  );
}

/** The QR code (inline SVG, made server-side) and the key as text, for apps that cannot scan. */
export function TotpSetupView({ csrf, secret, qrSvg, error }: { csrf: string; secret: string; qrSvg: string; error?: string | undefined }) {
  const t = useT();
  return (
    <>
      <p>{t.totpScanIntro}</p>
      <figure class="qr" role="img" aria-label={t.totpQrLabel} dangerouslySetInnerHTML={{ __html: qrSvg }} />
      <p>
        {t.totpKey} <code data-totp-key>{groupKey(secret)}</code>
      </p>
      <form method="post" action="/profile/2fa/totp" novalidate>
        <CsrfField token={csrf} />
        <CodeField label={t.codeFromTheApp} error={error === undefined ? undefined : t.flowMessage(error)} />
        <button type="submit">{t.turnOnTwoStep}</button>
      </form>
    </>
  );
}

/** Recovery codes, shown once, with a plain-text download that needs no JavaScript. */
export function RecoveryCodesView({ codes }: { codes: readonly string[] }) {
  const t = useT();
  const text = `${t.recoveryCodesFileHeading}\n\n${codes.join("\n")}\n`;
  return (
    <>
      <p>{t.recoveryCodesKeep}</p>
      <ul class="recovery-codes">
        {codes.map((c) => (
          <li>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <p>
        <a download={t.recoveryCodesFileName} href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`}>
          {t.downloadAsText}
        </a>{" "}
        · <a href="/profile/2fa">{t.done}</a>
      </p>
    </>
  );
}
