import { sql, type Kysely, type Migration } from "kysely";

/**
 * Webhook endpoints (issue 12), and deliveries as rows of the one outbox: a row with an
 * `endpoint_id` is a webhook delivery, without one an email (docs/decisions/010-webhooks.md).
 */
export const webhooks: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("webhook_endpoints")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("url", "text", (c) => c.notNull())
      // AES-256-GCM sealed `whsec_…` (key derived from SECRET_KEY): the worker must sign with it.
      .addColumn("secret", "text", (c) => c.notNull())
      // Comma list of event types; null = every event.
      .addColumn("events", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.alterTable("outbox").addColumn("endpoint_id", "text").execute();
    await db.schema
      .createIndex("outbox_endpoint")
      .on("outbox")
      .columns(["endpoint_id", "created_at"])
      .where(sql.ref("endpoint_id"), "is not", null)
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex("outbox_endpoint").execute();
    await db.schema.alterTable("outbox").dropColumn("endpoint_id").execute();
    await db.schema.dropTable("webhook_endpoints").execute();
  },
};
