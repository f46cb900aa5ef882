import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { migrate, openDb, type Db } from "../../src/db/index.ts";
import { migrations } from "../../src/db/migrations/index.ts";
import type { Database } from "../../src/db/schema.ts";
import { createTestDatabase, testDialects, type TestDatabase } from "../helpers/databases.ts";

/**
 * Every column of every table of the Kysely `Database` type. The mapped type makes the compiler
 * reject a missing or extra table or column here, so this list cannot drift from schema.ts;
 * the test then checks the migrated database has exactly these.
 */
type Columns = { [T in keyof Database]: { [C in keyof Database[T]]-?: true } };
const EXPECTED: Columns = {
  users: {
    id: true,
    email: true,
    email_canonical: true,
    password_hash: true,
    registered_on: true,
    confirmed: true,
    confirmed_on: true,
    admin: true,
    confirmation_sent_at: true,
    pending_email: true,
    signup_notice_at: true,
    mfa_failures: true,
    mfa_locked_until: true,
    webauthn_user_id: true,
    disabled_at: true,
    locale: true,
  },
  sessions: {
    id_hash: true,
    public_id: true,
    user_id: true,
    created_at: true,
    last_seen_at: true,
    expires_at: true,
    ip: true,
    user_agent: true,
    signup_email: true,
    signup_password_hash: true,
    signup_resent_at: true,
    authenticated_at: true,
    amr: true,
    mfa_pending: true,
    mfa_attempts: true,
  },
  tokens: {
    id: true,
    token_hash: true,
    user_id: true,
    purpose: true,
    email: true,
    code_hmac: true,
    code_attempts: true,
    created_at: true,
    expires_at: true,
    used_at: true,
  },
  outbox: {
    id: true,
    message_id: true,
    kind: true,
    payload: true,
    status: true,
    attempts: true,
    created_at: true,
    next_attempt_at: true,
    locked_until: true,
    sent_at: true,
    last_error: true,
    endpoint_id: true,
    recipient: true,
  },
  webhook_endpoints: { id: true, url: true, secret: true, events: true, created_at: true },
  auth_events: { id: true, type: true, user_id: true, ip: true, user_agent: true, outcome: true, created_at: true, actor_id: true },
  totp_credentials: { user_id: true, secret_sealed: true, last_step: true, created_at: true },
  totp_enrollments: { user_id: true, session_hash: true, secret_sealed: true, expires_at: true },
  recovery_codes: { id: true, user_id: true, code_hmac: true, created_at: true, used_at: true },
  passkeys: {
    id: true,
    user_id: true,
    credential_id: true,
    public_key: true,
    counter: true,
    transports: true,
    backup_eligible: true,
    backed_up: true,
    name: true,
    created_at: true,
    last_used_at: true,
  },
  webauthn_challenges: { challenge_hash: true, purpose: true, session_hash: true, user_id: true, expires_at: true, used_at: true },
};

/** Tables that exist for a library, not for Kysely queries. */
const LIBRARY_TABLES = new Set(["rate_limits"]);

for (const dialect of await testDialects()) {
  describe(`migrations (${dialect})`, () => {
    let database: TestDatabase;
    let db: Db;
    before(async () => {
      database = await createTestDatabase(dialect);
      db = openDb(database.url);
    });
    after(async () => {
      await db.close();
      await database.drop();
    });

    test("all migrations apply to an empty database, and the schema matches the Kysely types", async () => {
      const { results = [] } = await migrate(db);
      assert.deepEqual(
        results.map((r) => [r.migrationName, r.status]),
        Object.keys(migrations).map((name) => [name, "Success"]),
      );
      const tables = await db.kysely.introspection.getTables();
      const found = Object.fromEntries(
        tables.filter((t) => !LIBRARY_TABLES.has(t.name)).map((t) => [t.name, t.columns.map((c) => c.name).sort()]),
      );
      const expected = Object.fromEntries(Object.entries(EXPECTED).map(([table, cols]) => [table, Object.keys(cols).sort()]));
      assert.deepEqual(found, expected);
    });

    test("migrating again is a no-op", async () => {
      const { results = [] } = await migrate(db);
      assert.deepEqual(results, []);
    });
  });
}
