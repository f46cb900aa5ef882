/**
 * npm run bench [-- --quick] [-- --db sqlite|postgres|both] [-- --only pages,login,…] [-- --profile]
 *
 * Builds nothing itself (npm run bench runs `npm run build` first) and asserts nothing: it runs
 * every scenario against the built app in separate processes, prints one table per database and
 * (full runs only, not --quick or --only) writes them to bench/results/latest.md. A scenario that
 * breaks (not one that is slow) makes the exit code non-zero, so CI notices rot but never noise.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import pg from "pg";
import { createTestDatabase, type TestDialect } from "../test/helpers/databases.ts";
import type { BaseContext, Context, Settings } from "./context.ts";
import { killAll, memory, startApp } from "./processes.ts";
import { burstScenario } from "./scenarios/burst.ts";
import { floodScenario } from "./scenarios/flood.ts";
import { forwardAuthScenario } from "./scenarios/forward-auth.ts";
import { loginScenario } from "./scenarios/login.ts";
import { outboxScenario } from "./scenarios/outbox.ts";
import { pagesScenario } from "./scenarios/pages.ts";
import { registerScenario } from "./scenarios/register.ts";
import { scaleScenario } from "./scenarios/scale.ts";
import { BenchSink } from "./smtp-sink.ts";
import { markdown, num, plain, summary, type Row } from "./table.ts";
import { requireWrk } from "./wrk.ts";

/** How long the server rests after the scenarios before its idle memory is read. */
const IDLE_AFTER_LOAD_MS = 25_000;

const SCENARIOS = { pages: pagesScenario, login: loginScenario, burst: burstScenario, flood: floodScenario, register: registerScenario, outbox: outboxScenario, "forward-auth": forwardAuthScenario } as const;
type Name = keyof typeof SCENARIOS | "scale";
const ALL: Name[] = ["pages", "forward-auth", "login", "burst", "flood", "register", "outbox", "scale"];

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    db: { type: "string" },
    only: { type: "string" },
    profile: { type: "boolean", default: false },
  },
});

const RESULTS = new URL("./results/", import.meta.url).pathname;
const PG_URL = process.env.DATABASE_URL_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function chooseDialects(): Promise<TestDialect[]> {
  const db = args.db ?? "both";
  if (db === "sqlite") return ["sqlite"];
  const reachable = await postgresReachable();
  if (db === "postgres") {
    if (!reachable) throw new Error(`--db postgres: no PostgreSQL at ${PG_URL.replace(/\/\/[^@/]*@/, "//…@")}`);
    return ["postgres"];
  }
  if (db !== "both") throw new Error(`--db must be sqlite, postgres or both, not "${db}"`);
  if (!reachable) console.log("PostgreSQL is not reachable on 127.0.0.1:5432: SQLite only.");
  return reachable ? ["sqlite", "postgres"] : ["sqlite"];
}

function chooseScenarios(): Name[] {
  if (!args.only) return ALL;
  const names = args.only.split(",").map((s) => s.trim()) as Name[];
  for (const n of names) if (!ALL.includes(n)) throw new Error(`--only: unknown scenario "${n}" (${ALL.join(", ")})`);
  return names;
}

const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Runs one scenario; a failure becomes a row (and a non-zero exit), not the end of the run. */
async function attempt(rows: Row[], name: string, fn: () => Promise<void>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (err) {
    console.error(`scenario ${name} failed:`, err);
    rows.push({ scenario: name, measure: "FAILED", value: err instanceof Error ? err.message.split("\n")[0]!.slice(0, 120) : String(err) });
    return false;
  }
}

