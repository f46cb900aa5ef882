import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import pg from "pg";
import { migrate, openDb, type Db } from "../../src/db/index.ts";

export type TestDialect = "sqlite" | "postgres";

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

const PG_BASE = process.env.DATABASE_URL_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";

let pgAvailable: Promise<boolean> | undefined;

async function probePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_BASE, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch (err) {
    if (process.env.CI === "true") {
      throw new Error(`CI=true but PostgreSQL at ${redact(PG_BASE)} is not reachable: ${(err as Error).message}`);
    }
    console.log(`# PostgreSQL not reachable at ${redact(PG_BASE)}: the PostgreSQL half of the suite is SKIPPED (set DATABASE_URL_TEST_PG)`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** SQLite always; PostgreSQL when reachable (and always when CI=true). */
export async function testDialects(): Promise<TestDialect[]> {
  pgAvailable ??= probePostgres();
  return (await pgAvailable) ? ["sqlite", "postgres"] : ["sqlite"];
}

/** A fresh, empty database of the dialect; `drop()` removes it. */
export async function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-test-"));
    return { url: `sqlite:${join(dir, "latchkey.db")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `latchkey_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_BASE });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_BASE);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_BASE });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/**
 * For the enclosing describe(): a fresh, migrated database of the dialect, handed to `opened`
 * before its tests run, closed and dropped after them.
 */
export function migratedDatabase(dialect: TestDialect, opened: (db: Db, url: string) => void): void {
  let database: TestDatabase;
  let db: Db;
  before(async () => {
    database = await createTestDatabase(dialect);
    db = openDb(database.url);
    await migrate(db);
    opened(db, database.url);
  });
  after(async () => {
    await db.close();
    await database.drop();
  });
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//…@");
}

/** A users row written straight to the database (no password work): for tests of what counts accounts. */
export function userRow(id: string, registeredOn: number, confirmedOn: number | null) {
  const email = `${id}@example.com`;
  return { id, email, email_canonical: email, password_hash: "x", registered_on: registeredOn, confirmed: confirmedOn === null ? 0 : 1, confirmed_on: confirmedOn, confirmation_sent_at: null };
}
