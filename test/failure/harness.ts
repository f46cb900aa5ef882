/**
 * Real `latchkey` processes for the failure tests (issue 5): spawn, wait for /readyz, kill.
 * Every process started here is SIGKILLed by `Processes.killAll()` (call it in `after`), so a
 * failing test never leaves one behind.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { openDb, type Db } from "../../src/db/index.ts";
import { Client } from "../helpers/client.ts";
import { PASSWORD } from "../helpers/flows.ts";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));
const TSCONFIG = fileURLToPath(new URL("../../tsconfig.json", import.meta.url));
// Resolved here, so the children can run in a temp dir (no ./.env from the project is read).
const TSX = import.meta.resolve("tsx");

export const BASE_URL = "http://latchkey.test";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A port nothing listens on right now (the kernel's pick for port 0, released again). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The environment shared by all processes of one test (one database, one SECRET_KEY). */
export function roleEnv(databaseUrl: string, smtpUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    SECRET_KEY: randomBytes(32).toString("base64url"),
    BASE_URL,
    SMTP_URL: smtpUrl,
    LOG_LEVEL: "warn",
    RATE_LIMITS: "off",
    NODE_ENV: "test",
    ...extra,
  };
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class LatchkeyProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  private out = "";
  exit: Exit | undefined;

  constructor(
    readonly name: string,
    readonly args: string[],
    env: Record<string, string>,
    cwd: string,
    readonly port?: number,
  ) {
    this.child = spawn(process.execPath, ["--import", TSX, CLI, ...args, ...(port ? ["--port", String(port)] : [])], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: cwd, TSX_TSCONFIG_PATH: TSCONFIG, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (c: Buffer) => {
      // The last 20 kB are enough to explain a failure.
      this.out = (this.out + c.toString()).slice(-20_000);
    };
    this.child.stdout!.on("data", keep);
    this.child.stderr!.on("data", keep);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get url(): string {
    assert.ok(this.port, `${this.name} has no port`);
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** What the process wrote (logs at LOG_LEVEL=warn, fatal errors). */
  output(): string {
    return this.out;
  }

  client(): Client {
    return new Client(this.url);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive) this.child.kill(sig);
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<Exit> {
    this.signal("SIGKILL");
    return this.exited;
  }

  /** Waits for the exit, at most `ms`; SIGKILLs and fails when it takes longer. */
  async exitWithin(ms: number): Promise<Exit> {
    const timer = setTimeout(() => this.signal("SIGKILL"), ms);
    const exit = await this.exited;
    clearTimeout(timer);
    assert.notEqual(exit.signal, "SIGKILL", `${this.name} did not exit within ${ms} ms\n${this.output()}`);
    return exit;
  }

  /** Polls GET /readyz until it answers 200 (serve only: a worker has no port). */
  async ready(timeoutMs = 30_000): Promise<this> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive) throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before it was ready\n${this.output()}`);
      try {
        const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(3000) });
        await res.arrayBuffer();
        if (res.status === 200) return this;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${timeoutMs} ms\n${this.output()}`);
      await sleep(100);
    }
  }
}

/** The processes of one test. `killAll()` in `after` (and finally) SIGKILLs whatever still runs. */
export class Processes {
  readonly all: LatchkeyProcess[] = [];
  readonly cwd = mkdtempSync(join(tmpdir(), "latchkey-failure-"));

  constructor(readonly env: Record<string, string>) {}

  /** `serve` on a free port (extra args, e.g. --no-worker); not yet ready. */
  async serve(name: string, args: string[] = [], env: Record<string, string> = {}): Promise<LatchkeyProcess> {
    const p = new LatchkeyProcess(name, ["serve", ...args], { ...this.env, ...env }, this.cwd, await freePort());
    this.all.push(p);
    return p;
  }

  worker(name: string, env: Record<string, string> = {}): LatchkeyProcess {
    const p = new LatchkeyProcess(name, ["worker"], { ...this.env, ...env }, this.cwd);
    this.all.push(p);
    return p;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.all.map((p) => p.kill()));
    rmSync(this.cwd, { recursive: true, force: true });
  }

  /** All output, for a failure message. */
  output(): string {
    return this.all.map((p) => `--- ${p.name} ---\n${p.output()}`).join("\n");
  }
}

/** Signs up `email` through the pages of `baseUrl` (GET /register for the CSRF token, then POST). */
export async function signUpAt(baseUrl: string, email: string): Promise<Client> {
  const browser = new Client(baseUrl);
  await browser.get("/register");
  const res = await browser.post("/register", { email, password: PASSWORD, confirm: PASSWORD });
  assert.equal(res.status, 303, `registering ${email} at ${baseUrl}: ${res.status} ${res.text.slice(0, 300)}`);
  return browser;
}

/** Runs `fn` over `items` with at most `n` at a time; rejects with the first failure. */
export async function inParallel<T>(items: readonly T[], n: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
}

/** Polls `check` until it returns true; fails with `describe()` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await sleep(everyMs);
  }
}

/** Opens the test's database directly (SQLite file or PostgreSQL) for assertions. */
export function openTestDb(url: string): Db {
  return openDb(url);
}

export async function count(db: Db, query: string): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`${sql.raw(query)}`.execute(db.kysely);
  return Number(rows[0]?.n ?? 0);
}

/**
 * A TCP forwarder in front of the SMTP sink that can be cut: `cut()` closes the listener and
 * resets every open connection (like the mail server's host going away), `restore()` listens on
 * the same port again. SmtpSink.stop() would instead wait up to 30 s for pooled connections.
 */
export class CuttableLink {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly targetPort: number) {}

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async restore(): Promise<this> {
    const server = createServer((inbound) => {
      const outbound = connect(this.targetPort, "127.0.0.1");
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on("error", () => {});
        s.on("close", () => {
          this.sockets.delete(s);
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    return this;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // destroy(), not resetAndDestroy(): on Node 20 the latter sometimes leaves this test process
    // spinning at exit (in Environment::CleanupHandles) after all tests passed.
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
