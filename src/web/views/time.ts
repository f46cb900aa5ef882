import { catalogue, type Catalogue } from "../../i18n/index.ts";

/** "2 minutes 5 seconds": a wait as a person reads it, in the page's language. */
export function humanDuration(totalSeconds: number, t: Catalogue = catalogue("en")): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const parts: string[] = [];
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h) parts.push(t.hours(h));
  if (m) parts.push(t.minutes(m));
  if (sec || parts.length === 0) parts.push(t.seconds(sec));
  return parts.join(" ");
}
