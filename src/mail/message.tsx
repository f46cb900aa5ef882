import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";

/** One email, as flows queue it. Every message has a text and an HTML part (SPEC §4). */
export interface Mail {
  readonly kind: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Wraps an escaped HTML body in a minimal document. */
export function htmlDocument(subject: string, body: VNode): string {
  return `<!doctype html>${renderToString(
    <html lang="en">
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

// Built once: toLocaleDateString(…, options) builds a new Intl.DateTimeFormat on every call
// (~110 µs here, twice per /profile view); a kept formatter formats in ~2 µs, same output.
const DATE = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
const TIME = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "UTC" });

/** "Tuesday 24 November 2026, 09:15 UTC": unambiguous whatever the reader's zone. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${DATE.format(d)}, ${TIME.format(d)} UTC`;
}

export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0) return plural(seconds / 86400, "day");
  if (seconds % 3600 === 0) return plural(seconds / 3600, "hour");
  if (seconds % 60 === 0) return plural(seconds / 60, "minute");
  return plural(seconds, "second");
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** Where a request came from, as a notice email tells it. */
export function describeClient(client: { ip: string | null; userAgent: string | null }): string {
  return `${client.ip ?? "an unknown address"} (${client.userAgent ?? "unknown browser"})`;
}
