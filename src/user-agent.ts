import { catalogue, type Catalogue } from "./i18n/index.ts";

/**
 * "Firefox on Linux": enough to recognise one's own device, no fingerprinting library. Only
 * these fixed words come out, never the header's own text: /sessions shows them, and emails
 * quote them (a requester's User-Agent must not write into a genuine email; issue 18.4).
 * The words around the names are the reader's language.
 */
export function summariseUserAgent(ua: string | null, t: Catalogue = catalogue("en")): string {
  if (!ua) return t.uaUnknownDevice;
  const browser =
    [["Edg/", "Edge"], ["OPR/", "Opera"], ["Firefox/", "Firefox"], ["Chrome/", "Chrome"], ["Safari/", "Safari"], ["curl/", "curl"]].find(([needle]) =>
      ua.includes(needle!),
    )?.[1] ?? t.uaUnknownBrowser;
  const os =
    [["Android", "Android"], ["iPhone", "iOS"], ["iPad", "iPadOS"], ["Windows", "Windows"], ["Mac OS X", "macOS"], ["CrOS", "ChromeOS"], ["Linux", "Linux"]].find(([needle]) =>
      ua.includes(needle!),
    )?.[1];
  return os ? t.uaBrowserOnOs(browser, os) : browser;
}
