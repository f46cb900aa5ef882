import type { Kysely, Migration } from "kysely";

/**
 * The counters table of rate-limiter-flexible's PostgreSQL store (its own schema), created
 * here so instances never race to create it. Unused on SQLite (one node: in-memory counters).
 */
export const rateLimits: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("rate_limits")
      .ifNotExists()
      .addColumn("key", "varchar(255)", (c) => c.primaryKey())
      .addColumn("points", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("expire", "bigint")
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable("rate_limits").ifExists().execute();
  },
};
