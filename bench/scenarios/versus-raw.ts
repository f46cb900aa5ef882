/**
 * POST /login and POST /register are argon2id plus a little: each is compared with the raw
 * @node-rs/argon2 loop (same operations in flight as wrk's connections), alternating, and its
 * CPU per request is split into event loop vs hashing threads to show where any gap comes from.
 */
import { withCpu } from "../cpu.ts";
import { alternate, HASH_CONNECTIONS, med, type Context } from "../context.ts";
import { rawArgon2 } from "../processes.ts";
import { ms, num, pct } from "../table.ts";
import { wrk, type WrkOptions } from "../wrk.ts";

/** The server's own cap on concurrent hashes (createHasher: availableParallelism()). */
const HASHER_CAP = 2;

export async function versusRaw(
  ctx: Context,
  o: { scenario: string; unit: string; mode: "hash" | "verify"; target: number; load: () => Omit<WrkOptions, "seconds" | "connections"> },
): Promise<void> {
  const scenario = `${o.scenario} (${HASH_CONNECTIONS} conns)`;
  ctx.log(`${o.scenario}: ${ctx.runs} × 3 runs of ${ctx.seconds} s, alternating with raw ${o.mode} loops`);
  const results = await alternate(ctx.runs, {
    http: () => withCpu(ctx.app.pid, () => wrk({ ...o.load(), seconds: ctx.seconds, connections: HASH_CONNECTIONS })),
    raw: () => rawArgon2(ctx.dir, o.mode, HASH_CONNECTIONS, ctx.seconds),
    capped: () => rawArgon2(ctx.dir, o.mode, HASHER_CAP, ctx.seconds),
  });
  const rate = med(results.http, (r) => r.rps);
  const raw = med(results.raw, (r) => r.opsPerSecond);
  const errors = results.http.reduce((n, r) => n + r.errors, 0);
  ctx.rows.push(
    {
      scenario,
      measure: o.unit,
      value: num(rate) + (errors ? ` (${errors} errors)` : ""),
      reference: `${num(raw)} (raw ${o.mode} loop, ${HASH_CONNECTIONS} in flight)`,
      ratio: pct(rate / raw),
      target: `≥ ${pct(o.target)}`,
      met: rate / raw >= o.target,
    },
    {
      scenario,
      measure: `vs raw at the hasher's cap`,
      value: num(rate),
      reference: `${num(med(results.capped, (r) => r.opsPerSecond))} (raw, ${HASHER_CAP} in flight)`,
      ratio: pct(rate / med(results.capped, (r) => r.opsPerSecond)),
    },
    { scenario, measure: "p50 / p99", value: `${ms(med(results.http, (r) => r.p50))} / ${ms(med(results.http, (r) => r.p99))}` },
    {
      scenario,
      measure: "CPU per request",
      value: `${ms(med(results.http, (r) => r.cpu.main))} event loop + ${ms(med(results.http, (r) => r.cpu.others))} other threads`,
      reference: `${ms(med(results.raw, (r) => r.cpuMsPerOp))} per raw ${o.mode}`,
    },
  );
}
