/**
 * Timing oracle check (issue 3): does POST /forgot or POST /login answer measurably faster or
 * slower for an address that has an account than for one that has not?
 *
 *   node --import tsx bench/timing-oracle.ts [rounds=200] [sqlite|postgres] [--no-worker]
 *
 * Method: the real server in its own process (`latchkey serve`, temp database, dev mailbox, its
 * own mail worker), so nothing it does after answering can delay this process's clock; one
 * registered account. Each round sends the two cases of a pair back to back over one keep-alive
 * connection, alternating which goes first, so drift (GC, JIT, the worker sending mail) falls
 * on both sides alike. 20 unmeasured warm-up rounds first. Wall time per request is measured
 * client-side (request sent → response body read). Reported: median, p90, and the difference of
 * medians with a bootstrap 95 % interval. Not a test assertion: timing on a shared machine is
 * noisy; a test asserting it would be flaky or toothless.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { createServer } from "node:net";
import { Client } from "../test/helpers/client.ts";
import { createTestDatabase, type TestDialect } from "../test/helpers/databases.ts";

const ROUNDS = Number(process.argv[2] ?? 200);
const DIALECT = (process.argv[3] ?? "sqlite") as TestDialect;
const WORKER = !process.argv.includes("--no-worker");
const WARMUP = 20;
const PASSWORD = "correct horse battery staple";
const KNOWN = "timing-known@example.com";
const UNKNOWN = "timing-nobody@example.com";

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

const database = await createTestDatabase(DIALECT);
const port = await freePort();
const baseUrl = `http://127.0.0.1:${port}`;
// RATE_LIMITS=off: 440 requests for two addresses from one IP must not be throttled; the
// comparison is between the code paths behind the limiter.
const server = spawn(
  process.execPath,
  ["--import", import.meta.resolve("tsx"), new URL("../src/cli.ts", import.meta.url).pathname, "serve", "--port", String(port), ...(WORKER ? [] : ["--no-worker"])],
  {
    env: { PATH: process.env.PATH, DATABASE_URL: database.url, SECRET_KEY: randomBytes(32).toString("base64url"), BASE_URL: baseUrl, RATE_LIMITS: "off", LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  },
);
for (let i = 0; ; i++) {
  const ok = await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false);
  if (ok) break;
  if (i > 150) throw new Error("server did not start");
  await new Promise((r) => setTimeout(r, 100));
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function setup(): Promise<{ csrfCookie: string; csrf: string }> {
  const browser = new Client(baseUrl);
  await browser.get("/register");
  const res = await browser.post("/register", { email: KNOWN, password: PASSWORD, confirm: PASSWORD });
  if (res.status !== 303) throw new Error(`register: ${res.status}`);
  const anon = new Client(baseUrl);
  await anon.get("/login");
  return { csrfCookie: anon.cookies.get("csrf")!, csrf: anon.csrf! };
}

const { csrfCookie, csrf } = await setup();

function post(path: string, fields: Record<string, string>): Promise<{ ms: number; status: number }> {
  const body = new URLSearchParams({ _csrf: csrf, ...fields }).toString();
  const headers = {
    "content-type": "application/x-www-form-urlencoded",
    "content-length": String(Buffer.byteLength(body)),
    cookie: `csrf=${csrfCookie}`,
  };
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(new URL(path, baseUrl), { method: "POST", agent, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode ?? 0 }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

interface Case {
  readonly name: string;
  readonly expect: number;
  run(): Promise<{ ms: number; status: number }>;
}

const pairs: Array<[Case, Case]> = [
  [
    { name: "forgot: known address", expect: 303, run: () => post("/forgot", { email: KNOWN }) },
    { name: "forgot: unknown address", expect: 303, run: () => post("/forgot", { email: UNKNOWN }) },
  ],
  [
    { name: "login: known, wrong password", expect: 401, run: () => post("/login", { email: KNOWN, password: "wrong password entirely" }) },
    { name: "login: unknown address", expect: 401, run: () => post("/login", { email: UNKNOWN, password: "wrong password entirely" }) },
  ],
];

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

function bootstrapDiff(a: number[], b: number[], n = 2000): [number, number] {
  const diffs: number[] = [];
  const pick = (xs: number[]) => Array.from(xs, () => xs[Math.floor(Math.random() * xs.length)]!);
  for (let i = 0; i < n; i++) diffs.push(median(pick(a)) - median(pick(b)));
  diffs.sort((x, y) => x - y);
  return [quantile(diffs, 0.025), quantile(diffs, 0.975)];
}

const fmt = (ms: number) => ms.toFixed(3).padStart(8);
console.log(`timing oracle: ${ROUNDS} alternating requests per case, ${DIALECT}, mail worker ${WORKER ? "on" : "off"}, node ${process.version}\n`);
console.log(`${"case".padEnd(32)} ${"median".padStart(8)} ${"p90".padStart(8)}   (ms)`);
for (const [a, b] of pairs) {
  const times = new Map<Case, number[]>([
    [a, []],
    [b, []],
  ]);
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const order = i % 2 === 0 ? [a, b] : [b, a];
    for (const c of order) {
      const r = await c.run();
      if (r.status !== c.expect) throw new Error(`${c.name}: status ${r.status}, expected ${c.expect}`);
      if (i >= WARMUP) times.get(c)!.push(r.ms);
    }
  }
  for (const c of [a, b]) {
    const sorted = [...times.get(c)!].sort((x, y) => x - y);
    console.log(`${c.name.padEnd(32)} ${fmt(quantile(sorted, 0.5))} ${fmt(quantile(sorted, 0.9))}`);
  }
  const ta = times.get(a)!;
  const tb = times.get(b)!;
  const [lo, hi] = bootstrapDiff(ta, tb);
  const s = (x: number) => (x >= 0 ? "+" : "") + x.toFixed(3);
  const p90diff = quantile([...ta].sort((x, y) => x - y), 0.9) - quantile([...tb].sort((x, y) => x - y), 0.9);
  console.log(`${"  difference (first − second)".padEnd(32)} ${s(median(ta) - median(tb)).padStart(8)} ${s(p90diff).padStart(8)}   95% CI of median diff [${s(lo)}, ${s(hi)}]\n`);
}

agent.destroy();
server.kill("SIGTERM");
await new Promise((r) => server.once("exit", r));
await database.drop();
