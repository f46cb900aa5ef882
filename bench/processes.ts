/**
 * The processes under test, each on its own: the built app (`node dist/cli.js serve|worker`),
 * the node:http ceiling, and the raw argon2 loop. Their output goes to log files in the run's
 * temp directory (named in the error when one of them fails).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "dist", "cli.js");

export interface RunDir {
  readonly path: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** bench/NAME.ts (written without type syntax) as a .mjs file plain node can run or preload. */
function plainModule(dir: RunDir, name: string): string {
  const target = join(dir.path, `${name}.mjs`);
  if (!existsSync(target)) copyFileSync(join(ROOT, "bench", `${name}.ts`), target);
  return target;
}

export interface Proc {
  readonly pid: number;
  readonly log: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Ends every process the bench started and that still runs (on Ctrl-C or a kill of the bench). */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
}

/** Counts a child process among those killAll() ends. */
export function track(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
}

function launch(dir: RunDir, name: string, args: string[], env: Record<string, string>): { child: ChildProcess; proc: Proc } {
  const log = join(dir.path, `${name}.log`);
  const fd = openSync(log, "a");
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", fd, fd], cwd: ROOT });
  track(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const proc: Proc = {
    pid: child.pid!,
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await Promise.race([exited, sleep(15_000).then(() => child.kill("SIGKILL"))]);
    },
  };
  return { child, proc };
}

async function untilReady(url: string, child: ChildProcess, log: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before it was ready; see ${log}:\n${readFileSync(log, "utf8").slice(-2000)}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`not ready after 30 s: ${url}; see ${log}`);
}

export interface AppOptions {
  readonly name: string;
  readonly databaseUrl: string;
  readonly smtpUrl: string;
  readonly secretKey: string;
  /** The in-process mail worker (default on, as `latchkey serve` runs by default). */
  readonly worker?: boolean;
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeFlags?: string[];
  /** Another build's cli.js (bench/try.ts compares builds); default this checkout's dist. */
  readonly cli?: string;
}

export interface App extends Proc {
  readonly baseUrl: string;
  /** Event-loop delay (ms) since the previous call; needs the loop-delay preload. */
  loopDelay(): Promise<{ p50: number; p99: number; max: number }>;
}

export function appEnv(o: { databaseUrl: string; smtpUrl: string; secretKey: string; baseUrl: string }): Record<string, string> {
  return {
    NODE_ENV: "production",
    DATABASE_URL: o.databaseUrl,
    SECRET_KEY: o.secretKey,
    SMTP_URL: o.smtpUrl,
    BASE_URL: o.baseUrl,
    RATE_LIMITS: "off",
    LOG_LEVEL: "warn",
    // The verify routes (bench/scenarios/forward-auth.ts), for an app behind nginx at app.example.test.
    FORWARD_AUTH: "on",
    REDIRECT_HOSTS: "app.example.test",
  };
}

/** `node dist/cli.js serve` with the loop-delay preload, rate limits off, a fresh database. */
export async function startApp(dir: RunDir, o: AppOptions): Promise<App> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const delayFile = join(dir.path, `${o.name}.loop-delay.json`);
  const args = [...(o.nodeFlags ?? []), "--import", plainModule(dir, "loop-delay"), o.cli ?? CLI, "serve", "--port", String(port)];
  if (o.worker === false) args.push("--no-worker");
  const env = { ...appEnv({ ...o, baseUrl }), BENCH_LOOP_DELAY_FILE: delayFile };
  const { child, proc } = launch(dir, o.name, args, env);
  await untilReady(`${baseUrl}/readyz`, child, proc.log);
  return {
    ...proc,
    baseUrl,
    async loopDelay() {
      rmSync(delayFile, { force: true });
      child.kill("SIGUSR2");
      for (let i = 0; i < 100 && !existsSync(delayFile); i++) await sleep(20);
      return JSON.parse(readFileSync(delayFile, "utf8")) as { p50: number; p99: number; max: number };
    },
  };
}

/** `node dist/cli.js worker`: drains the outbox of `databaseUrl` to `smtpUrl`. */
export function startWorker(dir: RunDir, o: Omit<AppOptions, "worker">): Proc {
  const env = appEnv({ ...o, baseUrl: "http://127.0.0.1:3000" });
  return launch(dir, o.name, [...(o.nodeFlags ?? []), CLI, "worker"], env).proc;
}

/**
 * A reference "hello" server: the bare node:http ceiling (plain node, the reference for
 * requests per second) or the bare fastify floor (bench/fastify-floor.ts).
 */
export async function startReference(dir: RunDir, which: "ceiling" | "fastify"): Promise<Proc & { baseUrl: string }> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const args = which === "ceiling" ? [plainModule(dir, "ceiling-server")] : ["--import", "tsx", join(ROOT, "bench", "fastify-floor.ts")];
  const { child, proc } = launch(dir, which, args, { PORT: String(port) });
  await untilReady(baseUrl, child, proc.log);
  return { ...proc, baseUrl };
}

export interface RawHashResult {
  readonly opsPerSecond: number;
  readonly ops: number;
  /** CPU time of the whole process per operation, ms. */
  readonly cpuMsPerOp: number;
}

/** bench/raw-argon2.ts in its own process: `mode` with `concurrency` in flight for `seconds`. */
export async function rawArgon2(dir: RunDir, mode: "hash" | "verify", concurrency: number, seconds: number): Promise<RawHashResult> {
  const script = join(ROOT, "bench", "raw-argon2.ts");
  const { child, proc } = launch(dir, `raw-argon2-${mode}`, ["--import", "tsx", script, mode, String(concurrency), String(seconds)], {});
  await new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const line = readFileSync(proc.log, "utf8").trim().split("\n").reverse().find((l) => l.startsWith("{"));
  if (child.exitCode !== 0 || !line) throw new Error(`raw argon2 loop failed; see ${proc.log}`);
  return JSON.parse(line) as RawHashResult;
}

/** Resident memory of a process, in MB: now (VmRSS) and its high-water mark (VmHWM). */
export function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

const CLOCK_TICKS = 100; // USER_HZ: 100 on Linux (getconf CLK_TCK)

/** utime + stime in seconds, from a /proc/…/stat line (fields 14 and 15; counted after "(comm)", which may hold spaces). */
function statSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * CPU seconds used so far by every process named "postgres" on this machine: the local server
 * the PostgreSQL runs talk to, whose work competes for the same cores as the app's.
 */
export function postgresCpu(): number {
  let total = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.includes("(postgres)")) total += statSeconds(stat);
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/**
 * CPU seconds used so far by a process: its main thread (the event loop) and all its other
 * threads (libuv's pool, where argon2 runs; V8's GC helpers), from /proc/<pid>/task/<tid>/stat.
 */
export function threadCpu(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    const seconds = statSeconds(stat);
    if (Number(tid) === pid) main += seconds;
    else others += seconds;
  }
  return { main, others };
}
