import type { ComponentChildren, VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { isAdmin, type Viewer } from "../../accounts/sessions.ts";
import { catalogue, LOCALES, type Catalogue, type Locale } from "../../i18n/index.ts";

/**
 * The catalogue of the page being rendered, for shared components deep in it (`useT`). Set by
 * `renderPage` around one synchronous renderToString, so one page's language never reaches
 * another's. Not preact's context: importing preact/hooks installs render hooks that every page
 * pays for (GET /profile 191 → 243 µs of event-loop CPU, side by side; decision 013).
 */
let pageCatalogue: Catalogue | undefined;

export function useT(): Catalogue {
  if (!pageCatalogue) throw new Error("useT() outside renderPage: a shared component was rendered without its page's language");
  return pageCatalogue;
}

/** A page's HTML, with `t` as the catalogue its components read through useT. */
export function renderPage(t: Catalogue, page: VNode): string {
  const outer = pageCatalogue;
  pageCatalogue = t;
  try {
    return renderToString(page);
  } finally {
    pageCatalogue = outer;
  }
}

export interface LayoutProps {
  readonly title: string;
  readonly viewer: Viewer | null;
  /** The CSRF token for the sign-out form in the header. */
  readonly csrf: string;
  readonly children: ComponentChildren;
  readonly scripts?: readonly string[];
  readonly locale: Locale;
  /** This page's path and query: where the language switch comes back to. */
  readonly path: string;
}

export function Layout({ title, viewer, csrf, children, scripts = [], locale, path }: LayoutProps) {
  const t = catalogue(locale);
  return (
    <html lang={locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Latchkey`}</title>
        <link rel="stylesheet" href="/static/app.css" />
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        {["/static/password-toggle.js", ...scripts].map((src) => (
          <script src={src} defer />
        ))}
      </head>
      <body data-show={t.showPassword} data-hide={t.hidePassword} data-show-label={t.showPasswordLabel} data-hide-label={t.hidePasswordLabel}>
        <header>
          <a href="/" class="brand">
            Latchkey
          </a>
          <nav>
            {viewer ? (
              <>
                <span class="who">
                  {t.signedInAs} <strong>{viewer.email}</strong>
                </span>
                {viewer.confirmed ? <a href="/profile">{t.navProfile}</a> : <a href="/unconfirmed">{t.navConfirmAddress}</a>}
                {isAdmin(viewer) ? <a href="/admin">{t.navAdmin}</a> : null}
                <form method="post" action="/logout" class="inline">
                  <CsrfField token={csrf} />
                  <button type="submit">{t.signOut}</button>
                </form>
              </>
            ) : (
              <>
                <a href="/login">{t.signIn}</a>
                <a href="/register">{t.createAccount}</a>
              </>
            )}
          </nav>
        </header>
        <main>
          <h1>{title}</h1>
          {children}
        </main>
        <footer>
          <LanguageSwitch locale={locale} path={path} csrf={csrf} label={t.footerLanguage} />
        </footer>
      </body>
    </html>
  );
}

/** One button per language, each naming itself in its own language; works without JavaScript. */
function LanguageSwitch({ locale, path, csrf, label }: { locale: Locale; path: string; csrf: string; label: string }) {
  if (!csrf) return null; // error pages without a CSRF token cannot post
  return (
    <form method="post" action="/locale" class="inline language-switch" aria-label={label}>
      <CsrfField token={csrf} />
      <input type="hidden" name="next" value={path} />
      {LOCALES.map((l) => (
        <button type="submit" name="locale" value={l} lang={l} aria-pressed={l === locale ? "true" : "false"}>
          {catalogue(l).languageName}
        </button>
      ))}
    </form>
  );
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

export interface FieldProps {
  readonly label: string;
  readonly name: string;
  /** Unique on the page; defaults to the name (set it when two forms share a field name). */
  readonly id?: string;
  readonly type?: string;
  readonly value?: string;
  readonly error?: string | undefined;
  readonly autocomplete?: string;
  readonly hint?: string;
}

/** A labelled input with its error message tied to it for screen readers. */
export function Field({ label, name, id = name, type = "text", value, error: english, autocomplete, hint }: FieldProps) {
  const error = english === undefined ? undefined : useT().flowMessage(english);
  const described = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <p class={error ? "field invalid" : "field"}>
      <label for={id}>{label}</label>
      <input
        id={id}
        name={name}
        type={type}
        value={value}
        autocomplete={autocomplete}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={described}
        required
      />
      {hint && !error ? (
        <small id={`${id}-hint`}>{hint}</small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} class="error">
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

/**
 * The GOV.UK error summary: at the top of a form, one link per invalid field (to its input),
 * besides the inline messages. Focused on load so keyboard and screen-reader users start there.
 * `ids` maps a field name to its input's id where they differ.
 */
export function ErrorSummary({ errors, ids = {} }: { errors: Readonly<Record<string, string | undefined>> | undefined; ids?: Readonly<Record<string, string>> }) {
  const entries = Object.entries(errors ?? {}).filter((e): e is [string, string] => typeof e[1] === "string");
  if (entries.length === 0) return null;
  const t = useT();
  return (
    <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex={-1} autofocus>
      <h2 id="error-summary-title">{t.errorSummaryTitle}</h2>
      <ul>
        {entries.map(([name, message]) => (
          <li>
            <a href={`#${ids[name] ?? name}`}>{t.flowMessage(message)}</a>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * A wide table on a narrow screen scrolls inside this box, not the page. Focusable and named,
 * so keyboard users can scroll it too.
 */
export function Scrolls({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabindex={0}>
      {children}
    </div>
  );
}
