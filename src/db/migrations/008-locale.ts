import type { Kysely, Migration } from "kysely";

/**
 * Issue 16: the account's language (SPEC §8), stored at sign-up from the page's language and
 * changed by POST /locale while signed in. Emails to the account use it, whoever caused them.
 * Null (accounts from before this migration): DEFAULT_LOCALE.
 */
export const locale: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable("users").addColumn("locale", "text").execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable("users").dropColumn("locale").execute();
  },
};
