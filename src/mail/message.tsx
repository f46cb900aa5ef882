import { isIP } from "node:net";
import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { summariseUserAgent } from "../user-agent.ts";

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

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const pad2 = (n: number) => String(n).padStart(2, "0");

/**
 * "Monday, 30 November 2026, 09:15 UTC": unambiguous whatever the reader's zone. Spelt out
 * rather than through Intl: the same text on every Node/ICU build (ICU has changed en-GB's
 * commas before), and a fraction of Intl.DateTimeFormat's cost (~2 µs a call, several per
 * page view).
 */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${WEEKDAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())} UTC`;
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

/**
 * Where a request came from, as a notice email tells it: an IP address (checked to be one) and
 * the browser family and OS, never the requester's raw header text (issue 18.4).
 */
export function describeClient(client: { ip: string | null; userAgent: string | null }): string {
  const ip = client.ip && isIP(client.ip) ? client.ip : "an unknown address";
  return `${ip} (${summariseUserAgent(client.userAgent)})`;
}
