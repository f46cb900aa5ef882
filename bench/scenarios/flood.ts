/**
 * Does a login flood starve everything else? 50 connections POST /login while a few others
 * GET /healthz, then /profile; the server's own event-loop delay is read over the same window.
 * Each flood round alternates with a quiet round (same probes, no flood) for reference.
 */
import { alternate, med, type Context } from "../context.ts";
import { ms, num } from "../table.ts";
import { wrk, type WrkResult } from "../wrk.ts";
import { PROFILE_EMAIL, profileCookie } from "../setup.ts";
import { loginLoad } from "./login.ts";

const FLOOD_CONNECTIONS = 50;
const PROBE_CONNECTIONS = 4;
const TARGET_MS = 20;

interface Round {
  readonly healthz: WrkResult;
  readonly profile: WrkResult;
  readonly loop: { p99: number; max: number };
  readonly flood?: WrkResult;
}

export async function floodScenario(ctx: Context): Promise<void> {
  const { app } = ctx;
  const cookie = await profileCookie(ctx);
  const load = await loginLoad(app.baseUrl, PROFILE_EMAIL);
  const probe = Math.max(2, Math.round(ctx.seconds / 2));

  async function probes(): Promise<Omit<Round, "flood">> {
    await app.loopDelay(); // starts the window
    const healthz = await wrk({ url: `${app.baseUrl}/healthz`, seconds: probe, connections: PROBE_CONNECTIONS });
    const profile = await wrk({ url: `${app.baseUrl}/profile`, seconds: probe, connections: PROBE_CONNECTIONS, headers: { cookie } });
    return { healthz, profile, loop: await app.loopDelay() };
  }

  ctx.log(`flood: ${ctx.runs} × (flood, quiet) rounds of ${2 * probe + 1} s`);
  const results = await alternate(ctx.runs, {
    flood: async (): Promise<Round> => {
      const flood = wrk({ ...load, seconds: 2 * probe + 1, connections: FLOOD_CONNECTIONS });
      await new Promise((r) => setTimeout(r, 500)); // let the hash queue fill
      const measured = await probes();
      const done = await flood;
      // wrk leaves up to FLOOD_CONNECTIONS sign-ins queued at the server: let them finish, or
      // they would load the next (quiet) round.
      await new Promise((r) => setTimeout(r, Math.min(10_000, (1000 * FLOOD_CONNECTIONS) / Math.max(1, done.rps) + 500)));
      return { ...measured, flood: done };
    },
    quiet: (): Promise<Round> => probes(),
  });

  const p99 = (rs: Round[], pick: (r: Round) => number) => med(rs, pick);
  const row = (scenario: string, pick: (r: Round) => number, measure = "p99") => {
    const value = p99(results.flood, pick);
    return {
      scenario,
      measure,
      value: ms(value),
      reference: `${ms(p99(results.quiet, pick))} (no flood)`,
      target: `< ${TARGET_MS} ms`,
      met: value < TARGET_MS,
    };
  };
  const floods = results.flood.map((r) => r.flood!);
  ctx.rows.push(
    row("GET /healthz during login flood", (r) => r.healthz.p99),
    row("GET /profile during login flood", (r) => r.profile.p99),
    row("event loop during login flood", (r) => r.loop.p99, "delay p99"),
    {
      scenario: `login flood (${FLOOD_CONNECTIONS} conns)`,
      measure: "logins/s, p99",
      value: `${num(med(floods, (r) => r.rps))}, ${ms(med(floods, (r) => r.p99))}` + (floods.some((r) => r.errors) ? ` (${floods.reduce((n, r) => n + r.errors, 0)} errors)` : ""),
    },
  );
}
