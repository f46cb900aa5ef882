import type { Kysely, Migration } from "kysely";

/** The append-only audit log (issue 4). No foreign key: events outlive what they describe. */
export const authEvents: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("auth_events")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("user_id", "text")
      .addColumn("ip", "text")
      .addColumn("user_agent", "text")
      .addColumn("outcome", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("auth_events_created_at").on("auth_events").column("created_at").execute();
    await db.schema.createIndex("auth_events_user").on("auth_events").columns(["user_id", "created_at"]).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable("auth_events").execute();
  },
};
