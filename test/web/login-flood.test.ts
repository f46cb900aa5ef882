import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { after, before, describe, test } from "node:test";
import { createHasher } from "../../src/accounts/passwords.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Client, Response } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, device, PASSWORD } from "../helpers/flows.ts";

// Issue 4: under a login flood, cheap requests (GET /healthz, signed-in pages) keep answering, and
// hash work that could not start within the wait budget is refused with 503 + Retry-After.
// RATE_LIMITS is off (the default of startTestApp) so that every login reaches the password hash,
// as a flood from many addresses would. No timing is asserted; /healthz latency is printed for
// the notes.

/** The hasher's slots (src/accounts/passwords.ts: one per core). */
const HASH_CONCURRENCY = Math.max(1, availableParallelism());
/** Admission by expected wait (hash-queue.ts); a small budget here, so that 200 at once overflow it. */
const WAIT_BUDGET_MS = 100;

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `n=${s.length} p50=${percentile(s, 0.5).toFixed(1)} ms p99=${percentile(s, 0.99).toFixed(1)} ms max=${s.at(-1)!.toFixed(1)} ms`;
}

/** GET /healthz through fetch; returns status and latency (ms). */
async function healthz(app: TestApp): Promise<{ status: number; ms: number }> {
  const start = performance.now();
  const res = await fetch(new URL("/healthz", app.url));
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - start };
}

function count(statuses: readonly number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

for (const dialect of await testDialects()) {
  describe(`login flood (${dialect})`, () => {
    let app: TestApp;
    let signedIn: Client;
    const email = "flooded@example.com";
    before(async () => {
      app = await startTestApp({ dialect, hasher: createHasher({ waitBudgetMs: WAIT_BUDGET_MS }) });
      signedIn = await confirmedUser(app, email);
      assert.equal((await signedIn.get("/profile")).status, 200);
    });
    after(() => app.close());

    /** One wrong sign-in; half of them for the real account, half for unknown addresses. */
    async function wrongLogin(attacker: Client, i: number): Promise<Response> {
      return attacker.post("/login", { email: i % 2 ? email : `unknown.${i}@example.com`, password: `wrong password ${i}` });
    }

    test("while 50 wrong sign-ins at a time run, /healthz and a signed-in /profile keep answering 200", async (t) => {
      const attacker = await device(app);
      const FLOOD_TOTAL = 250;
      const IN_FLIGHT = 50;
      const loginStatuses: number[] = [];
      let started = 0;
      let flooding = true;
      const worker = async () => {
        while (started < FLOOD_TOTAL) {
          const i = started++;
          loginStatuses.push((await wrongLogin(attacker, i)).status);
        }
      };
      const flood = Promise.all(Array.from({ length: IN_FLIGHT }, worker)).finally(() => {
        flooding = false;
      });

      const latencies: number[] = [];
      const profileStatuses: number[] = [];
      const healthStatuses: number[] = [];
      // Bounded: stops when the flood is over, or after 5,000 rounds whatever happens.
      for (let round = 0; flooding && round < 5000; round++) {
        const h = await healthz(app);
        healthStatuses.push(h.status);
        latencies.push(h.ms);
        profileStatuses.push((await signedIn.get("/profile")).status);
      }
      await flood;

      assert.ok(latencies.length > 0, "cheap requests were made during the flood");
      assert.deepEqual(count(healthStatuses), { 200: healthStatuses.length }, "every /healthz answered 200");
      assert.deepEqual(count(profileStatuses), { 200: profileStatuses.length }, "every signed-in /profile answered 200");
      assert.equal(loginStatuses.length, FLOOD_TOTAL);
      for (const s of loginStatuses) assert.ok(s === 401 || s === 503, `a flooded sign-in answered ${s}`);
      const note = `[${dialect}] /healthz during ${IN_FLIGHT} concurrent logins: ${summary(latencies)}; logins ${JSON.stringify(count(loginStatuses))}; hash concurrency ${HASH_CONCURRENCY}`;
      t.diagnostic(note);
      console.log(note);
    });

    test("hash work beyond the wait budget is refused with 503 + Retry-After, and the server stays responsive", async (t) => {
      const attacker = await device(app);
      const FLOOD = 200;
      const responses = Array.from({ length: FLOOD }, (_, i) => wrongLogin(attacker, i));

      // Once the first answers are back (the queue is full by then), cheap requests still answer.
      await Promise.race(responses);
      const during = await healthz(app);
      const profile = await signedIn.get("/profile");
      const home = await signedIn.get("/");
      const answers = await Promise.all(responses);

      assert.equal(during.status, 200, "/healthz during the flood");
      assert.equal(profile.status, 200, "signed-in /profile during the flood");
      assert.equal(home.status, 200, "GET / during the flood");

      const statuses = answers.map((r) => r.status);
      for (const s of statuses) assert.ok(s === 401 || s === 503, `a flooded sign-in answered ${s}: only 401 or 503 are acceptable`);
      const refused = answers.filter((r) => r.status === 503);
      assert.ok(refused.length > 0, `with ${FLOOD} concurrent sign-ins and a wait budget of ${WAIT_BUDGET_MS} ms, some are refused (got ${JSON.stringify(count(statuses))})`);
      for (const r of refused) {
        assert.match(r.headers.get("retry-after") ?? "", /^[1-9][0-9]*$/, "a 503 carries Retry-After");
        assert.doesNotMatch(r.text, /Request id/, "a 503 is a 'busy' page, not an error page");
      }
      assert.ok(statuses.filter((s) => s === 401).length >= HASH_CONCURRENCY, "the admitted ones were checked normally");

      // After the flood the queue drains: the owner signs in, cheap pages answer.
      const owner = await device(app);
      const login = await owner.post("/login", { email, password: PASSWORD });
      assert.equal(login.status, 303, "the right password works once the flood is over");
      assert.equal((await healthz(app)).status, 200);
      const note = `[${dialect}] ${FLOOD} concurrent sign-ins (wait budget ${WAIT_BUDGET_MS} ms): ${JSON.stringify(count(statuses))}`;
      t.diagnostic(note);
      console.log(note);
    });
  });
}
