import { createRequire } from "node:module";
import { hideExperimentalWarnings } from "../experimental-warnings.ts";

/**
 * One SQLite connection, from whichever engine this Node has (docs/decisions/008): Node's own
 * `node:sqlite` where it is complete (Node ≥ 22.16 and 24), better-sqlite3 12 on Node 20.
 * better-sqlite3 12 aborts Node 24.19–24.21 when a statement is garbage-collected, and node:sqlite
 * needs no native build. The shape is the one Kysely's SqliteDialect and prepared.ts use.
 */
export interface SqliteStatement {
  /** True when the statement returns rows (a SELECT, or a write with RETURNING). */
  readonly reader: boolean;
  all(parameters: readonly unknown[]): unknown[];
  run(parameters: readonly unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(parameters: readonly unknown[]): IterableIterator<unknown>;
}

export interface SqliteConnection {
  readonly engine: "node:sqlite" | "better-sqlite3";
  prepare(sql: string): SqliteStatement;
  /** Runs SQL without results (pragmas, several statements). */
  exec(sql: string): void;
  readonly inTransaction: boolean;
  close(): void;
}

/** The parts of node:sqlite used here (@types/node stays at Node 20's API). */
interface NodeStatementSync {
  columns(): Array<{ name: string }>;
  setReturnArrays?(enabled: boolean): void;
  all(...parameters: unknown[]): unknown[];
  run(...parameters: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...parameters: unknown[]): IterableIterator<unknown>;
}
interface NodeDatabaseSync {
  prepare(sql: string): NodeStatementSync;
  exec(sql: string): void;
  readonly isTransaction?: boolean;
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean }) => NodeDatabaseSync;
}

export function openSqliteFile(file: string, options: { readonly?: boolean } = {}): SqliteConnection {
  const nodeSqlite = loadNodeSqlite();
  if (nodeSqlite) {
    const database = new nodeSqlite.DatabaseSync(file, { readOnly: options.readonly ?? false });
    if (typeof database.isTransaction === "boolean" && database.prepare("select 1").setReturnArrays) return fromNodeSqlite(database);
    database.close(); // Node 22.13–22.15: no isTransaction (prepared.ts needs it) nor setReturnArrays yet
  }
  return fromBetterSqlite(new (loadBetterSqlite())(file, { readonly: options.readonly ?? false }));
}

/** better-sqlite3 is an optional dependency: only Node 20 (and 22 before 22.16) needs it. */
function loadBetterSqlite(): typeof import("better-sqlite3") {
  try {
    return createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");
  } catch (err) {
    throw new Error(
      `SQLite on Node ${process.versions.node} needs better-sqlite3, which did not install (run npm install again and read its build output), or Node 22.16+/24`,
      { cause: err },
    );
  }
}

let loaded: NodeSqliteModule | null | undefined;

/**
 * node:sqlite, when this Node has it (22.13+, 24), else null. Node 22 still
 * flags the module experimental: its one ExperimentalWarning about SQLite is not printed (only
 * that warning; experimental-warnings.ts); Node 24 prints none.
 */
function loadNodeSqlite(): NodeSqliteModule | null {
  if (loaded !== undefined) return loaded;
  hideExperimentalWarnings("SQLite is an experimental feature");
  const module = process.getBuiltinModule?.("node:sqlite") as NodeSqliteModule | undefined;
  loaded = module ?? null;
  return loaded;
}

function fromNodeSqlite(database: NodeDatabaseSync): SqliteConnection {
  return {
    engine: "node:sqlite",
    prepare: (sql) => nodeStatement(database.prepare(sql)),
    exec: (sql) => database.exec(sql),
    get inTransaction() {
      return database.isTransaction!;
    },
    close: () => database.close(),
  };
}

/** What both engines' statements do when asked for rows as arrays. */
interface ArrayStatement {
  readonly names: readonly string[];
  all(parameters: readonly unknown[]): unknown[][];
  run(parameters: readonly unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(parameters: readonly unknown[]): IterableIterator<unknown[]>;
}

/**
 * Rows come back from either engine as arrays and are made into plain objects here. The engines'
 * own row objects cost more: better-sqlite3 makes each column name a V8 string again on every
 * row (a bare node:http server answering with the 17-column session lookup, side by side: 7.2k
 * req/s with its row objects, 20.5k with arrays made into objects here), and node:sqlite's have a
 * null prototype (unlike pg's) and are slower to copy (1.1 µs against 2.6 µs for a six-column row
 * on Node 24; bench/sqlite-engines.ts).
 */
class RowStatement implements SqliteStatement {
  readonly reader: boolean;
  constructor(private readonly statement: ArrayStatement) {
    this.reader = statement.names.length > 0;
  }
  all(parameters: readonly unknown[]) {
    const rows: unknown[] = this.statement.all(parameters);
    for (let i = 0; i < rows.length; i++) rows[i] = this.row(rows[i] as unknown[]);
    return rows;
  }
  run(parameters: readonly unknown[]) {
    return this.statement.run(parameters);
  }
  *iterate(parameters: readonly unknown[]) {
    for (const values of this.statement.iterate(parameters)) yield this.row(values);
  }
  private row(values: unknown[]): Record<string, unknown> {
    const { names } = this.statement;
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
    return row;
  }
}

/** node:sqlite takes parameters as arguments (Kysely hands over one array). */
function nodeStatement(statement: NodeStatementSync): SqliteStatement {
  const names = statement.columns().map((column) => column.name);
  statement.setReturnArrays!(true);
  return new RowStatement({
    names,
    all: (parameters) => statement.all(...parameters) as unknown[][],
    run: (parameters) => statement.run(...parameters),
    iterate: (parameters) => statement.iterate(...parameters) as IterableIterator<unknown[]>,
  });
}

/** better-sqlite3 binds an array as positional values; raw mode is its rows as arrays (readers only). */
function betterStatement(statement: import("better-sqlite3").Statement<unknown[]>): SqliteStatement {
  const names = statement.reader ? statement.columns().map((column) => column.name) : [];
  if (statement.reader) statement.raw(true);
  return new RowStatement({
    names,
    all: (parameters) => statement.all(parameters) as unknown[][],
    run: (parameters) => statement.run(parameters),
    iterate: (parameters) => statement.iterate(parameters) as IterableIterator<unknown[]>,
  });
}

function fromBetterSqlite(database: import("better-sqlite3").Database): SqliteConnection {
  return {
    engine: "better-sqlite3",
    prepare: (sql) => betterStatement(database.prepare(sql)),
    exec: (sql) => void database.exec(sql),
    get inTransaction() {
      return database.inTransaction;
    },
    close: () => void database.close(),
  };
}
