/**
 * POST /login and POST /register are argon2id plus a little: each is compared with the raw
 * @node-rs/argon2 loop (same operations in flight as wrk's connections), alternating, and its
 * CPU per request is split into event loop vs hashing threads to show where any gap comes from.
 */
import { withCpu } from "../cpu.ts";
import { alternate, HASH_CONNECTIONS, med, type Context } from "../context.ts";
import { rawArgon2 } from "../processes.ts";
import { ms, num, pct, type Row } from "../table.ts";
import { wrk, type WrkOptions } from "../wrk.ts";

/** The server's own cap on concurrent hashes (createHasher: availableParallelism()). */
const HASHER_CAP = 2;

/** One server configuration under load. */
export interface Server {
  /** Scenario name in the table, e.g. "POST /register". */
  readonly scenario: string;
  readonly pid: number;
  readonly load: () => Omit<WrkOptions, "seconds" | "connections">;
  /** The target applies to this configuration (others are shown for context). */
  readonly target?: number;
}

/** Runs every server and the raw loops alternating; returns the successful requests per server. */
export async function versusRaw(ctx: Context, o: { unit: string; mode: "hash" | "verify"; servers: readonly Server[] }): Promise<number[]> {
  ctx.log(`${o.servers.map((s) => s.scenario).join(" + ")}: ${ctx.runs} × ${o.servers.length + 2} runs of ${ctx.seconds} s, alternating with raw ${o.mode} loops`);
  const configs: Record<string, () => Promise<unknown>> = {
    raw: () => rawArgon2(ctx.dir, o.mode, HASH_CONNECTIONS, ctx.seconds),
    capped: () => rawArgon2(ctx.dir, o.mode, HASHER_CAP, ctx.seconds),
  };
  o.servers.forEach((s, i) => (configs[`http${i}`] = () => withCpu(s.pid, () => wrk({ ...s.load(), seconds: ctx.seconds, connections: HASH_CONNECTIONS }))));
  const results = (await alternate(ctx.runs, configs)) as unknown as Record<string, Array<Awaited<ReturnType<typeof withCpu>>>> & {
    raw: Array<Awaited<ReturnType<typeof rawArgon2>>>;
    capped: Array<Awaited<ReturnType<typeof rawArgon2>>>;
  };
  const raw = med(results.raw, (r) => r.opsPerSecond);
  const capped = med(results.capped, (r) => r.opsPerSecond);
  return o.servers.map((s, i) => {
    const http = results[`http${i}`]!;
    const scenario = `${s.scenario} (${HASH_CONNECTIONS} conns)`;
    const rate = med(http, (r) => r.rps);
    const errors = http.reduce((n, r) => n + r.errors, 0);
    const rows: Row[] = [
      {
        scenario,
        measure: o.unit,
        value: num(rate) + (errors ? ` (${errors} errors)` : ""),
        reference: `${num(raw)} (raw ${o.mode} loop, ${HASH_CONNECTIONS} in flight)`,
        ratio: pct(rate / raw),
        ...(s.target !== undefined ? { target: `≥ ${pct(s.target)}`, met: rate / raw >= s.target } : {}),
      },
      { scenario, measure: `vs raw at the hasher's cap`, value: num(rate), reference: `${num(capped)} (raw, ${HASHER_CAP} in flight)`, ratio: pct(rate / capped) },
      { scenario, measure: "p50 / p99", value: `${ms(med(http, (r) => r.p50))} / ${ms(med(http, (r) => r.p99))}` },
      {
        scenario,
        measure: "CPU per request",
        value:
          `${ms(med(http, (r) => r.cpu.main))} event loop + ${ms(med(http, (r) => r.cpu.others))} other threads` +
          (ctx.dialect === "postgres" ? ` + ${ms(med(http, (r) => r.cpu.database))} PostgreSQL` : ""),
        reference: `${ms(med(results.raw, (r) => r.cpuMsPerOp))} per raw ${o.mode}`,
      },
    ];
    ctx.rows.push(...rows);
    return http.reduce((n, r) => n + r.requests - r.errors, 0);
  });
}
