import { isIP } from "node:net";
import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { catalogue, type Catalogue, type Locale } from "../i18n/index.ts";
import { summariseUserAgent } from "../user-agent.ts";

/** Every message takes the recipient's language: their stored locale (SPEC §8). */
export interface Addressed {
  readonly to: string;
  readonly locale: Locale;
}

/** One email, as flows queue it. Every message has a text and an HTML part (SPEC §4). */
export interface Mail {
  readonly kind: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Wraps an escaped HTML body in a minimal document in the recipient's language. */
export function htmlDocument(subject: string, body: VNode, locale: Locale = "en"): string {
  return `<!doctype html>${renderToString(
    <html lang={locale}>
      <head>
        <meta charset="utf-8" />
        <title>{subject}</title>
      </head>
      <body style="font-family: system-ui, sans-serif; line-height: 1.5; max-width: 36em">
        {body}
      </body>
    </html>,
  )}`;
}

/**
 * "Monday, 30 November 2026, 09:15 UTC": unambiguous whatever the reader's zone. Spelt out by
 * the catalogue rather than through Intl.DateTimeFormat: the same text on every Node/ICU build
 * (ICU has changed en-GB's commas before), and a fraction of its cost (~2 µs a call, several
 * per page view). `t` defaults to English.
 */
export function formatTime(ms: number, t: Catalogue = catalogue("en")): string {
  return t.time(ms);
}

/** "24 hours": a lifetime in its largest whole unit. */
export function formatDuration(seconds: number, t: Catalogue = catalogue("en")): string {
  if (seconds % 86400 === 0) return t.days(seconds / 86400);
  if (seconds % 3600 === 0) return t.hours(seconds / 3600);
  if (seconds % 60 === 0) return t.minutes(seconds / 60);
  return t.seconds(seconds);
}

/**
 * Where a request came from, as a notice email tells it: an IP address (checked to be one) and
 * the browser family and OS, never the requester's raw header text (issue 18.4).
 */
export function describeClient(client: { ip: string | null; userAgent: string | null }, t: Catalogue = catalogue("en")): string {
  const ip = client.ip && isIP(client.ip) ? client.ip : t.unknownAddress;
  return `${ip} (${summariseUserAgent(client.userAgent, t)})`;
}

/** A paragraph whose URL (if the line has it) is a link: the HTML part says what the text part says. */
export function Linked({ line, url }: { line: string; url: string }) {
  const at = line.indexOf(url);
  if (at < 0) return <p>{line}</p>;
  return (
    <p>
      {line.slice(0, at)}
      <a href={url}>{url}</a>
      {line.slice(at + url.length)}
    </p>
  );
}
