import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationResultSet } from "kysely";
import pg from "pg";
import { migrations } from "./migrations/index.ts";
import type { Database } from "./schema.ts";
import { openSqliteFile, type SqliteConnection, type SqliteStatement } from "./sqlite.ts";

export type Dialect = "sqlite" | "postgres";

/** The open database: Kysely plus the one fact flows must never branch on, kept here in db/. */
export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /** The PostgreSQL pool, for stores that talk to it directly (rate-limit counters). */
  readonly pgPool?: pg.Pool;
  /** The SQLite connection behind Kysely, for prepared.ts (statements it runs directly). */
  readonly sqlite?: SqliteConnection;
  close(): Promise<void>;
}

const INT8_OID = 20;

export function openDb(url: string): Db {
  if (url.startsWith("sqlite:")) return openSqlite(url.slice("sqlite:".length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  throw new Error("DATABASE_URL must start with sqlite: or postgres://");
}

function openSqlite(path: string): Db {
  const file = path === ":memory:" ? ":memory:" : resolve(path);
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const database = openSqliteFile(file);
  database.exec("pragma journal_mode = WAL");
  database.exec("pragma synchronous = NORMAL");
  database.exec("pragma foreign_keys = ON");
  // A separate `latchkey worker` process may hold the write lock for a moment.
  database.exec("pragma busy_timeout = 5000");
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return { kysely, dialect: "sqlite", sqlite: database, close: () => kysely.destroy() };
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew; preparing was ~13 % of a signed-in page's
 * CPU. The queries are a small fixed set, so prepared statements are kept and reused (one
 * connection, one query at a time, never streamed: a statement is never busy when reused).
 */
function withStatementCache(database: SqliteConnection) {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
        statement = database.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

function openPostgres(connectionString: string): Db {
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    connectionTimeoutMillis: 5000,
    // Times are bigint milliseconds; they fit a JS number exactly.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its server (restart) must not crash the process.
  pool.on("error", () => {});
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { kysely, dialect: "postgres", pgPool: pool, close: () => kysely.destroy() };
}

export async function migrate(db: Db): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => migrations },
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
