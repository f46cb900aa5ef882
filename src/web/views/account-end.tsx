import { CsrfField, Field } from "./layout.tsx";

/** The profile page's last section: take your data with you, or delete the account. */
export function AccountEnd({ csrf, error, email = "" }: { csrf: string; error?: string; email?: string }) {
  return (
    <>
      <h2>Your data</h2>
      <p>
        <a href="/profile/export" download>
          Download your data (JSON)
        </a>
      </p>
      <h2>Delete your account</h2>
      <form method="post" action="/profile/delete" novalidate>
        <CsrfField token={csrf} />
        <p>This deletes the account, its sessions and everything of it at once. It cannot be undone.</p>
        <Field label="Type your email address to confirm" name="email" type="email" value={email} error={error} autocomplete="off" />
        <button type="submit">Delete my account</button>
      </form>
    </>
  );
}
