import { groupKey } from "../../accounts/second-factor/totp.ts";
import { CsrfField } from "./layout.tsx";

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
  return (
    <>
      <p>Scan this code with your authenticator app, or type the key into it. Then enter the 6-digit code the app shows.</p>
      <figure class="qr" dangerouslySetInnerHTML={{ __html: qrSvg }} />
      <p>
        Key: <code data-totp-key>{groupKey(secret)}</code>
      </p>
      <form method="post" action="/profile/2fa/totp" novalidate>
        <CsrfField token={csrf} />
        <CodeField label="Code from the app" error={error} />
        <button type="submit">Turn on two-step sign-in</button>
      </form>
    </>
  );
}

/** Recovery codes, shown once, with a plain-text download that needs no JavaScript. */
export function RecoveryCodesView({ codes }: { codes: readonly string[] }) {
  const text = `Latchkey recovery codes\nEach code works once.\n\n${codes.join("\n")}\n`;
  return (
    <>
      <p>
        Keep these recovery codes somewhere safe. Each one signs you in once if you lose your authenticator app. They are shown only now.
      </p>
      <ul class="recovery-codes">
        {codes.map((c) => (
          <li>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <p>
        <a download="latchkey-recovery-codes.txt" href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`}>
          Download as text
        </a>{" "}
        · <a href="/profile/2fa">Done</a>
      </p>
    </>
  );
}
