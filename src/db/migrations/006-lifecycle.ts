import { PostgresAdapter, sql, type Kysely, type Migration } from "kysely";

/**
 * Issue 14: the operator's side and the end of an account's life.
 * - users.disabled_at: a disabled account cannot sign in (null = enabled).
 * - auth_events.actor_id: who did it, when that is not the account itself (an admin).
 * - outbox.recipient: a keyed hash of the address a mail goes to, so deleting an account also
 *   deletes the mail queued to it without opening any sealed body.
 * - Indexes for the admin account list (newest first, keyset on (registered_on, id), per status;
 *   the prefix search is a range scan on the existing unique email_canonical index), the purge of
 *   never-confirmed accounts, and the audit log's filters.
 * Partial indexes carry literal conditions (admin = 1, disabled_at is not null): queries must
 * spell them the same way, as literals, for SQLite to use them.
 */
export const lifecycle: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable("users").addColumn("disabled_at", "bigint").execute();
    await db.schema.alterTable("auth_events").addColumn("actor_id", "text").execute();
    await db.schema.alterTable("outbox").addColumn("recipient", "text").execute();

    // With the address: a broad prefix's page is found by walking this index alone (admin/users.ts).
    await db.schema.createIndex("users_newest").on("users").columns(["registered_on", "id", "email_canonical"]).execute();
    await db.schema.createIndex("users_confirmed_newest").on("users").columns(["confirmed", "registered_on", "id"]).execute();
    await db.schema.createIndex("users_admins_newest").on("users").columns(["registered_on", "id"]).where(sql.ref("admin"), "=", sql.lit(1)).execute();
    await db.schema
      .createIndex("users_disabled_newest")
      .on("users")
      .columns(["registered_on", "id"])
      .where(sql.ref("disabled_at"), "is not", null)
      .execute();
    await db.schema.dropIndex("users_registered_on").execute();
    // The prefix search compares by code point (db/prefix.ts). SQLite's unique index on
    // email_canonical already does; PostgreSQL's follows the database collation, so one more.
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`create index users_email_prefix on users (email_canonical collate "C")`.execute(db);
    }

    await db.schema.createIndex("auth_events_type").on("auth_events").columns(["type", "created_at", "id"]).execute();
    await db.schema.createIndex("auth_events_newest").on("auth_events").columns(["created_at", "id"]).execute();
    await db.schema.dropIndex("auth_events_created_at").execute();
    await db.schema.createIndex("outbox_recipient").on("outbox").column("recipient").execute();
  },
  async down(db: Kysely<any>) {
    if (db.getExecutor().adapter instanceof PostgresAdapter) await db.schema.dropIndex("users_email_prefix").execute();
    for (const i of ["outbox_recipient", "auth_events_newest", "auth_events_type", "users_disabled_newest", "users_admins_newest", "users_confirmed_newest", "users_newest"]) {
      await db.schema.dropIndex(i).execute();
    }
    await db.schema.createIndex("users_registered_on").on("users").column("registered_on").execute();
    await db.schema.createIndex("auth_events_created_at").on("auth_events").column("created_at").execute();
    await db.schema.alterTable("outbox").dropColumn("recipient").execute();
    await db.schema.alterTable("auth_events").dropColumn("actor_id").execute();
    await db.schema.alterTable("users").dropColumn("disabled_at").execute();
  },
};
