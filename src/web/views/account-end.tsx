import { CsrfField, Field, useT } from "./layout.tsx";

/** The profile page's last section: take your data with you, or delete the account. */
export function AccountEnd({ csrf, error, email = "" }: { csrf: string; error?: string; email?: string }) {
  const t = useT();
  return (
    <>
      <h2>{t.yourData}</h2>
      <p>
        <a href="/profile/export" download>
          {t.downloadData}
        </a>
      </p>
      <h2>{t.deleteAccount}</h2>
      <form method="post" action="/profile/delete" novalidate>
        <CsrfField token={csrf} />
        <p>{t.deleteWarning}</p>
        <Field label={t.fieldTypeEmailToConfirm} name="email" type="email" value={email} error={error} autocomplete="off" />
        <button type="submit">{t.deleteMyAccount}</button>
      </form>
    </>
  );
}
