import type { Kysely, Migration } from "kysely";

/**
 * Second factors, passkeys and re-authentication (issue 13, SPEC §9). Sessions learn when they
 * were last (re)authenticated and how (`amr`), and may be a pending sign-in that still owes its
 * second factor (`mfa_pending`): such a session opens nothing but /login/2fa.
 */
export const secondFactors: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable("sessions").addColumn("authenticated_at", "bigint").execute();
    await db.schema.alterTable("sessions").addColumn("amr", "text").execute();
    await db.schema.alterTable("sessions").addColumn("mfa_pending", "integer", (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable("sessions").addColumn("mfa_attempts", "integer", (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable("users").addColumn("mfa_failures", "integer", (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable("users").addColumn("mfa_locked_until", "bigint").execute();
    await db.schema.alterTable("users").addColumn("webauthn_user_id", "text").execute();
    await db.schema.createIndex("users_webauthn_user_id").on("users").column("webauthn_user_id").unique().execute();

    await db.schema
      .createTable("totp_credentials")
      .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
      .addColumn("secret_sealed", "text", (c) => c.notNull())
      .addColumn("last_step", "bigint", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("totp_enrollments")
      .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
      .addColumn("session_hash", "text", (c) => c.notNull())
      .addColumn("secret_sealed", "text", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("recovery_codes")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("code_hmac", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("used_at", "bigint")
      .addUniqueConstraint("recovery_codes_user_code", ["user_id", "code_hmac"])
      .execute();
    await db.schema
      .createTable("passkeys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("credential_id", "text", (c) => c.notNull().unique())
      .addColumn("public_key", "text", (c) => c.notNull())
      .addColumn("counter", "bigint", (c) => c.notNull())
      .addColumn("transports", "text")
      .addColumn("backup_eligible", "integer", (c) => c.notNull())
      .addColumn("backed_up", "integer", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("last_used_at", "bigint")
      .execute();
    await db.schema.createIndex("passkeys_user").on("passkeys").column("user_id").execute();
    await db.schema
      .createTable("webauthn_challenges")
      .addColumn("challenge_hash", "text", (c) => c.primaryKey())
      .addColumn("purpose", "text", (c) => c.notNull())
      .addColumn("session_hash", "text")
      .addColumn("user_id", "text")
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("used_at", "bigint")
      .execute();
  },
  async down(db: Kysely<any>) {
    for (const t of ["webauthn_challenges", "passkeys", "recovery_codes", "totp_enrollments", "totp_credentials"]) await db.schema.dropTable(t).execute();
    await db.schema.dropIndex("users_webauthn_user_id").execute();
    for (const c of ["mfa_failures", "mfa_locked_until", "webauthn_user_id"]) await db.schema.alterTable("users").dropColumn(c).execute();
    for (const c of ["authenticated_at", "amr", "mfa_pending", "mfa_attempts"]) await db.schema.alterTable("sessions").dropColumn(c).execute();
  },
};
