import { PostgresAdapter, sql, type Kysely, type Migration } from "kysely";

/**
 * Issue 14: an address prefix that matches many old accounts (the admin list's worst case:
 * `user5` matches 111 k of 1 M, all older than 400 k others) was answered by reading every match's
 * row for its registration time, then sorting. With the registration time and id in the prefix's
 * index, the same answer is an index-only range scan and a top-50 sort (measured at 1 M users:
 * SQLite 243 → 33 ms, searchAccounts in-process, median of 5; PostgreSQL 107 → 47 ms, EXPLAIN
 * ANALYZE after VACUUM, cold; admin/users.ts).
 * On PostgreSQL it replaces users_email_prefix (same leading column, `COLLATE "C"`, migration
 * 006); on SQLite it comes beside the unique index on email_canonical, which must stay.
 */
export const addressSearch: Migration = {
  async up(db: Kysely<any>) {
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`create index users_email_newest on users (email_canonical collate "C", registered_on, id)`.execute(db);
      await db.schema.dropIndex("users_email_prefix").execute();
    } else {
      await db.schema.createIndex("users_email_newest").on("users").columns(["email_canonical", "registered_on", "id"]).execute();
    }
  },
  async down(db: Kysely<any>) {
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`create index users_email_prefix on users (email_canonical collate "C")`.execute(db);
    }
    await db.schema.dropIndex("users_email_newest").execute();
  },
};
