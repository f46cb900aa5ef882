/**
 * Where a server's resident memory goes, before and after sign-in load (issue 17):
 *
 *   node --import tsx bench/memory.ts [--gc] [--seconds 10] [--settle 25] [--env NAME=VALUE ...]
 *
 * Starts the built app (SQLite, bench settings), reads /proc/PID/smaps idle, runs wrk with 50
 * connections on POST /login and then 32 on GET /profile, waits `--settle` seconds, and reads it
 * again (with the server's own process.memoryUsage()). Mappings are grouped: the main malloc
 * heap ([heap]), anonymous mappings of 1 MiB or more (the hashing threads' malloc arenas, large
 * blocks), smaller anonymous ones (mostly V8's 256 KiB heap pages), and files. `--env` passes
 * extra environment to the server (e.g. MALLOC_ARENA_MAX=2).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createTestDatabase } from "../test/helpers/databases.ts";
import { appEnv } from "./processes.ts";
import { signedInUser } from "./setup.ts";
import { BenchSink } from "./smtp-sink.ts";
import { loginLoad } from "./scenarios/login.ts";
import { requireWrk, wrk } from "./wrk.ts";

const { values: args } = parseArgs({
  options: { gc: { type: "boolean", default: false }, seconds: { type: "string", default: "10" }, settle: { type: "string", default: "25" }, env: { type: "string", multiple: true } },
});

interface Mapping {
  readonly name: string;
  readonly sizeKb: number;
  readonly rssKb: number;
}

function mappings(pid: number): Mapping[] {
  const out: Mapping[] = [];
  let current: { name: string; sizeKb: number; rssKb: number } | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      if (current) out.push(current);
      current = { name: head[3] ?? "", sizeKb: (parseInt(head[2]!, 16) - parseInt(head[1]!, 16)) / 1024, rssKb: 0 };
    } else if (current && line.startsWith("Rss:")) current.rssKb = Number(/(\d+)/.exec(line)![1]);
  }
  if (current) out.push(current);
  return out;
}

/** RSS in MiB by kind of mapping, plus the server's own view of its V8 heap. */
async function breakdown(pid: number): Promise<Record<string, number | string>> {
  rmSync(usageFile, { force: true });
  process.kill(pid, "SIGUSR2");
  for (let i = 0; i < 100 && !existsSync(usageFile); i++) await sleep(20);
  const usage = JSON.parse(readFileSync(usageFile, "utf8")) as Record<string, number>;
  const sums: Record<string, number> = { total: 0, "[heap] (main malloc)": 0, "anonymous ≥ 1 MiB (arenas, V8 heap, mmapped blocks)": 0, "anonymous < 1 MiB": 0, files: 0 };
  for (const m of mappings(pid)) {
    const mib = m.rssKb / 1024;
    sums.total! += mib;
    if (m.name === "[heap]") sums["[heap] (main malloc)"]! += mib;
    else if (m.name === "") sums[m.sizeKb >= 1024 ? "anonymous ≥ 1 MiB (arenas, V8 heap, mmapped blocks)" : "anonymous < 1 MiB"]! += mib;
    else if (!m.name.startsWith("[")) sums.files! += mib;
  }
  return {
    ...Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, Math.round(v)])),
    "V8 heap total (of which used)": `${usage.heapTotal} (${usage.heapUsed})`,
    "external, array buffers": `${usage.external}, ${usage.arrayBuffers}`,
  };
}

requireWrk();
const sink = await new BenchSink().start();
const database = await createTestDatabase("sqlite");
const port = 20000 + Math.floor(Math.random() * 20000);
const baseUrl = `http://127.0.0.1:${port}`;
const extra = Object.fromEntries((args.env ?? []).map((e) => e.split("=", 2) as [string, string]));
const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
// On SIGUSR2 the server writes process.memoryUsage() (MiB) to this file.
const usageFile = join(tmpdir(), `latchkey-memory-${port}.json`);
const preload = `data:text/javascript,${encodeURIComponent(
  `import { writeFileSync } from "node:fs"; process.on("SIGPWR", () => globalThis.gc?.()); process.on("SIGUSR2", () => writeFileSync(${JSON.stringify(usageFile)}, JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1048576)])))));`,
)}`;
// --gc: a full garbage collection (node --expose-gc) just before the last reading, to see how
// much of the V8 heap after load is garbage not yet collected.
const flags = args.gc ? ["--expose-gc"] : [];
const child = spawn(process.execPath, [...flags, "--import", preload, cli, "serve", "--port", String(port)], {
  env: { PATH: process.env.PATH ?? "", ...appEnv({ databaseUrl: database.url, smtpUrl: sink.url, secretKey: randomBytes(32).toString("base64url"), baseUrl }), ...extra },
  stdio: "ignore",
});
try {
  for (let i = 0; i < 300 && !(await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false)); i++) await sleep(100);
  const email = "memory@example.com";
  const cookie = await signedInUser(baseUrl, sink, email);
  await sleep(2000);
  const idle = await breakdown(child.pid!);
  const load = await loginLoad(baseUrl, email);
  const result = await wrk({ ...load, seconds: Number(args.seconds), connections: 50 });
  const pages = await wrk({ url: `${baseUrl}/profile`, headers: { cookie }, seconds: Number(args.seconds), connections: 32 });
  const loaded = await breakdown(child.pid!);
  await sleep(Number(args.settle) * 1000);
  if (args.gc) {
    process.kill(child.pid!, "SIGPWR");
    await sleep(1000);
  }
  const after = await breakdown(child.pid!);
  console.log(`${process.version}; server env ${JSON.stringify(extra)}${args.gc ? "; gc() before the last reading" : ""}; ${Math.round(result.rps)} sign-ins/s (${result.errors} not 303); ${Math.round(pages.rps)} GET /profile/s`);
  console.log("| RSS, MiB | idle | right after load | idle after load |\n|---|---|---|---|");
  for (const k of Object.keys(idle)) console.log(`| ${k} | ${idle[k]} | ${loaded[k]} | ${after[k]} |`);
} finally {
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  await sink.stop();
  await database.drop();
}
