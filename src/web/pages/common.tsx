import type { FastifyReply, FastifyRequest } from "fastify";
import type { ComponentChildren } from "preact";
import type { Viewer } from "../../accounts/sessions.ts";
import { catalogue, type Catalogue, type Locale } from "../../i18n/index.ts";
import { csrfToken, render, viewerOf, type WebContext } from "../http.ts";
import { linkOwnerLocale, pageLocale } from "../locale.ts";
import type { TokenPurpose } from "../../db/schema.ts";
import { Layout } from "../views/layout.tsx";
import { safeNext, withNext } from "../redirects.ts";
import type { Config } from "../../config.ts";

export interface PageState {
  readonly viewer: Viewer | null;
  readonly csrf: string;
  /** The page's language (SPEC §8) and its catalogue. */
  readonly locale: Locale;
  readonly t: Catalogue;
  /** The requested path and query, for the language switch to come back to. */
  readonly path: string;
}

/**
 * Everything a page needs from the request: who is signed in, a CSRF token, its language.
 * `owner`: the stored language of the account a signed-out page is about (see pageLocale).
 */
export async function pageState(req: FastifyRequest, reply: FastifyReply, ctx: WebContext, owner?: string | null): Promise<PageState> {
  const viewer = await viewerOf(req, ctx.deps);
  return { ...bareState(req, ctx.deps.config, viewer, owner), csrf: csrfToken(req, reply, ctx.deps) };
}

/**
 * A token link's page (/confirm/:token, /reset/:token): nobody need be signed in there, so it
 * speaks the language of the link's account.
 */
export async function linkPageState(
  req: FastifyRequest<{ Params: { token: string } }>,
  reply: FastifyReply,
  ctx: WebContext,
  purpose: TokenPurpose | readonly TokenPurpose[],
): Promise<PageState> {
  return pageState(req, reply, ctx, await linkOwnerLocale(req, ctx, req.params.token, purpose));
}

/** For error pages that must not touch the session or set cookies: no CSRF token, no switch. */
export function bareState(req: FastifyRequest, config: Config, viewer: Viewer | null = null, owner?: string | null): PageState {
  const locale = pageLocale(req, viewer, config.defaultLocale, owner);
  return { viewer, csrf: "", locale, t: catalogue(locale), path: returnPath(config, req.url) };
}

/**
 * Where the language switch comes back to: this page, with a `next` in its query kept only if
 * safeNext would follow it (a page never echoes an unsafe `next`, not even in the switch's form).
 */
function returnPath(config: Config, url: string): string {
  const at = url.indexOf("?");
  if (at < 0) return url;
  const query = new URLSearchParams(url.slice(at + 1));
  const next = query.get("next");
  if (next !== null) {
    const safe = safeNext(config, next);
    if (safe === "/") query.delete("next");
    else query.set("next", safe);
  }
  const rest = query.toString();
  return rest ? `${url.slice(0, at)}?${rest}` : url.slice(0, at);
}

/** Renders a page in the layout. */
export function page(reply: FastifyReply, status: number, state: PageState, title: string, body: ComponentChildren, scripts?: string[]) {
  // The language depends on these headers; a shared cache must not hand one reader's to another.
  reply.header("content-language", state.locale).header("vary", "Accept-Language, Cookie");
  return render(
    reply,
    status,
    state.t,
    <Layout title={title} viewer={state.viewer} csrf={state.csrf} scripts={scripts} locale={state.locale} path={state.path}>
      {body}
    </Layout>,
  );
}

/** Signed-in-only pages send anonymous visitors to sign in and come back. */
export function toLogin(reply: FastifyReply, returnTo: string) {
  return reply.redirect(withNext("/login", returnTo), 303);
}
