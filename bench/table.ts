/** The results table: one row per figure, printed and written as Markdown. */

export interface Row {
  readonly scenario: string;
  readonly measure: string;
  readonly value: string;
  readonly reference?: string;
  readonly ratio?: string;
  readonly target?: string;
  /** Informational only: the bench asserts nothing. */
  readonly met?: boolean;
}

export const HEADER = ["scenario", "measure", "value", "reference", "ratio", "target", "met?"] as const;

export function cells(r: Row): string[] {
  return [r.scenario, r.measure, r.value, r.reference ?? "", r.ratio ?? "", r.target ?? "", r.met === undefined ? "" : r.met ? "yes" : "no"];
}

export function markdown(rows: readonly Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const lines = [`| ${HEADER.join(" | ")} |`, `|${HEADER.map(() => "---").join("|")}|`];
  for (const r of rows) lines.push(`| ${cells(r).map(esc).join(" | ")} |`);
  return lines.join("\n");
}

/** Aligned columns for the terminal. */
export function plain(rows: readonly Row[]): string {
  const all = [[...HEADER], ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

/**
 * Only the rows that have a target, one column per database: "value (ratio), met?". This is
 * the short table for the README.
 */
export function summary(tables: ReadonlyArray<readonly [title: string, rows: readonly Row[]]>): string {
  const key = (r: Row) => `${r.scenario}\u0000${r.measure}`;
  const targeted = new Map<string, Row>();
  for (const [, rows] of tables) for (const r of rows) if (r.met !== undefined && !targeted.has(key(r))) targeted.set(key(r), r);
  const header = ["scenario", "measure", "target", ...tables.map(([title]) => title)];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const [k, r] of targeted) {
    const cellsFor = tables.map(([, rows]) => {
      const hit = rows.find((x) => key(x) === k);
      if (!hit || hit.met === undefined) return "—";
      return `${hit.value}${hit.ratio ? ` (${hit.ratio})` : ""}: ${hit.met ? "yes" : "**no**"}`;
    });
    lines.push(`| ${[r.scenario, r.measure, r.target ?? "", ...cellsFor].map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`);
  }
  return lines.join("\n");
}

// ---- numbers --------------------------------------------------------------------------

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** 12,345 / 123 / 12.3 / 1.23 */
export function num(x: number): string {
  if (!Number.isFinite(x)) return "—";
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export const ms = (x: number) => `${num(x)} ms`;
export const pct = (x: number) => `${Math.round(x * 100)} %`;
export const times = (x: number) => `${x.toFixed(2)}×`;
