/**
 * Page throughput against the machine's ceiling: a bare node:http "hello" with the same wrk
 * settings, then GET / (anonymous), GET /profile (a DB-backed session), GET /confirm/:token (an
 * unused, valid link: only looked at, never consumed). For context also bare fastify "hello"
 * (the framework's own floor), GET /healthz (the app's floor: its hooks, no database, no page)
 * and GET /api/v1/me (the same session check, JSON).
 * Besides req/s, the server's CPU per request, which noise on a shared machine disturbs less.
 */
import { withCpu } from "../cpu.ts";
import { alternate, med, PAGE_CONNECTIONS, type Context } from "../context.ts";
import { startReference } from "../processes.ts";
import { expectStatus, profileCookie, registerAndGetLink } from "../setup.ts";
import { ms, num, pct } from "../table.ts";
import { wrk } from "../wrk.ts";

interface Page {
  readonly scenario: string;
  readonly url: string;
  readonly pid: number;
  readonly headers?: Record<string, string>;
  readonly target?: number;
}

export async function pagesScenario(ctx: Context): Promise<void> {
  const { app } = ctx;
  const cookie = await profileCookie(ctx);
  const confirmPath = await registerAndGetLink(app.baseUrl, ctx.sink, "bench-confirm@example.com");
  const ceiling = await startReference(ctx.dir, "ceiling");
  const floor = await startReference(ctx.dir, "fastify");
  try {
    const at = (path: string, extra: Omit<Page, "url" | "pid">): Page => ({ url: `${app.baseUrl}${path}`, pid: app.pid, ...extra });
    const pages: Record<"ceiling" | "fastify" | "home" | "profile" | "confirm" | "me" | "healthz", Page> = {
      ceiling: { scenario: "ceiling: node:http hello", url: `${ceiling.baseUrl}/`, pid: ceiling.pid },
      fastify: { scenario: "floor: bare fastify hello", url: `${floor.baseUrl}/`, pid: floor.pid },
      home: at("/", { scenario: "GET / (anonymous)" }),
      profile: at("/profile", { scenario: "GET /profile (session)", headers: { cookie }, target: 0.3 }),
      confirm: at(confirmPath, { scenario: "GET /confirm/:token" }),
      me: at("/api/v1/me", { scenario: "GET /api/v1/me (session, JSON)", headers: { cookie } }),
      healthz: at("/healthz", { scenario: "GET /healthz (no DB, no page)" }),
    };
    for (const p of Object.values(pages)) await expectStatus(p.url, 200, p.headers ? { headers: p.headers } : {});

    const load = (p: Page, seconds: number) => withCpu(p.pid, () => wrk({ url: p.url, seconds, connections: PAGE_CONNECTIONS, ...(p.headers ? { headers: p.headers } : {}) }));
    ctx.log("pages: warm-up");
    for (const p of Object.values(pages)) await load(p, ctx.quick ? 1 : 2);
    ctx.log(`pages: ${ctx.runs} × ${Object.keys(pages).length} runs of ${ctx.seconds} s, alternating`);
    const configs = Object.fromEntries(Object.entries(pages).map(([k, p]) => [k, () => load(p, ctx.seconds)])) as {
      [K in keyof typeof pages]: () => ReturnType<typeof load>;
    };
    const results = await alternate(ctx.runs, configs);
    await expectStatus(pages.profile.url, 200, { headers: { cookie } });

    const top = med(results.ceiling, (r) => r.rps);
    const topCpu = med(results.ceiling, (r) => r.cpu.main);
    const latency = (rs: typeof results.ceiling) => `${ms(med(rs, (r) => r.p50))} / ${ms(med(rs, (r) => r.p99))}`;
    const errors = (rs: typeof results.ceiling) => (rs.some((r) => r.errors > 0) ? ` (${rs.reduce((n, r) => n + r.errors, 0)} errors)` : "");
    const µs = (x: number) => `${num(x * 1000)} µs`;
    for (const [key, page] of Object.entries(pages) as Array<[keyof typeof pages, Page]>) {
      const rs = results[key];
      const rps = med(rs, (r) => r.rps);
      const cpu = med(rs, (r) => r.cpu.main);
      const isCeiling = key === "ceiling";
      ctx.rows.push(
        {
          scenario: page.scenario,
          measure: "req/s",
          value: num(rps) + errors(rs),
          ...(isCeiling ? { target: "(the reference)" } : { reference: `${num(top)} (ceiling)`, ratio: pct(rps / top) }),
          ...(page.target !== undefined ? { target: `≥ ${pct(page.target)}`, met: rps / top >= page.target } : {}),
        },
        { scenario: page.scenario, measure: "p50 / p99", value: latency(rs), ...(isCeiling ? {} : { reference: `${latency(results.ceiling)} (ceiling)` }) },
        {
          scenario: page.scenario,
          measure: "event-loop CPU per request",
          value: µs(cpu),
          ...(isCeiling ? {} : { reference: `${µs(topCpu)} (ceiling)`, ratio: pct(topCpu / cpu) }),
        },
      );
    }
  } finally {
    await ceiling.stop();
    await floor.stop();
  }
}
