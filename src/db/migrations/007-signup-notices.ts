import type { Kysely, Migration } from "kysely";

/**
 * Issue 11: the "someone tried to sign up with your address" notice has its own clock, apart
 * from the owner's resend cooldown (users.confirmation_sent_at). A placeholder session's own
 * "send it again" cooldown is kept on that session, so it never touches the owner's either.
 */
export const signupNotices: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable("users").addColumn("signup_notice_at", "bigint").execute();
    await db.schema.alterTable("sessions").addColumn("signup_resent_at", "bigint").execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable("sessions").dropColumn("signup_resent_at").execute();
    await db.schema.alterTable("users").dropColumn("signup_notice_at").execute();
  },
};
