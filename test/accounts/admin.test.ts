import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import pino from "pino";
import { createAdmin } from "../../src/accounts/admin.ts";
import { AccountError } from "../../src/accounts/errors.ts";
import { register } from "../../src/accounts/registration.ts";
import { lookupSession } from "../../src/accounts/sessions.ts";
import { loadConfig } from "../../src/config.ts";
import { openCore, type Core } from "../../src/server.ts";
import { createTestDatabase, testDialects, type TestDatabase } from "../helpers/databases.ts";

const ADMIN_PASSWORD = "operator chosen passphrase";
const CLIENT = { ip: "203.0.113.9", userAgent: "test" };

const neverAsked = () => Promise.reject(new Error("the password must not be asked for"));

for (const dialect of await testDialects()) {
  describe(`createAdmin (${dialect})`, () => {
    let database: TestDatabase;
    let core: Core;

    before(async () => {
      database = await createTestDatabase(dialect);
      const config = loadConfig({ NODE_ENV: "test", DATABASE_URL: database.url, SECRET_KEY: randomBytes(32).toString("base64url"), LOG_LEVEL: "silent" });
      core = await openCore(config, undefined, pino({ level: "silent" }));
    });
    after(async () => {
      await core.deps.db.close();
      await database.drop();
    });

    const user = (canonical: string) =>
      core.deps.db.kysely.selectFrom("users").selectAll().where("email_canonical", "=", canonical).executeTakeFirst();

    test("creates a confirmed admin with the given password", async () => {
      assert.equal(await createAdmin(core.deps, "Boss@Example.com", async () => ADMIN_PASSWORD), "created");
      const row = await user("boss@example.com");
      assert.ok(row);
      assert.equal(row.admin, 1);
      assert.equal(row.confirmed, 1);
      assert.notEqual(row.confirmed_on, null);
      assert.equal(await core.deps.hasher.verify(row.password_hash, ADMIN_PASSWORD), true);
    });

    test("promotes a confirmed account without asking for a password or changing it", async () => {
      const before = await user("boss@example.com");
      await core.deps.db.kysely.updateTable("users").set({ admin: 0 }).where("email_canonical", "=", "boss@example.com").execute();
      assert.equal(await createAdmin(core.deps, "BOSS@example.com", neverAsked), "promoted");
      const row = await user("boss@example.com");
      assert.equal(row?.admin, 1);
      assert.equal(row?.password_hash, before?.password_hash);
    });

    test("an unconfirmed account is not handed admin rights as it stands: the operator's password replaces the squatter's", async () => {
      // Someone signs up with the future admin's address before the operator runs create-admin.
      const squatterPassword = "squatter knows this one";
      const squatterSession = await register(core.deps, { email: "ops@example.com", password: squatterPassword, confirm: squatterPassword }, CLIENT);
      assert.ok(await lookupSession(core.deps, squatterSession), "the squatter is signed in");
      const confirmTokensBefore = await core.deps.db.kysely
        .selectFrom("tokens")
        .select("id")
        .where("used_at", "is", null)
        .where("user_id", "=", (await user("ops@example.com"))!.id)
        .execute();
      assert.ok(confirmTokensBefore.length > 0);

      let asked = false;
      await createAdmin(core.deps, "ops@example.com", async () => {
        asked = true;
        return ADMIN_PASSWORD;
      });
      assert.equal(asked, true, "the operator is asked for a password");
      const row = (await user("ops@example.com"))!;
      assert.equal(row.admin, 1);
      assert.equal(row.confirmed, 1);
      assert.equal(await core.deps.hasher.verify(row.password_hash, ADMIN_PASSWORD), true);
      assert.equal(await core.deps.hasher.verify(row.password_hash, squatterPassword), false, "the squatter's password no longer works");
      assert.equal(await lookupSession(core.deps, squatterSession), null, "the squatter's session is gone");
      const live = await core.deps.db.kysely.selectFrom("tokens").select("id").where("user_id", "=", row.id).where("used_at", "is", null).execute();
      assert.equal(live.length, 0, "the squatter's links are dead");
    });

    test("a weak password creates nothing", async () => {
      await assert.rejects(createAdmin(core.deps, "weak@example.com", async () => "password1"), (err: unknown) => {
        assert.ok(err instanceof AccountError);
        assert.equal(err.code, "invalid_input");
        assert.ok(err.fields?.password);
        return true;
      });
      assert.equal(await user("weak@example.com"), undefined);
    });

    test("an invalid address is refused before any password is asked", async () => {
      await assert.rejects(createAdmin(core.deps, "not an address", neverAsked), (err: unknown) => {
        assert.ok(err instanceof AccountError);
        assert.equal(err.code, "invalid_input");
        assert.ok(err.fields?.email);
        return true;
      });
    });
  });
}
