import { sql, type RawBuilder } from "kysely";
import type { Dialect } from "./index.ts";

/** Above every character: `prefix + TOP` bounds everything that starts with prefix. */
const TOP = "\u{10FFFF}";

/**
 * `column starts with prefix` as an index range scan (`>= prefix AND < prefix + U+10FFFF`), never
 * LIKE. Comparison must be by code point: SQLite's default BINARY collation is; PostgreSQL's
 * database collation may be linguistic, so there it is spelt `COLLATE "C"`, which the
 * users_email_prefix index (migration 006) carries.
 */
export function startsWith(dialect: Dialect, column: string, prefix: string): RawBuilder<boolean> {
  const col = dialect === "postgres" ? sql`${sql.ref(column)} collate "C"` : sql.ref(column);
  return sql<boolean>`(${col} >= ${prefix} and ${col} < ${prefix + TOP})`;
}
