import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { invalidInput } from "../accounts/errors.ts";
import { setLocale } from "../accounts/locale.ts";
import { catalogue, fromAcceptLanguage, isLocale, LOCALES, resolveLocale, type Catalogue, type Locale } from "../i18n/index.ts";
import { formFields, viewerOf, type WebContext } from "./http.ts";
import { safeNext } from "./redirects.ts";
import type { Viewer } from "../accounts/sessions.ts";
import { tokenOwnerLocale } from "../accounts/tokens.ts";
import type { TokenPurpose } from "../db/schema.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** DEFAULT_LOCALE, for code that has the reply but not the config (API errors). */
    defaultLocale: Locale;
  }
}

/** The language cookie SPEC §8 names: set by POST /locale, read when no account says otherwise. */
export const LANG_COOKIE = "lang";
const LANG_COOKIE_MAX_AGE = 365 * 86400;

/**
 * A page's language: the account's stored one, the `lang` cookie, Accept-Language, DEFAULT_LOCALE.
 * `owner` is the stored language of the account a page is about when no one is signed in (a
 * token link's account, a sign-in waiting for its second factor): it stands in for the viewer's,
 * after the `lang` cookie, so the footer's switch still works on those pages.
 */
export function pageLocale(req: FastifyRequest, viewer: Viewer | null, fallback: Locale, owner?: string | null): Locale {
  const header = req.headers["accept-language"];
  const cookie = req.cookies?.[LANG_COOKIE];
  const stored = viewer ? viewer.locale : isLocale(cookie) ? undefined : owner;
  return resolveLocale(stored, cookie, typeof header === "string" ? header : undefined, fallback);
}

/**
 * For a token link's pages (/confirm/:token, /reset/:token): the stored language of the link's
 * account, looked up only when it could matter (no session, no `lang` cookie).
 */
export async function linkOwnerLocale(req: FastifyRequest, ctx: WebContext, token: string, purpose: TokenPurpose | readonly TokenPurpose[]): Promise<string | null> {
  if (isLocale(req.cookies?.[LANG_COOKIE]) || (await viewerOf(req, ctx.deps))) return null;
  return tokenOwnerLocale(ctx.deps.db.kysely, token, purpose);
}

/** An API error's language: Accept-Language only (SPEC §5), else DEFAULT_LOCALE. */
export function apiCatalogue(req: FastifyRequest, fallback: Locale): Catalogue {
  const header = req.headers["accept-language"];
  return catalogue(fromAcceptLanguage(typeof header === "string" ? header : undefined) ?? fallback);
}

/** The language of a page's request, for flows that store it (sign-up). */
export async function requestLocale(req: FastifyRequest, ctx: WebContext): Promise<Locale> {
  return pageLocale(req, await viewerOf(req, ctx.deps), ctx.deps.config.defaultLocale);
}

/** The footer's language switch: works without JavaScript (a form with one button per language). */
export function localeRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;
  app.post("/locale", async (req, reply: FastifyReply) => {
    const form = formFields(req.body, ["locale", "next"]);
    const next = safeNext(deps.config, form.next);
    if (!isLocale(form.locale)) throw invalidInput({ locale: `Choose one of: ${LOCALES.join(", ")}.` });
    reply.setCookie(LANG_COOKIE, form.locale, { path: "/", sameSite: "lax", secure: deps.config.secureCookies, maxAge: LANG_COOKIE_MAX_AGE });
    const viewer = await viewerOf(req, deps);
    if (viewer && !viewer.signupAttempt) await setLocale(deps, viewer.userId, form.locale);
    return reply.redirect(next, 303);
  });
}
