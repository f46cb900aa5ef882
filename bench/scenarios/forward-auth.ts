/**
 * The reverse-proxy verify route: every request of a protected app pays for it. At 50
 * connections: GET /api/authz/forward-auth with a valid session against the bare node:http
 * ceiling (target ≥ 40 % of its req/s, p99 < 5 ms); and, when nginx is installed, a page of an
 * app behind nginx with deploy/nginx.conf (auth_request) against nginx proxying the same
 * upstream without it (target ≥ 50 %). Each connection's requests carry a session of their own
 * (lua/sessions.lua: 50 sign-ins), as the users of a real app would: one session for all would
 * let PostgreSQL's batched lookups (db/prepared.ts) read one row for a whole batch.
 */
import { missingProxy, ProxyBrowser, startProxy, type RunningProxy } from "../../test/helpers/proxies.ts";
import { withCpu } from "../cpu.ts";
import { alternate, med, type Context } from "../context.ts";
import { startReference } from "../processes.ts";
import { expectStatus, PROFILE_EMAIL, profileCookie, signIn } from "../setup.ts";
import { ms, num, pct } from "../table.ts";
import { wrk } from "../wrk.ts";

const CONNECTIONS = 50;

/** nginx as a plain proxy of the same upstream: the reference for the protected page. */
const PLAIN_NGINX = `server {
    listen 127.0.0.1:80;
    server_name app.example.test;
    location / {
        proxy_set_header Host $host;
        proxy_pass http://127.0.0.1:8080;
    }
}
`;

interface Target {
  readonly scenario: string;
  readonly url: string;
  readonly pid: number;
  readonly headers?: Record<string, string>;
  /** Cookie headers the requests take turns with (lua/sessions.lua). */
  readonly cookies?: readonly string[];
}

