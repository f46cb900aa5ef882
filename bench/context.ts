/** What every scenario receives from bench/run.ts, and the alternation that makes ratios fair. */
import type { TestDialect } from "../test/helpers/databases.ts";
import type { App, RunDir } from "./processes.ts";
import type { BenchSink } from "./smtp-sink.ts";
import { median, type Row } from "./table.ts";

export { median };

export interface Settings {
  readonly quick: boolean;
  /** Seconds per measured wrk run. */
  readonly seconds: number;
  /** Runs per configuration (the median is reported). */
  readonly runs: number;
}

/** What every scenario gets. */
export interface BaseContext extends Settings {
  readonly dialect: TestDialect;
  readonly dir: RunDir;
  readonly sink: BenchSink;
  readonly secretKey: string;
  readonly rows: Row[];
  log(message: string): void;
}

/** What the scenarios against the main server get. */
export interface Context extends BaseContext {
  /** The main server under test (fresh database, in-process mail worker). */
  readonly app: App;
  /** `session=…; csrf=…` of PROFILE_EMAIL on `app`: use setup.ts profileCookie(), which makes it. */
  profileCookie?: string;
}

/** Connections for the throughput runs (ceiling, pages). */
export const PAGE_CONNECTIONS = 32;
/** Connections for the hashing runs, and the raw loop's operations in flight. */
export const HASH_CONNECTIONS = 8;

/**
 * Runs each configuration `runs` times, round-robin, starting each round one configuration
 * later (A B C, B C A, C A B …) so drift and order effects fall on all of them alike.
 */
export async function alternate<C extends Record<string, () => Promise<unknown>>>(
  runs: number,
  configs: C,
): Promise<{ [K in keyof C]: Array<Awaited<ReturnType<C[K]>>> }> {
  const keys = Object.keys(configs) as Array<keyof C & string>;
  const out = Object.fromEntries(keys.map((k) => [k, [] as unknown[]])) as Record<string, unknown[]>;
  for (let round = 0; round < runs; round++) {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[(round + i) % keys.length]!;
      out[k]!.push(await configs[k]!());
    }
  }
  return out as { [K in keyof C]: Array<Awaited<ReturnType<C[K]>>> };
}

/** The median of one measure over a configuration's runs. */
export function med<T>(results: readonly T[], pick: (r: T) => number): number {
  return median(results.map(pick));
}
