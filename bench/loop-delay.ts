/**
 * Preloaded into the server under test (`node --import <copy of this file> dist/cli.js serve`):
 * measures the event loop's delay with monitorEventLoopDelay. On SIGUSR2 it writes the delay
 * percentiles since the previous SIGUSR2 (in ms) to BENCH_LOOP_DELAY_FILE and starts afresh,
 * so the bench can bracket a scenario with two signals. Nothing is added to the app itself.
 *
 * Written without type syntax on purpose: the bench copies it to a .mjs file and plain node
 * runs it, so no TypeScript loader (an extra thread, extra memory) sits in the measured process.
 */
import { writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

const file = process.env.BENCH_LOOP_DELAY_FILE;
// The histogram records the time between the sampling timer's calls, so an idle loop reads
// ≈ RESOLUTION: the delay is what lies beyond it.
const RESOLUTION_MS = 10;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();

process.on("SIGUSR2", () => {
  const [p50, p99, max] = [histogram.percentile(50), histogram.percentile(99), histogram.max].map((ns) => Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS));
  const report = { p50, p99, max };
  histogram.reset();
  if (file) writeFileSync(file, JSON.stringify(report));
});