export async function forwardAuthScenario(ctx: Context): Promise<void> {
  const { app } = ctx;
  const cookie = await profileCookie(ctx);
  const cookies = [cookie];
  while (cookies.length < CONNECTIONS) cookies.push(await signIn(app.baseUrl, PROFILE_EMAIL));
  const ceiling = await startReference(ctx.dir, "ceiling");
  const proxies: RunningProxy[] = [];
  try {
    const host = new URL(app.baseUrl).host;
    const targets: Record<string, Target> = {
      ceiling: { scenario: `ceiling: node:http hello (${CONNECTIONS} conns)`, url: `${ceiling.baseUrl}/`, pid: ceiling.pid },
      verify: {
        scenario: `GET /api/authz/forward-auth (${CONNECTIONS} sessions, ${CONNECTIONS} conns)`,
        url: `${app.baseUrl}/api/authz/forward-auth`,
        pid: app.pid,
        headers: { "x-forwarded-proto": "http", "x-forwarded-host": host, "x-forwarded-uri": "/app/page", "x-forwarded-method": "GET", accept: "text/html" },
        cookies,
      },
    };
    const nginxMissing = missingProxy("nginx");
    if (nginxMissing) {
      ctx.log(`forward-auth: ${nginxMissing}; the nginx rows are skipped`);
    } else {
      const ports = { latchkey: Number(new URL(app.baseUrl).port), app: Number(new URL(ceiling.baseUrl).port) };
      const plain = await startProxy("nginx", ports, PLAIN_NGINX);
      proxies.push(plain);
      const guarded = await startProxy("nginx", ports);
      proxies.push(guarded);
      const viaNginx = { Host: "app.example.test", accept: "text/html" };
      targets.plain = { scenario: `nginx plain proxy (${CONNECTIONS} conns)`, url: `http://127.0.0.1:${plain.port}/`, pid: ceiling.pid, headers: viaNginx };
      targets.guarded = { scenario: `nginx + auth_request (${CONNECTIONS} sessions, ${CONNECTIONS} conns)`, url: `http://127.0.0.1:${guarded.port}/`, pid: app.pid, headers: viaNginx, cookies };
    }
    for (const c of cookies) await expectStatus(targets.verify!.url, 200, { headers: { ...targets.verify!.headers!, cookie: c } });
    if (targets.guarded) {
      // Through nginx by name (fetch would not send this Host): signed in → the app, anonymous → sign in.
      const port = Number(new URL(targets.guarded.url).port);
      const signedIn = await new ProxyBrowser(port).get("http://app.example.test/", { cookie, accept: "text/html" });
      const anonymous = await new ProxyBrowser(port).get("http://app.example.test/", { accept: "text/html" });
      if (signedIn.status !== 200 || anonymous.status !== 302) throw new Error(`nginx + auth_request: ${signedIn.status} signed in, ${anonymous.status} anonymous`);
    }

    const load = (t: Target, seconds: number) =>
      withCpu(t.pid, () =>
        wrk({
          url: t.url,
          seconds,
          connections: CONNECTIONS,
          ...(t.headers ? { headers: t.headers } : {}),
          ...(t.cookies ? { script: "sessions.lua", env: { WRK_COOKIES: t.cookies.join("\n") } } : {}),
        }),
      );
    ctx.log("forward-auth: warm-up");
    for (const t of Object.values(targets)) await load(t, ctx.quick ? 1 : 2);
    ctx.log(`forward-auth: ${ctx.runs} × ${Object.keys(targets).length} runs of ${ctx.seconds} s, alternating`);
    const results = await alternate(ctx.runs, Object.fromEntries(Object.entries(targets).map(([k, t]) => [k, () => load(t, ctx.seconds)])));

    const rps = (k: string) => med(results[k]!, (r) => r.rps);
    const errors = (k: string) => results[k]!.reduce((n, r) => n + r.errors, 0);
    const latency = (k: string) => `${ms(med(results[k]!, (r) => r.p50))} / ${ms(med(results[k]!, (r) => r.p99))}`;
    const value = (k: string) => num(rps(k)) + (errors(k) ? ` (${errors(k)} errors)` : "");
    const p99 = med(results.verify!, (r) => r.p99);
    ctx.rows.push(
      { scenario: targets.ceiling!.scenario, measure: "req/s", value: value("ceiling"), target: "(the reference)" },
      { scenario: targets.ceiling!.scenario, measure: "p50 / p99", value: latency("ceiling") },
      { scenario: targets.ceiling!.scenario, measure: "event-loop CPU per request", value: `${num(med(results.ceiling!, (r) => r.cpu.main) * 1000)} µs` },
      { scenario: targets.verify!.scenario, measure: "req/s", value: value("verify"), reference: `${num(rps("ceiling"))} (ceiling)`, ratio: pct(rps("verify") / rps("ceiling")), target: "≥ 40 %", met: rps("verify") / rps("ceiling") >= 0.4 },
      { scenario: targets.verify!.scenario, measure: "p50 / p99", value: latency("verify"), reference: `${latency("ceiling")} (ceiling)`, target: "p99 < 5 ms", met: p99 < 5 },
      { scenario: targets.verify!.scenario, measure: "event-loop CPU per request", value: `${num(med(results.verify!, (r) => r.cpu.main) * 1000)} µs` },
    );
    if (targets.guarded) {
      ctx.rows.push(
        { scenario: targets.plain!.scenario, measure: "req/s", value: value("plain"), target: "(the reference)" },
        { scenario: targets.guarded.scenario, measure: "req/s", value: value("guarded"), reference: `${num(rps("plain"))} (plain proxy)`, ratio: pct(rps("guarded") / rps("plain")), target: "≥ 50 %", met: rps("guarded") / rps("plain") >= 0.5 },
        { scenario: targets.guarded.scenario, measure: "p50 / p99", value: latency("guarded"), reference: `${latency("plain")} (plain proxy)` },
      );
    }
  } finally {
    for (const p of proxies) await p.stop();
    await ceiling.stop();
  }
}
