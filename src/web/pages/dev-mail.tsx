import type { FastifyInstance } from "fastify";
import { deleteAllDevMail, findDevMail, headerLines, listDevMail, rawMessage, type DevMessage } from "../../mail/dev-mailbox.ts";
import { formatTime } from "../../mail/message.tsx";
import type { WebContext } from "../http.ts";
import { CsrfField, useT } from "../views/layout.tsx";
import type { TextKey } from "../../i18n/index.ts";
import { page, pageState, type PageState } from "./common.tsx";

const VIEWS = { html: "devMailViewHtml", text: "devMailViewText", headers: "devMailViewHeaders", raw: "devMailViewRaw" } as const satisfies Record<string, TextKey>;
type View = keyof typeof VIEWS;

/** Plain text with every http(s) URL turned into a link (escaped by the view like any text). */
export function Linkified({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s<>"]+)/g);
  return <>{parts.map((part, i) => (i % 2 === 1 ? <a href={part}>{part}</a> : part))}</>;
}

/**
 * The development mailbox (no SMTP_URL, not production), modelled on Mailpit: a list of every
 * queued email, and each message as HTML (in a sandboxed frame), text, headers or raw source.
 * Registered only when enabled, so elsewhere every path here is a plain 404.
 */
export function devMailRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;

  app.get("/dev/mail", async (req, reply) => {
    const to = (req.query as Record<string, unknown>).to;
    const mails = await listDevMail(deps, typeof to === "string" ? to : undefined);
    const state = await pageState(req, reply, ctx);
    return page(reply, 200, state, state.t.devMailTitle, <Mailbox state={state} mails={mails} filtered={typeof to === "string"} />);
  });

  app.get<{ Params: { id: string } }>("/dev/mail/:id", async (req, reply) => {
    const message = await findDevMail(deps, req.params.id);
    if (!message) return reply.callNotFound();
    const asked = (req.query as Record<string, unknown>).view;
    const view: View = typeof asked === "string" && asked in VIEWS ? (asked as View) : "html";
    const raw = view === "headers" || view === "raw" ? await rawMessage(message, deps.config.mailFrom) : null;
    // The HTML part is shown in a srcdoc frame, which inherits this page's policy; emails style
    // themselves inline, so this page alone allows inline styles (the frame runs no script).
    if (view === "html") reply.header("content-security-policy", withInlineStyles(String(reply.getHeader("content-security-policy") ?? "")));
    const state = await pageState(req, reply, ctx);
    return page(reply, 200, state, message.mail.subject, <MessageView message={message} view={view} raw={raw} from={deps.config.mailFrom} />);
  });

  app.get<{ Params: { id: string } }>("/dev/mail/:id/raw", async (req, reply) => {
    const message = await findDevMail(deps, req.params.id);
    if (!message) return reply.callNotFound();
    return reply
      .type("message/rfc822")
      .header("content-disposition", `attachment; filename="${message.id}.eml"`)
      .send(await rawMessage(message, deps.config.mailFrom));
  });

  app.post("/dev/mail/delete", async (_req, reply) => {
    await deleteAllDevMail(deps);
    return reply.redirect("/dev/mail", 303);
  });
}

function linksInNewTab(html: string): string {
  const base = '<base target="_blank">';
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => head + base) : base + html;
}

function withInlineStyles(policy: string): string {
  return policy.replace(/style-src ([^;]*)/, (_m, sources: string) => `style-src ${sources} 'unsafe-inline'`);
}

function Mailbox({ state, mails, filtered }: { state: PageState; mails: DevMessage[]; filtered: boolean }) {
  const { t } = state;
  return (
    <>
      <p>
        {t.devMailIntroBefore} <code>SMTP_URL</code> {t.devMailIntroAfter}{" "}
        {filtered ? <a href="/dev/mail">{t.devMailShowAll}</a> : null}
      </p>
      {mails.length === 0 ? (
        <p class="empty">{filtered ? t.devMailNoneToAddress : t.devMailNone}</p>
      ) : (
        <>
          <ol class="mail-list" aria-label={t.devMailCount(mails.length)}>
            {mails.map(({ id, messageId, mail, createdAt, status }) => (
              <li class="mail" data-to={mail.to} data-message-id={messageId} data-kind={mail.kind}>
                <a class="subject" href={`/dev/mail/${id}`}>
                  {mail.subject}
                </a>
                <span class="meta">
                  {t.devMailTo} <strong class="to">{mail.to}</strong> · <time dateTime={new Date(createdAt).toISOString()}>{formatTime(createdAt, t)}</time> ·{" "}
                  <span class="kind">{mail.kind}</span>
                  {status === "sent" ? null : ` · ${status}`}
                </span>
                {/* The text part, for a quick look (and for scripts reading this page): plain, so
                    each link appears once here; the message's Text view makes them clickable. */}
                <details>
                  <summary>{t.devMailViewText}</summary>
                  <pre>{mail.text}</pre>
                </details>
              </li>
            ))}
          </ol>
          <form method="post" action="/dev/mail/delete">
            <CsrfField token={state.csrf} />
            <button type="submit" class="secondary">
              {t.devMailDeleteAll}
            </button>
          </form>
        </>
      )}
    </>
  );
}

function MessageView({ message, view, raw, from }: { message: DevMessage; view: View; raw: Buffer | null; from: string }) {
  const { mail } = message;
  const base = `/dev/mail/${message.id}`;
  const t = useT();
  return (
    <>
      <p>
        <a href="/dev/mail">{t.devMailAll}</a>
      </p>
      <dl class="mail-meta">
        <dt>{t.devMailFrom}</dt>
        <dd>{from}</dd>
        <dt>{t.devMailTo}</dt>
        <dd>{mail.to}</dd>
        <dt>{t.devMailDate}</dt>
        <dd>{formatTime(message.createdAt, t)}</dd>
        <dt>{t.devMailKind}</dt>
        <dd>
          {mail.kind} ({message.status})
        </dd>
      </dl>
      <nav class="tabs" aria-label={t.devMailShowAs}>
        {(Object.keys(VIEWS) as View[]).map((v) =>
          v === view ? (
            <a href={`${base}?view=${v}`} aria-current="page">
              {t[VIEWS[v]]}
            </a>
          ) : (
            <a href={`${base}?view=${v}`}>{t[VIEWS[v]]}</a>
          ),
        )}
        <a href={`${base}/raw`} download={`${message.id}.eml`}>
          {t.devMailDownload}
        </a>
      </nav>
      {view === "html" ? (
        // No allow-scripts, no allow-same-origin: the email can neither run code nor reach this
        // app. Its links open in a new tab (Mailpit does the same), outside the sandbox.
        <iframe
          class="mail-html"
          title={t.devMailHtmlPart(mail.subject)}
          sandbox="allow-popups allow-popups-to-escape-sandbox"
          srcdoc={linksInNewTab(mail.html)}
        />
      ) : view === "text" ? (
        <pre class="mail-text">
          <Linkified text={mail.text} />
        </pre>
      ) : view === "headers" ? (
        <table class="mail-headers">
          <tbody>
            {headerLines(raw!).map(([name, value]) => (
              <tr>
                <th scope="row">{name}</th>
                <td>{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <pre class="mail-raw">{raw!.toString("utf8")}</pre>
      )}
    </>
  );
}
