/**
 * Issue 5, failure test 5: PostgreSQL restarts under light load. While it is down, requests
 * fail fast with 503 + Retry-After and /readyz says why; when it is back, the same app process
 * serves again (pool reconnects, the mail worker resumes) without being restarted.
 *
 * The test makes its own throwaway cluster (initdb into a temp dir, its own port, pg_ctl
 * start/stop) and removes it afterwards; the machine's shared server is never touched.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { Client } from "../helpers/client.ts";
import { PASSWORD } from "../helpers/flows.ts";
import { linkPath, SmtpSink } from "../helpers/smtp-sink.ts";
import { BASE_URL, freePort, Processes, roleEnv, signUpAt, sleep, until, type LatchkeyProcess } from "./harness.ts";

const run = promisify(execFile);
const OUTAGE_MS = 3000;

/** The newest installed PostgreSQL's bin directory (Debian layout), if any. */
function pgBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")) && existsSync(join(root, v, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

/** initdb refuses to run as root: as root, the cluster belongs to the `postgres` OS user. */
async function asClusterOwner(cmd: string, args: string[]): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  const [file, argv] = isRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  await run(file, argv, { timeout: 60_000 });
}

class ThrowawayCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "latchkey-pg-"));
  readonly data = join(this.dir, "data");
  port = 0;

  constructor(private readonly bin: string) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async init(): Promise<void> {
    if (process.getuid?.() === 0) {
      const { stdout } = await run("id", ["-u", "postgres"]);
      const { stdout: gid } = await run("id", ["-g", "postgres"]);
      chownSync(this.dir, Number(stdout.trim()), Number(gid.trim()));
    }
    await asClusterOwner(join(this.bin, "initdb"), ["-D", this.data, "-A", "trust", "-U", "postgres", "--no-sync", "--no-instructions"]);
    this.port = await freePort();
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await asClusterOwner(join(this.bin, "pg_ctl"), ["-D", this.data, "-o", options, "-l", join(this.dir, "log"), "-w", "-t", "30", "start"]);
  }

  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    await asClusterOwner(join(this.bin, "pg_ctl"), ["-D", this.data, "-m", mode, "-w", "-t", "30", "stop"]);
  }

  async remove(): Promise<void> {
    if (existsSync(join(this.data, "postmaster.pid"))) await this.stop("immediate").catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface Sample {
  readonly path: string;
  readonly start: number;
  readonly end: number;
  readonly status: number | "error";
  readonly retryAfter: string | null;
  readonly body: string;
}

/** Why the test cannot run here, if it cannot. */
function missing(bin: string | undefined): string | undefined {
  if (!bin) return "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql";
  if (process.getuid?.() !== 0) return undefined;
  try {
    execFileSync("id", ["-u", "postgres"], { stdio: "ignore" });
    execFileSync("runuser", ["--help"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "running as root, but there is no `postgres` OS user (or no runuser) to own the throwaway cluster";
  }
}

const bin = pgBin();
const why = missing(bin);
if (why && process.env.CI === "true") throw new Error(`CI=true but the PostgreSQL restart test cannot run: ${why}`);
const skip = why ?? false;

let cluster: ThrowawayCluster | undefined;
let sink: SmtpSink | undefined;
let procs: Processes | undefined;

after(async () => {
  await procs?.killAll();
  await sink?.stop();
  await cluster?.remove();
});

test("PostgreSQL restarted under light load: fast 503s while it is down, /readyz says why, the app recovers by itself", { skip, timeout: 60_000 }, async () => {
  cluster = new ThrowawayCluster(bin!);
  await cluster.init();
  await cluster.start();
  sink = await new SmtpSink().start();
  procs = new Processes(roleEnv(cluster.url, sink.url));
  const app: LatchkeyProcess = await (await procs.serve("app")).ready();
  const pid = app.child.pid;

  // A signed-in, confirmed user.
  await signUpAt(app.url, "steady@example.com");
  const confirm = new Client(app.url);
  await confirm.get(linkPath(await sink.waitFor("steady@example.com", 1, 15_000), BASE_URL));
  assert.equal((await confirm.post(linkPath(sink.to("steady@example.com")[0]!, BASE_URL))).status, 303);
  const user = new Client(app.url);
  await user.get("/login");
  assert.equal((await user.post("/login", { email: "steady@example.com", password: PASSWORD })).status, 303);

  // Light load: one request every 100 ms, alternating /profile (session lookup) and /readyz.
  const samples: Sample[] = [];
  let loading = true;
  const load = (async () => {
    for (let i = 0; loading; i++) {
      const path = i % 2 === 0 ? "/profile" : "/readyz";
      const start = Date.now();
      try {
        const res = await fetch(`${app.url}${path}`, { headers: { cookie: `session=${user.session}` }, redirect: "manual", signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        samples.push({ path, start, end: Date.now(), status: res.status, retryAfter: res.headers.get("retry-after"), body });
      } catch (err) {
        samples.push({ path, start, end: Date.now(), status: "error", retryAfter: null, body: String(err) });
      }
      await sleep(100);
    }
  })();

  try {
    await sleep(1000);
    const stopping = Date.now();
    await cluster.stop("fast");
    const down = Date.now();

    // A sign-up while the database is away: the page loads (no database needed), the POST is a 503.
    const visitor = new Client(app.url);
    assert.equal((await visitor.get("/register")).status, 200);
    const t0 = Date.now();
    const signup = await visitor.post("/register", { email: "during-outage@example.com", password: PASSWORD, confirm: PASSWORD });
    assert.equal(signup.status, 503, `sign-up during the outage: ${signup.status}`);
    assert.ok(signup.headers.get("retry-after"), "503 carries Retry-After");
    assert.ok(Date.now() - t0 < 2500, `the sign-up failed fast (${Date.now() - t0} ms)`);

    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - down)));
    const upAgainAt = Date.now();
    await cluster.start();
    const up = Date.now();

    // Recovery without a restart: /profile and /readyz answer 200 again.
    await until(
      () => samples.some((s) => s.start > up && s.path === "/profile" && s.status === 200) && samples.some((s) => s.start > up && s.path === "/readyz" && s.status === 200),
      20_000,
      () => `no recovery yet: ${JSON.stringify(samples.slice(-4).map((s) => [s.path, s.status]))}\n${app.output()}`,
    );
    const recoveredIn = Math.max(...[
      samples.find((s) => s.start > up && s.path === "/profile" && s.status === 200)!.end,
      samples.find((s) => s.start > up && s.path === "/readyz" && s.status === 200)!.end,
    ]) - up;
    assert.ok(app.alive && app.child.pid === pid, "the same process, never restarted");

    // And the mail worker resumed: a new sign-up's email arrives.
    await signUpAt(app.url, "after-outage@example.com");
    await sink.waitFor("after-outage@example.com", 1, 15_000);

    loading = false;
    await load;

    const during = samples.filter((s) => s.start >= down && s.end <= upAgainAt);
    console.log(`# PostgreSQL down ${up - down} ms: ${during.length} requests answered meanwhile (max ${Math.max(...during.map((s) => s.end - s.start))} ms); recovered ${recoveredIn} ms after it was back`);
    assert.ok(during.length >= 5, `enough requests during the outage (${during.length})`);
    for (const s of during) {
      assert.equal(s.status, 503, `${s.path} during the outage: ${s.status} ${s.body.slice(0, 200)}`);
      assert.ok(s.end - s.start < 2500, `${s.path} failed fast (${s.end - s.start} ms)`);
      if (s.path === "/profile") assert.ok(s.retryAfter, "503 carries Retry-After");
      if (s.path === "/readyz") {
        const body = JSON.parse(s.body) as { status: string; checks: { database: string } };
        assert.equal(body.status, "unavailable");
        assert.match(body.checks.database, /^error: \S/, "/readyz says why");
      }
    }
    const odd = samples.filter((s) => s.status !== 200 && s.status !== 503);
    assert.deepEqual(odd.map((s) => `${s.path} ${s.status} ${s.body.slice(0, 200)}`), [], "nothing but 200 and 503, ever (no 500, no dropped connection)");
    assert.ok(samples.filter((s) => s.end < stopping).every((s) => s.status === 200), "all well before the outage");
  } finally {
    loading = false;
    await load;
  }
});
