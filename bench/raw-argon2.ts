/**
 * The hashing ceiling: @node-rs/argon2 alone, with the app's parameters, `concurrency`
 * operations in flight, for `seconds`. Prints {"opsPerSecond", "ops", "cpuMsPerOp"}. Run in its own process
 * by the bench (the same kind of process as the server, minus HTTP and the database).
 *
 *   node --import tsx bench/raw-argon2.ts hash|verify CONCURRENCY SECONDS
 */
import { hash, verify } from "@node-rs/argon2";
import { ARGON2_PARAMS } from "../src/accounts/passwords.ts";

const [mode = "verify", concurrencyArg = "8", secondsArg = "5"] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const seconds = Number(secondsArg);
const password = "correct horse battery staple";
const stored = await hash(password, ARGON2_PARAMS);
const once = mode === "hash" ? () => hash(password, ARGON2_PARAMS) : () => verify(stored, password);

// Half a second of warm-up, then count what completes within the window.
let counting = false;
let ops = 0;
const start = performance.now() + 500;
const end = start + seconds * 1000;
let cpuAtStart = process.cpuUsage();
setTimeout(() => {
  counting = true;
  cpuAtStart = process.cpuUsage();
}, 500);
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await once();
      if (counting) ops++;
    }
  }),
);
const elapsed = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuAtStart);
console.log(JSON.stringify({ opsPerSecond: ops / elapsed, ops, cpuMsPerOp: (cpu.user + cpu.system) / 1000 / ops }));
