import type { ComponentChildren } from "preact";
import { isAdmin, type Viewer } from "../../accounts/sessions.ts";

export interface LayoutProps {
  readonly title: string;
  readonly viewer: Viewer | null;
  /** The CSRF token for the sign-out form in the header. */
  readonly csrf: string;
  readonly children: ComponentChildren;
  readonly scripts?: readonly string[];
}

export function Layout({ title, viewer, csrf, children, scripts = [] }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Latchkey`}</title>
        <link rel="stylesheet" href="/static/app.css" />
        {scripts.map((src) => (
          <script src={src} defer />
        ))}
      </head>
      <body>
        <header>
          <a href="/" class="brand">
            Latchkey
          </a>
          <nav>
            {viewer ? (
              <>
                <span class="who">
                  Signed in as <strong>{viewer.email}</strong>
                </span>
                {viewer.confirmed ? <a href="/profile">Profile</a> : <a href="/unconfirmed">Confirm your address</a>}
                {isAdmin(viewer) ? <a href="/admin">Admin</a> : null}
                <form method="post" action="/logout" class="inline">
                  <CsrfField token={csrf} />
                  <button type="submit">Sign out</button>
                </form>
              </>
            ) : (
              <>
                <a href="/login">Sign in</a>
                <a href="/register">Create account</a>
              </>
            )}
          </nav>
        </header>
        <main>
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  );
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

export interface FieldProps {
  readonly label: string;
  readonly name: string;
  readonly type?: string;
  readonly value?: string;
  readonly error?: string | undefined;
  readonly autocomplete?: string;
  readonly hint?: string;
}

/** A labelled input with its error message tied to it for screen readers. */
export function Field({ label, name, type = "text", value, error, autocomplete, hint }: FieldProps) {
  const described = error ? `${name}-error` : hint ? `${name}-hint` : undefined;
  return (
    <p class={error ? "field invalid" : "field"}>
      <label for={name}>{label}</label>
      <input
        id={name}
        name={name}
        type={type}
        value={value}
        autocomplete={autocomplete}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={described}
        required
      />
      {hint && !error ? (
        <small id={`${name}-hint`}>{hint}</small>
      ) : null}
      {error ? (
        <small id={`${name}-error`} class="error">
          {error}
        </small>
      ) : null}
    </p>
  );
}

export function Alert({ kind = "error", children }: { kind?: "error" | "info"; children: ComponentChildren }) {
  return (
    <p class={`alert ${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </p>
  );
}
