// better-sqlite3 12 on Node 24.19–24.21: a garbage-collected statement aborts the process
// (Statement::~Statement → RemoveEnvironmentCleanupHook → "Assertion failed: (env) != nullptr").
// docs/decisions/008. Plain JavaScript on purpose: run without tsx, whose loader thread hid it.
//
//   node --expose-gc bench/sqlite-gc-abort.mjs [DIR of a better-sqlite3 build for this Node]
//
// Exit status 134 (SIGABRT) reproduces the abort; 0 prints "no abort".
import { createRequire } from "node:module";

const BetterSqlite = createRequire(import.meta.url)(process.argv[2] ?? "better-sqlite3");
const database = new BetterSqlite(":memory:");
for (let round = 0; round < 50; round++) {
  for (let i = 0; i < 2000; i++) database.prepare(`select ${i} as n`).all();
  globalThis.gc();
  // Statements are finalised after gc() returns, in later turns of the event loop.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 5));
}
console.log(`${process.version}: prepared and collected 100,000 statements, no abort`);
