import type { Compilable, CompiledQuery, Kysely } from "kysely";
import { sha256 } from "../secrets.ts";
import type { Db } from "./index.ts";
import type { Database } from "./schema.ts";
import type { SqliteStatement } from "./sqlite.ts";

/** Stands in for the i-th argument while the query is built and compiled. */
class Slot {
  constructor(readonly index: number) {}
}

const MAX_ARGS = 8;

interface Compiled<R> {
  readonly query: CompiledQuery<R>;
  /** PostgreSQL: the server-side prepared statement's name (parsed and planned once per connection). */
  readonly name: string;
  /** For each SQL parameter: the argument it takes, or -1 for a constant of the query. */
  readonly sources: readonly number[];
  /** SQLite: the statement, prepared once on the connection. */
  readonly statement?: SqliteStatement;
}

/**
 * A query that Kysely builds and compiles once per database, then runs with new values: the
 * per-request queries (the session behind every signed-in page) skip the query builder and
 * compiler, about 10 µs each, while the SQL is still Kysely's. On PostgreSQL it also runs as a
 * server-side prepared statement (measured: GET /profile 3.5k → 4.9k req/s, median of 3).
 * `build` must use its arguments only as values (never to choose columns or branches): they
 * are placeholders while it runs. SQLite's rows come back at once, without a promise (a SQLite
 * error is thrown where it is called); the other paths return a promise.
 */
export function prepared<A extends unknown[], R>(build: (kysely: Kysely<Database>, ...args: A) => Compilable<R>) {
  const byDb = new WeakMap<Db, Compiled<R>>();
  return (db: Db, ...args: A): MaybePromise<R[]> => {
    let compiled = byDb.get(db);
    if (!compiled) {
      const slots = Array.from({ length: MAX_ARGS }, (_, i) => new Slot(i));
      const query = build(db.kysely, ...(slots as unknown as A)).compile();
      const name = `lk_${sha256(query.sql).slice(0, 24)}`;
      const sources = query.parameters.map((p) => (p instanceof Slot ? p.index : -1));
      compiled = { query, name, sources, ...(db.sqlite ? { statement: db.sqlite.prepare(query.sql) } : {}) };
      byDb.set(db, compiled);
    }
    const { query, name, sources, statement } = compiled;
    const parameters = query.parameters.map((p, i) => (sources[i]! >= 0 ? args[sources[i]!] : p));
    // SQLite: straight to the statement, unless a transaction is open on the (one) connection:
    // then Kysely queues the query behind it, so it never reads uncommitted rows.
    if (statement && !db.sqlite!.inTransaction) return statement.all(parameters) as R[];
    // PostgreSQL: a named statement, so each connection parses and plans it once (through a
    // pooler, that needs session mode or PgBouncer ≥ 1.21's max_prepared_statements).
    if (db.pgPool) return db.pgPool.query<R & object>({ name, text: query.sql, values: parameters }).then((result) => result.rows);
    return db.kysely.executeQuery<R>({ ...query, parameters }).then((result) => result.rows as R[]);
  };
}

/** A value now, or a promise of it: what a prepared query returns (SQLite answers at once). */
export type MaybePromise<T> = T | Promise<T>;

/** Keys in one batch at most; a busier turn of the event loop sends several. */
const MAX_BATCH = 100;

interface Waiting<R> {
  readonly key: string;
  resolve(rows: R[] | Promise<R[]>): void;
  reject(err: unknown): void;
}

/** Keys whose rows SQLite remembers between two commits at most. */
const MAX_REMEMBERED = 10_000;

/**
 * A lookup by one key (`single`) that every request makes (the session behind a cookie), made
 * cheaper without ever answering from a read older than the request. The keys asked for in one
 * turn of the event loop (the requests read from every socket that was ready) are answered
 * together at `setImmediate`, once all of them were asked; a batch is never joined afterwards, so
 * every caller's rows are read after it asked. Then, by engine:
 *
 * - PostgreSQL: one query over all the batch's keys (`many`, e.g. `= any($1)`), each caller
 *   getting the rows whose `keyOf` is its key: one round trip through `pg` (a socket write, a
 *   parse of its answer) per turn instead of one per request.
 * - SQLite: a key's rows are remembered until anything at all is committed to the database file,
 *   by this connection or any other (another process too). SQLite's own counters
 *   (`PRAGMA data_version`, `total_changes()`) are read once per batch, so a remembered answer is
 *   exactly what reading again would give. Inside a transaction on this connection each key is
 *   read with `single`, queued behind it.
 *
 * Answering a turn's lookups together also lets the requests' answers go out together: each
 * socket write that finds the client asleep must wake it, which on a VM costs more than the
 * lookup (decision 017).
 */
