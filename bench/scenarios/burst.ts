/**
 * Issue 17's "burst, then steady" sign-in run: 50 connections for 2 s that are then closed
 * mid-request (what wrk's end, browsers and load balancers timing out all do), straight followed
 * by 8 s of steady sign-ins at 50 connections; against the same 8 s steady run on a settled
 * server. Work left by the clients that closed must not cost the steady clients refusals or
 * throughput: under 1 % refused in the steady part, sign-ins/s within 5 % of steady-only.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { alternate, med, type Context } from "../context.ts";
import { PROFILE_EMAIL, profileCookie } from "../setup.ts";
import { num, pct } from "../table.ts";
import { wrk, type WrkResult } from "../wrk.ts";
import { loginLoad } from "./login.ts";

const CONNECTIONS = 50;
const BURST_SECONDS = 2;
const STEADY_SECONDS = 8;
/** Before each configuration: long enough for anything queued by the last one to finish. */
const SETTLE_MS = 3000;

const signIns = (r: WrkResult) => (r.requests - r.errors) / (r.requests / r.rps);
const refused = (r: WrkResult) => (r.requests > 0 ? r.errors / r.requests : 0);
const share = (x: number) => `${(x * 100).toFixed(1)} %`;

export async function burstScenario(ctx: Context): Promise<void> {
  await profileCookie(ctx);
  const load = await loginLoad(ctx.app.baseUrl, PROFILE_EMAIL);
  const runs = ctx.quick ? 1 : 3;
  ctx.log(`POST /login burst, then steady: ${runs} × (${STEADY_SECONDS} s steady-only, ${BURST_SECONDS} s burst + ${STEADY_SECONDS} s steady), ${CONNECTIONS} conns`);
  const steady = () => wrk({ ...load, seconds: STEADY_SECONDS, connections: CONNECTIONS });
  const results = await alternate(runs, {
    steadyOnly: async () => (await sleep(SETTLE_MS), steady()),
    afterBurst: async () => {
      await sleep(SETTLE_MS);
      await wrk({ ...load, seconds: BURST_SECONDS, connections: CONNECTIONS });
      return steady();
    },
  });
  const only = med(results.steadyOnly, signIns);
  const after = med(results.afterBurst, signIns);
  const refusedAfter = med(results.afterBurst, refused);
  const scenario = `POST /login, ${BURST_SECONDS} s burst then ${STEADY_SECONDS} s steady (${CONNECTIONS} conns)`;
  ctx.rows.push(
    {
      scenario,
      measure: "refused (503) in the steady part",
      value: `${share(refusedAfter)} of ${num(med(results.afterBurst, (r) => r.requests))}`,
      reference: `${share(med(results.steadyOnly, refused))} steady-only`,
      target: "< 1 %",
      met: refusedAfter < 0.01,
    },
    {
      scenario,
      measure: "sign-ins/s in the steady part",
      value: num(after),
      reference: `${num(only)} steady-only`,
      ratio: pct(after / only),
      target: "≥ 95 %",
      met: after / only >= 0.95,
    },
  );
}
