import { de } from "./de.ts";
import { en, type Catalogue } from "./en.ts";

export type { Catalogue } from "./en.ts";

/** The keys whose value is a plain text (no parameters). */
export type TextKey = { [K in keyof Catalogue]: Catalogue[K] extends string ? K : never }[keyof Catalogue];

/** The supported languages, in the order the footer offers them. */
export const LOCALES = ["en", "de"] as const;
export type Locale = (typeof LOCALES)[number];

const CATALOGUES: Readonly<Record<Locale, Catalogue>> = { en, de };

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** The catalogue of a language: a lookup, nothing built per call. */
export function catalogue(locale: Locale): Catalogue {
  return CATALOGUES[locale];
}

/**
 * The best supported language of an Accept-Language header, or undefined (RFC 9110 §12.5.4):
 * higher q first, q=0 means "not this one", `de-AT` matches `de`, `*` matches nothing here
 * (the caller's default is the answer then).
 */
export function fromAcceptLanguage(header: string | undefined): Locale | undefined {
  if (!header) return undefined;
  let best: Locale | undefined;
  let bestQ = 0;
  for (const part of header.slice(0, 512).split(",")) {
    const [range = "", ...params] = part.trim().split(";");
    let q = 1;
    for (const param of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(param);
      if (m) q = Number(m[1]);
    }
    const primary = range.trim().toLowerCase().split("-")[0];
    if (q > bestQ && isLocale(primary)) {
      best = primary;
      bestQ = q;
    }
  }
  return best;
}

/** SPEC §8: the account's stored locale, else the `lang` cookie, else Accept-Language, else the default. */
export function resolveLocale(stored: string | null | undefined, cookie: string | undefined, acceptLanguage: string | undefined, fallback: Locale): Locale {
  if (isLocale(stored)) return stored;
  if (isLocale(cookie)) return cookie;
  return fromAcceptLanguage(acceptLanguage) ?? fallback;
}