async function benchDatabase(dialect: TestDialect, settings: Settings, names: Name[], shared: { dir: { path: string }; sink: BenchSink; secretKey: string }): Promise<{ rows: Row[]; ok: boolean }> {
  const rows: Row[] = [];
  let ok = true;
  const main = names.filter((n): n is keyof typeof SCENARIOS => n !== "scale");
  if (main.length > 0) {
    const database = await createTestDatabase(dialect);
    const nodeFlags = args.profile ? ["--cpu-prof", "--cpu-prof-dir", RESULTS] : [];
    const app = await startApp(shared.dir, { name: `app-${dialect}`, databaseUrl: database.url, smtpUrl: shared.sink.url, secretKey: shared.secretKey, nodeFlags });
    const idle = memory(app.pid);
    const ctx: Context = { ...settings, ...shared, dialect, app, rows, log: (m) => log(`${dialect} ${m}`) };
    try {
      for (const name of main) ok = (await attempt(rows, name, () => SCENARIOS[name](ctx))) && ok;
      const after = memory(app.pid);
      // The server gives memory back once it has been idle for a while (src/idle-memory.ts).
      await sleep(IDLE_AFTER_LOAD_MS);
      const rested = memory(app.pid);
      rows.push(
        { scenario: "memory: server RSS", measure: "idle (started)", value: `${num(idle.rss)} MB`, target: "< 120 MB", met: idle.rss < 120 },
        { scenario: "memory: server RSS", measure: "after the runs", value: `${num(after.rss)} MB` },
        {
          scenario: "memory: server RSS",
          measure: `idle after the runs (${IDLE_AFTER_LOAD_MS / 1000} s later)`,
          value: `${num(rested.rss)} MB`,
          target: "< 140 MB",
          met: rested.rss < 140,
        },
        { scenario: "memory: server RSS", measure: "peak (VmHWM)", value: `${num(after.peak)} MB`, target: "< 300 MB", met: after.peak < 300 },
      );
    } finally {
      await app.stop();
      await database.drop();
    }
  }
  if (names.includes("scale")) {
    const ctx: BaseContext = { ...settings, ...shared, dialect, rows, log: (m) => log(`${dialect} ${m}`) };
    ok = (await attempt(rows, "scale", () => scaleScenario(ctx))) && ok;
  }
  return { rows, ok };
}

async function main(): Promise<number> {
  requireWrk();
  if (!existsSync(new URL("../dist/cli.js", import.meta.url))) {
    console.error("dist/cli.js is missing: run `npm run build` first (npm run bench does).");
    return 2;
  }
  const settings: Settings = args.quick ? { quick: true, seconds: 3, runs: 1 } : { quick: false, seconds: 10, runs: 3 };
  const dialects = await chooseDialects();
  const names = chooseScenarios();
  const started = new Date();
  const loadBefore = loadavg()[0]!;
  const dir = { path: mkdtempSync(join(tmpdir(), "latchkey-bench-")) };
  const sink = await new BenchSink().start();
  const secretKey = randomBytes(32).toString("base64url");
  log(`${settings.quick ? "quick" : "full"} run: ${dialects.join(" + ")}; logs in ${dir.path}`);

  const sections: string[] = [];
  const tables: Array<[string, Row[]]> = [];
  let ok = true;
  try {
    for (const dialect of dialects) {
      const result = await benchDatabase(dialect, settings, names, { dir, sink, secretKey });
      ok &&= result.ok;
      const title = dialect === "sqlite" ? "SQLite" : "PostgreSQL";
      console.log(`\n${title}\n${plain(result.rows)}\n`);
      sections.push(`### ${title}\n\n${markdown(result.rows)}\n`);
      tables.push([title, result.rows]);
    }
  } finally {
    await sink.stop();
  }
  if (tables.length > 0) console.log(`Targets (informational)\n${summary(tables)}\n`);
  const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1);
  const command = `npm run bench${args.quick ? " -- --quick" : ""}${args.db ? ` -- --db ${args.db}` : ""}${args.only ? ` -- --only ${args.only}` : ""}`;
  const mode = settings.quick
    ? `--quick: ${settings.seconds} s per run, 1 run per configuration (no median), 2,000 outbox mails, scale at 1 k vs 100 k users`
    : `${settings.seconds} s per run, median of ${settings.runs} alternating runs per configuration, 10,000 outbox mails, scale at 1 k vs 1 M users`;
  const header = [
    `## Latchkey benchmarks — ${started.toISOString().slice(0, 16).replace("T", " ")} UTC`,
    "",
    `- command: \`${command}\` (${minutes} min)`,
    `- machine: nproc ${availableParallelism()}, Node ${process.version}, load average ${loadBefore.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end`,
    `- database: ${dialects.map((d) => (d === "sqlite" ? "SQLite (WAL file)" : "PostgreSQL 127.0.0.1:5432")).join(", ")}`,
    `- mode: ${mode}`,
    `- load: wrk, one thread, on 127.0.0.1; the server is \`node dist/cli.js serve\` (NODE_ENV=production, RATE_LIMITS=off, LOG_LEVEL=warn, a fresh database, SMTP to a sink in the bench process). "met?" is informational: nothing here is asserted.`,
    "",
  ].join("\n");
  if (args.only || args.quick) {
    // Only a full run's figures stand for the code: a smoke run (CI) or a subset prints its table only.
    log(`a ${args.quick ? "quick" : "partial"} run: bench/results/latest.md is left as it was`);
  } else {
    mkdirSync(RESULTS, { recursive: true });
    const short = `### Targets\n\n${summary(tables)}\n`;
    writeFileSync(join(RESULTS, "latest.md"), `${header}\n${short}\n${sections.join("\n")}`);
    log(`written to bench/results/latest.md`);
  }
  rmSync(dir.path, { recursive: true, force: true });
  return ok ? 0 : 1;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
