import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { invalidInput } from "../accounts/errors.ts";
import { setLocale } from "../accounts/locale.ts";
import { catalogue, fromAcceptLanguage, isLocale, LOCALES, resolveLocale, type Catalogue, type Locale } from "../i18n/index.ts";
import { formFields, viewerOf, type WebContext } from "./http.ts";
import { safeNext } from "./redirects.ts";
import type { Viewer } from "../accounts/sessions.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** DEFAULT_LOCALE, for code that has the reply but not the config (API errors). */
    defaultLocale: Locale;
  }
}

/** The language cookie SPEC §8 names: set by POST /locale, read when no account says otherwise. */
export const LANG_COOKIE = "lang";
const LANG_COOKIE_MAX_AGE = 365 * 86400;

/** A page's language: the account's stored one, the `lang` cookie, Accept-Language, DEFAULT_LOCALE. */
export function pageLocale(req: FastifyRequest, viewer: Viewer | null, fallback: Locale): Locale {
  const header = req.headers["accept-language"];
  return resolveLocale(viewer?.locale, req.cookies?.[LANG_COOKIE], typeof header === "string" ? header : undefined, fallback);
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
