import type { FastifyReply, FastifyRequest } from "fastify";
import { AccountError } from "../../accounts/errors.ts";
import { isAdmin, type Viewer } from "../../accounts/sessions.ts";
import type { FailedMail } from "../../admin/failed-mail.ts";
import { formatTime } from "../../mail/message.tsx";
import { clientInfo, type WebContext } from "../http.ts";
import { CsrfField, Scrolls, useT } from "../views/layout.tsx";
import { pageState, toLogin, type PageState } from "./common.tsx";

/**
 * Every path under /admin, known or not: anonymous visitors are sent to sign in, anyone but a
 * confirmed admin gets a 403 (so even a 404 says nothing to them).
 */
export async function adminState(req: FastifyRequest, reply: FastifyReply, ctx: WebContext) {
  const state = await pageState(req, reply, ctx);
  if (!state.viewer) return { redirect: toLogin(reply, req.method === "GET" ? req.url : "/admin") } as const;
  if (!isAdmin(state.viewer)) throw new AccountError("forbidden");
  return { state: state as PageState & { viewer: Viewer } } as const;
}

/** The admin behind a request, as the actor of what it does. */
export function actorOf(req: FastifyRequest, viewer: Viewer) {
  return { id: viewer.userId, client: clientInfo(req) };
}

const FLASH = "admin_flash";

/** After an action: 303 to `location`, whose page shows `message` once (a short-lived cookie, /admin only). */
export function redirectWithFlash(reply: FastifyReply, ctx: WebContext, location: string, message: string) {
  reply.setCookie(FLASH, message, { path: "/admin", httpOnly: true, sameSite: "lax", secure: ctx.deps.config.secureCookies, maxAge: 60 });
  return reply.redirect(location, 303);
}

/**
 * The message an action left for this page, if any (and it is gone after this). The actions
 * word it in English; the page shows it through `t.flowMessage`.
 */
export function takeFlash(req: FastifyRequest, reply: FastifyReply, ctx: WebContext): string | undefined {
  const message = req.cookies[FLASH];
  if (message === undefined) return undefined;
  reply.clearCookie(FLASH, { path: "/admin", secure: ctx.deps.config.secureCookies });
  return message.slice(0, 300);
}

/** A query parameter as one string ("" when absent or repeated). */
export function queryParam(req: FastifyRequest, name: string): string {
  const v = (req.query as Record<string, unknown>)[name];
  return typeof v === "string" ? v : "";
}

/** Short ISO-like time for dense admin tables. */
export function shortTime(ms: number | null): string {
  return ms === null ? "—" : new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** Mails the worker gave up on (kind, attempts, last error; never the body), each with a retry button. */
export function FailedTable({ mails, csrf }: { mails: readonly FailedMail[]; csrf: string }) {
  const t = useT();
  return (
    <Scrolls label={t.adminFailedEmails}>
      <table>
        <thead>
          <tr>
            <th>{t.adminColEmail}</th>
            <th>{t.adminColQueued}</th>
            <th>{t.adminColAttempts}</th>
            <th>{t.adminColLastError}</th>
            <th>
              <span class="visually-hidden">{t.adminRetry}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {mails.map((m) => (
            <tr data-mail={m.id}>
              <td>{m.kind}</td>
              <td>{formatTime(m.createdAt, t)}</td>
              <td>{m.attempts}</td>
              <td>{m.lastError ?? "—"}</td>
              <td>
                <form method="post" action={`/admin/mail/${m.id}/retry`}>
                  <CsrfField token={csrf} />
                  <button type="submit">{t.adminRetry}</button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scrolls>
  );
}
