/** The UTC parts a catalogue spells a point in time from (see en.ts `time`). */
export interface UtcParts {
  readonly weekday: number;
  readonly day: number;
  readonly month: number;
  readonly year: number;
  readonly hhmm: string;
}

const pad2 = (n: number) => String(n).padStart(2, "0");

export function utcParts(ms: number): UtcParts {
  const d = new Date(ms);
  return { weekday: d.getUTCDay(), day: d.getUTCDate(), month: d.getUTCMonth(), year: d.getUTCFullYear(), hhmm: `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}` };
}

/** Picks a catalogue's word by the language's plural rules (never `n === 1`). */
export function pluralOf(rules: Intl.PluralRules, forms: { one: string; other: string }, n: number): string {
  return rules.select(n) === "one" ? forms.one : forms.other;
}
