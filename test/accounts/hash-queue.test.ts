import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AccountError } from "../../src/accounts/errors.ts";
import { HashQueue } from "../../src/accounts/hash-queue.ts";

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const isUnavailable = (err: unknown) => err instanceof AccountError && err.code === "unavailable";

/** A clock the test moves: each job "takes" as long as the test says. */
function testClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/** A job that runs until the test opens its gate. */
function gated(ran: number[], i: number) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return { open: () => open(), job: () => (ran.push(i), gate.then(() => i)) };
}

describe("HashQueue", () => {
  test("never runs more than N at once, runs every job, and a failing job frees its slot", async () => {
    const queue = new HashQueue(3, Infinity);
    let active = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const results = Array.from({ length: 10 }, (_, i) =>
      queue
        .run(async () => {
          peak = Math.max(peak, ++active);
          await new Promise<void>((resolve) => releases.push(resolve));
          active--;
          if (i % 3 === 0) throw new Error(`job ${i} failed`);
          return i;
        })
        .then(() => "fulfilled", () => "rejected"),
    );
    await settle();
    assert.equal(releases.length, 3, "only N start");
    while (releases.length > 0) {
      releases.shift()!();
      await settle();
      assert.ok(active <= 3, `active ${active} > 3`);
    }
    assert.deepEqual(await Promise.all(results), Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? "rejected" : "fulfilled")));
    assert.equal(peak, 3);
  });

  test("with N = 1, jobs run strictly one after another, in order", async () => {
    const queue = new HashQueue(1, Infinity);
    const events: string[] = [];
    await Promise.all(
      [0, 1, 2, 3].map((i) =>
        queue.run(async () => {
          events.push(`start ${i}`);
          await settle();
          events.push(`end ${i}`);
        }),
      ),
    );
    assert.deepEqual(events, ["start 0", "end 0", "start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
  });

  test("admits by expected wait: refused only past the budget, with Retry-After from that wait", async () => {
    // Before any measurement a hash is assumed to take 50 ms; budget 5 s, one slot: 100 may wait.
    const queue = new HashQueue(1, 5000, { alwaysAdmitted: 0, now: testClock().now });
    const ran: number[] = [];
    const first = gated(ran, 0);
    const accepted = [queue.run(first.job)];
    for (let i = 1; i <= 100; i++) accepted.push(queue.run(async () => (ran.push(i), i)));
    assert.equal(queue.queued, 100);
    await assert.rejects(queue.run(async () => ran.push(-1)), (err: unknown) => isUnavailable(err) && (err as AccountError).retryAfter === 6);
    first.open();
    assert.equal((await Promise.all(accepted)).length, 101);
    assert.ok(!ran.includes(-1), "the refused job never ran");
  });

  test("the expected wait follows the measured time of a hash, shared over the slots", async () => {
    const clock = testClock();
    const queue = new HashQueue(2, 900, { alwaysAdmitted: 0, now: clock.now });
    for (let i = 0; i < 30; i++) await queue.run(async () => clock.advance(400)); // hashes take 400 ms now
    const first = gated([], 0);
    const second = gated([], 1);
    const running = [queue.run(first.job), queue.run(second.job)];
    assert.equal(queue.expectedWaitMs() > 190 && queue.expectedWaitMs() <= 200, true, `one ahead of two slots: ~200 ms, got ${queue.expectedWaitMs()}`);
    const waiting = [1, 2, 3, 4].map(() => queue.run(async () => "done")); // waits of ~200, 400, 600, 800 ms
    await assert.rejects(queue.run(async () => "never"), isUnavailable, "a fifth would wait ~1000 ms, over the 900 ms budget");
    first.open();
    second.open();
    assert.deepEqual(await Promise.all(waiting), ["done", "done", "done", "done"]);
    await Promise.all(running);
  });

  test("a waiting job whose client has gone leaves the queue, never runs, and no longer counts", async () => {
    const queue = new HashQueue(1, 5000, { alwaysAdmitted: 0, now: testClock().now });
    const ran: number[] = [];
    const first = gated(ran, 0);
    const running = queue.run(first.job);
    const clients = Array.from({ length: 5 }, () => new AbortController());
    const left = clients.map((c, i) => queue.run(async () => ran.push(i + 1), c.signal));
    const stays = queue.run(async () => ran.push(99), new AbortController().signal);
    assert.equal(queue.queued, 6);
    for (const c of clients) c.abort();
    assert.equal(queue.queued, 1, "only the job whose client stayed is still waiting");
    for (const p of left) await assert.rejects(p, isUnavailable);
    first.open();
    await running;
    await stays;
    assert.deepEqual(ran, [0, 99], "jobs of clients that left never ran");
  });

  test("a few waiting jobs are admitted even when each hash is slow", async () => {
    const clock = testClock();
    const queue = new HashQueue(1, 100, { alwaysAdmitted: 3, now: clock.now });
    await queue.run(async () => clock.advance(1000)); // one hash took 1 s: any wait is over budget
    const first = gated([], 0);
    const running = queue.run(first.job);
    const waiting = [1, 2, 3].map(() => queue.run(async () => "served"));
    await assert.rejects(queue.run(async () => "never"), (err: unknown) => isUnavailable(err) && (err as AccountError).retryAfter! >= 1);
    first.open();
    assert.deepEqual(await Promise.all(waiting), ["served", "served", "served"]);
    await running;
  });

  test("a client already gone is not queued at all", async () => {
    const queue = new HashQueue(1, 5000);
    const gone = new AbortController();
    gone.abort();
    let ran = false;
    await assert.rejects(queue.run(async () => (ran = true), gone.signal), isUnavailable);
    assert.equal(ran, false);
    assert.equal(await queue.run(async () => "free"), "free", "the slot was never taken");
  });
});