export function lookupByKey<R>(
  single: (db: Db, key: string) => MaybePromise<R[]>,
  many: (db: Db, keys: string[]) => MaybePromise<R[]>,
  keyOf: (row: R) => string,
): (db: Db, key: string) => Promise<R[]> {
  const gathering = new WeakMap<Db, Waiting<R>[]>();
  const remembered = new WeakMap<Db, { version: string; rows: Map<string, R[]> }>();
  const fromPostgres = async (db: Db, batch: Waiting<R>[]) => {
    try {
      const rows = await many(db, [...new Set(batch.map((w) => w.key))]);
      const byKey = new Map<string, R[]>();
      for (const row of rows) {
        const key = keyOf(row);
        const list = byKey.get(key);
        if (list) list.push(row);
        else byKey.set(key, [row]);
      }
      for (const w of batch) w.resolve(byKey.get(w.key) ?? []);
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  };
  /** One key read on its own and its caller answered; `single` may throw at once (SQLite) or reject. */
  const readAlone = (db: Db, w: Waiting<R>): MaybePromise<R[]> | undefined => {
    try {
      const rows = single(db, w.key);
      w.resolve(rows);
      return rows;
    } catch (err) {
      w.reject(err);
      return undefined;
    }
  };
  const eachAlone = (db: Db, batch: Waiting<R>[]) => {
    for (const w of batch) readAlone(db, w);
  };
  const fromSqlite = (db: Db, batch: Waiting<R>[]) => {
    if (db.sqlite!.inTransaction) return eachAlone(db, batch);
    let version: string;
    try {
      // Read right before the rows, in the same synchronous run: nothing can be committed in between.
      version = commitVersion(db);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    let memo = remembered.get(db);
    if (memo?.version !== version) remembered.set(db, (memo = { version, rows: new Map() }));
    for (const w of batch) {
      const known = memo.rows.get(w.key);
      if (known) {
        w.resolve(known);
        continue;
      }
      const rows = readAlone(db, w);
      if (rows && !(rows instanceof Promise) && memo.rows.size < MAX_REMEMBERED) memo.rows.set(w.key, rows);
    }
  };
  const answer = (db: Db, batch: Waiting<R>[]) => {
    if (db.pgPool) return void fromPostgres(db, batch);
    if (db.sqlite) return fromSqlite(db, batch);
    eachAlone(db, batch);
  };
  return (db, key) =>
    new Promise<R[]>((resolve, reject) => {
      let batch = gathering.get(db);
      if (!batch) {
        const opened: Waiting<R>[] = (batch = []);
        gathering.set(db, opened);
        // setImmediate, not a microtask: node:http runs the microtasks after each socket's data,
        // the check phase comes once every ready socket has been read.
        setImmediate(() => {
          if (gathering.get(db) === opened) gathering.delete(db);
          answer(db, opened);
        });
      }
      batch.push({ key, resolve, reject });
      if (batch.length >= MAX_BATCH) gathering.delete(db);
    });
}

const versionStatements = new WeakMap<Db, readonly [SqliteStatement, SqliteStatement]>();

/**
 * Changes whenever anything is committed to the SQLite file: `data_version` by any other
 * connection (other processes too), `total_changes()` by this one. Two statements: the
 * `pragma_data_version` table in a single query prepares a statement of its own on every call
 * (measured: 4.4 µs more per verify request).
 */
function commitVersion(db: Db): string {
  let statements = versionStatements.get(db);
  if (!statements) versionStatements.set(db, (statements = [db.sqlite!.prepare("pragma data_version"), db.sqlite!.prepare("select total_changes() as c")]));
  const [other] = statements[0].all([]) as Array<{ data_version: number }>;
  const [own] = statements[1].all([]) as Array<{ c: number }>;
  return `${other!.data_version}:${own!.c}`;
}
