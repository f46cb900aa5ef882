/**
 * The measurement behind docs/decisions/008: the SQLite engines this Node can load, on the
 * queries that matter (the session lookup behind every signed-in request; a small write
 * transaction like a sign-in), through the same interface the app uses (src/db/sqlite.ts).
 *
 *   node --import tsx bench/sqlite-engines.ts [--better-sqlite3 DIR]
 *
 * `--better-sqlite3 DIR` also measures that build (one compiled for this Node's ABI). The abort of
 * better-sqlite3 12 on Node 24.19–24.21 is bench/sqlite-gc-abort.mjs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openSqliteFile, type SqliteConnection } from "../src/db/sqlite.ts";

const { values } = parseArgs({ options: { "better-sqlite3": { type: "string" } } });
const dir = mkdtempSync(join(tmpdir(), "latchkey-engines-"));
const USERS = 10_000;

function setUp(db: SqliteConnection) {
  db.exec("pragma journal_mode = WAL; pragma synchronous = NORMAL");
  db.exec(`create table users (id text primary key, email text not null unique, password_hash text not null,
    registered_on integer not null, confirmed integer not null, admin integer not null);
    create table sessions (id_hash text primary key, user_id text not null references users(id),
    created_on integer not null, last_seen integer not null, expires_on integer not null)`);
  const user = db.prepare("insert into users values (?, ?, ?, ?, 1, 0)");
  const session = db.prepare("insert into sessions values (?, ?, ?, ?, ?)");
  db.exec("begin");
  for (let i = 0; i < USERS; i++) {
    user.run([`u${i}`, `user${i}@example.com`, "$argon2id$v=19$m=19456,t=2,p=1$xxxxxxxxxxxxxxxxxxxxxx", i]);
    session.run([`s${i}`, `u${i}`, i, i, i + 1e12]);
  }
  db.exec("commit");
}

/** Per second of this process's CPU time (user + system), not wall time: the machine is shared. */
function perSecond(n: number, run: (i: number) => void): number {
  for (let i = 0; i < n / 10; i++) run(i); // warm-up
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) run(i);
  const used = process.cpuUsage(start);
  return Math.round(n / ((used.user + used.system) / 1e6));
}

function measure(name: string, db: SqliteConnection) {
  setUp(db);
  const lookup = db.prepare(
    "select s.user_id, s.last_seen, s.expires_on, u.email, u.confirmed, u.admin from sessions s join users u on u.id = s.user_id where s.id_hash = ?",
  );
  const insert = db.prepare("insert into sessions values (?, ?, ?, ?, ?)");
  const touch = db.prepare("update sessions set last_seen = ? where id_hash = ?");
  const median = (f: () => number) => [f(), f(), f()].sort((a, b) => a - b)[1]!;
  const reads = median(() => perSecond(200_000, (i) => lookup.all([`s${i % USERS}`])));
  let k = 0;
  const writes = median(() =>
    perSecond(20_000, (i) => {
      db.exec("begin");
      insert.run([`n${k++}`, `u${i % USERS}`, i, i, i]);
      touch.run([i, `s${i % USERS}`]);
      db.exec("commit");
    }),
  );
  console.log(`| ${process.version} | ${name} | ${reads.toLocaleString("en")} | ${writes.toLocaleString("en")} |`);
  db.close();
}

const betterSqlite = values["better-sqlite3"]
  ? (createRequire(import.meta.url)(values["better-sqlite3"]) as typeof import("better-sqlite3"))
  : undefined;

{
  console.log("| Node | engine | session lookups per CPU-second | write transactions per CPU-second |\n|---|---|---|---|");
  const viaApp = openSqliteFile(join(dir, "app.db"));
  measure(viaApp.engine, viaApp);
  if (betterSqlite) {
    const database = new betterSqlite(join(dir, "better.db"));
    measure("better-sqlite3 (--better-sqlite3)", {
      engine: "better-sqlite3",
      prepare: (sql) => database.prepare(sql) as never,
      exec: (sql) => void database.exec(sql),
      inTransaction: false,
      close: () => void database.close(),
    });
  }
}
rmSync(dir, { recursive: true, force: true });
