/**
 * Runs wrk (the load generator; C, epoll, one thread here) and reads the JSON line that
 * lua/report.lua prints from wrk's done() hook. Load only ever goes to 127.0.0.1.
 */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { track } from "./processes.ts";

export const LUA_DIR = fileURLToPath(new URL("./lua/", import.meta.url));

export interface WrkOptions {
  readonly url: string;
  readonly seconds: number;
  readonly connections: number;
  /** A script in bench/lua (default report.lua: plain GETs). */
  readonly script?: string;
  readonly headers?: Record<string, string>;
  /** Extra environment for the script (WRK_BODY, WRK_CSRF, …). */
  readonly env?: Record<string, string>;
}

export interface WrkResult {
  readonly requests: number;
  readonly rps: number;
  /** Latencies in milliseconds. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** Socket errors and timeouts, plus answers with status ≥ 400. */
  readonly errors: number;
}

const INSTALL_HINT = `wrk is not installed. The benchmarks use it as the load generator:

  sudo apt-get install -y wrk      # Debian/Ubuntu (package "wrk")
  brew install wrk                 # macOS

then run npm run bench again.`;

/** Exits the process with install instructions when wrk is missing. */
export function requireWrk(): void {
  const probe = spawnSync("wrk", ["-v"], { encoding: "utf8" });
  if (probe.error) {
    console.error(INSTALL_HINT);
    process.exit(2);
  }
}

export async function wrk(opts: WrkOptions): Promise<WrkResult> {
  const url = new URL(opts.url);
  if (url.hostname !== "127.0.0.1") throw new Error(`load only goes to 127.0.0.1, not ${url.hostname}`);
  const args = ["-t1", `-c${opts.connections}`, `-d${opts.seconds}s`, "--timeout", "10s", "-s", LUA_DIR + (opts.script ?? "report.lua")];
  for (const [name, value] of Object.entries(opts.headers ?? {})) args.push("-H", `${name}: ${value}`);
  args.push(opts.url);
  const child = spawn("wrk", args, { env: { ...process.env, WRK_LUA_DIR: LUA_DIR.replace(/\/$/, ""), ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  track(child);
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c));
  child.stderr.on("data", (c: Buffer) => (err += c));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const line = /^WRK_JSON (.*)$/m.exec(out)?.[1];
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${err || out}`);
  const r = JSON.parse(line) as Record<string, number>;
  const n = (k: string) => r[k] ?? 0;
  return {
    requests: n("requests"),
    rps: n("requests") / (n("duration_us") / 1e6),
    p50: n("p50") / 1000,
    p90: n("p90") / 1000,
    p99: n("p99") / 1000,
    max: n("max") / 1000,
    errors: n("connect") + n("read") + n("write") + n("status") + n("timeout"),
  };
}
