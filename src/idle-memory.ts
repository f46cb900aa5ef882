import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const CHECK_EVERY_MS = 10_000;
/** "Idle": the event loop was busy for less than this share of the last interval. */
const IDLE_UTILISATION = 0.02;
/** Collect only when the heap grew this much since the last collection (or start). */
const GROWTH_BYTES = 16 * 1024 * 1024;

/**
 * Gives memory back once a burst of load is over. V8 keeps the heap a burst grew (a young
 * generation at its largest, old-space garbage) until allocation pressure makes it collect, and
 * an idle server allocates almost nothing, so RSS stayed tens of MiB above its start (issue 17;
 * measured with bench/memory.ts: 129 MiB right after sign-in and page load, the same 10 s later,
 * 97 MiB after one full collection). So: every 10 s, if the event loop was idle and the heap
 * has grown by 16 MiB since the last collection, collect once. Nothing runs per request.
 * Returns the function that stops it.
 */
export function releaseMemoryWhenIdle(): () => void {
  const gc = fullCollection();
  if (!gc) return () => {};
  const heapTotal = () => process.memoryUsage().heapTotal;
  let baseline = heapTotal();
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    if (busy < IDLE_UTILISATION && heapTotal() > baseline + GROWTH_BYTES) {
      gc();
      baseline = heapTotal();
    }
  }, CHECK_EVERY_MS).unref();
  return () => clearInterval(timer);
}

/** V8's gc() without starting node with --expose-gc: the flag, then a fresh context that has it. */
function fullCollection(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}
