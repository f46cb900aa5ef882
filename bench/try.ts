/**
 * One question, quickly: how much event-loop CPU does a request to PATH cost on the built app?
 * For trying a change before the full `npm run bench` (which is what the README reports).
 *
 *   node --import tsx bench/try.ts [--db sqlite|postgres] [--path /profile ...] [--seconds 5] [--runs 3]
 *                                  [--dist DIR ...] [--cpu-prof] [--header "name: value" ...] [--sessions N] [--connections N]
 *                                  [--node-flags="FLAGS" ...]
 *
 * Starts `node DIST/cli.js serve` for each --dist (default: this checkout's dist; pass a second
 * build, e.g. one made with `git worktree`, to compare two versions side by side), signs in a
 * confirmed account, then runs wrk on each path, alternating the builds, and prints req/s and
 * event-loop CPU per request (median). --cpu-prof runs the servers with node --cpu-prof and
 * prints each profile's hottest functions (bench/profile-top.ts; the sampler counts wall time
 * on the main thread, so a busy machine's preemption shows up too: compare, don't sum).
 * --sessions N signs the account in N times and the requests take turns with those sessions.
 * --node-flags, once per --dist in the same order, runs that build's node with those flags
 * (`--node-flags= --node-flags=--trace-gc-nvp`: none for the first), so one build can be compared
 * with itself under a flag.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createTestDatabase, type TestDialect } from "../test/helpers/databases.ts";
import { alternate, median, PAGE_CONNECTIONS } from "./context.ts";
import { withCpu } from "./cpu.ts";
import { killAll, startApp, type App } from "./processes.ts";
import { expectStatus, signedInUser, signIn } from "./setup.ts";
import { BenchSink } from "./smtp-sink.ts";
import { requireWrk, wrk } from "./wrk.ts";

const { values: args } = parseArgs({
  options: {
    db: { type: "string", default: "sqlite" },
    path: { type: "string", multiple: true },
    seconds: { type: "string", default: "5" },
    runs: { type: "string", default: "3" },
    dist: { type: "string", multiple: true },
    "cpu-prof": { type: "boolean", default: false },
    header: { type: "string", multiple: true },
    sessions: { type: "string", default: "1" },
    connections: { type: "string", default: String(PAGE_CONNECTIONS) },
    "node-flags": { type: "string", multiple: true },
  },
});

requireWrk();
const paths = args.path ?? ["/profile"];
const dists = (args.dist ?? ["dist"]).map((d) => resolve(d));
const seconds = Number(args.seconds);
// Extra request headers, e.g. the forwarded ones the verify route reads (its host is REDIRECT_HOSTS').
const extra = Object.fromEntries((args.header ?? []).map((h) => [h.slice(0, h.indexOf(":")).trim().toLowerCase(), h.slice(h.indexOf(":") + 1).trim()]));
const dir = { path: mkdtempSync(join(tmpdir(), "latchkey-try-")) };
const sink = await new BenchSink().start();
const secretKey = randomBytes(32).toString("base64url");
const databases: Array<{ drop(): Promise<void> }> = [];
const apps: Array<{ dist: string; app: App; cookies: string[] }> = [];
process.once("SIGINT", () => (killAll(), process.exit(130)));

try {
  for (const [i, dist] of dists.entries()) {
    const database = await createTestDatabase(args.db as TestDialect);
    databases.push(database);
    const app = await startApp(dir, { name: `try-${i}`, databaseUrl: database.url, smtpUrl: sink.url, secretKey, cli: join(dist, "cli.js"), nodeFlags: [...(args["node-flags"]?.[i]?.split(" ").filter(Boolean) ?? []), ...(args["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", join(dir.path, `prof-${i}`)] : [])] });
    const cookies = [await signedInUser(app.baseUrl, sink, `try-${i}@example.com`)];
    while (cookies.length < Number(args.sessions)) cookies.push(await signIn(app.baseUrl, `try-${i}@example.com`));
    for (const path of paths) await expectStatus(app.baseUrl + path, 200, { headers: { ...extra, cookie: cookies[0]! } });
    apps.push({ dist, app, cookies });
  }
  const load = (a: (typeof apps)[number], path: string, s: number) =>
    withCpu(a.app.pid, () =>
      wrk({
        url: a.app.baseUrl + path,
        seconds: s,
        connections: Number(args.connections),
        headers: extra,
        script: "sessions.lua",
        env: { WRK_COOKIES: a.cookies.join("\n") },
      }),
    );
  for (const a of apps) for (const path of paths) await load(a, path, 2); // warm-up
  const configs = Object.fromEntries(apps.flatMap((a, i) => paths.map((path) => [`${i} ${path}`, () => load(a, path, seconds)])));
  const results = await alternate(Number(args.runs), configs);
  console.log(`\n${args.db}, ${args.runs} × ${seconds} s, ${args.connections} connections (median)`);
  for (const [key, rs] of Object.entries(results)) {
    const [i, path] = key.split(" ") as [string, string];
    const rps = median(rs.map((r) => r.rps));
    const µs = median(rs.map((r) => r.cpu.main * 1000));
    const p99 = median(rs.map((r) => r.p99));
    console.log(`${dists[Number(i)]!.padEnd(40)} ${path.padEnd(16)} ${rps.toFixed(0).padStart(7)} req/s  ${µs.toFixed(1).padStart(6)} µs/request  p99 ${p99.toFixed(2)} ms`);
  }
} finally {
  for (const a of apps) await a.app.stop();
  if (args["cpu-prof"]) for (const [i, a] of apps.entries()) profileTop(join(dir.path, `prof-${i}`), a.dist);
  for (const d of databases) await d.drop();
  await sink.stop();
}

/** The hottest functions of the one .cpuprofile in `profDir` (self time; inclusive time in src/). */
function profileTop(profDir: string, title: string): void {
  const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) return console.log(`no profile in ${profDir}`);
  console.log(`\n${title}: ${join(profDir, file)}`);
  const top = new URL("./profile-top.ts", import.meta.url).pathname;
  spawnSync(process.execPath, ["--import", "tsx", top, join(profDir, file), "30", "/"], { stdio: "inherit" });
}
