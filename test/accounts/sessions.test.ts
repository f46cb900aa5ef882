import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { createSession, deleteExpiredSessions, lookupSession } from "../../src/accounts/sessions.ts";
import { loadConfig } from "../../src/config.ts";
import type { Db } from "../../src/db/index.ts";
import { migratedDatabase, testDialects } from "../helpers/databases.ts";

const HOUR = 3600_000;
const config = loadConfig({ SECRET_KEY: "s".repeat(32), SESSION_IDLE_TTL: "3600", SESSION_ABSOLUTE_TTL: "86400" });
const client = { ip: "127.0.0.1", userAgent: "test" };

for (const dialect of await testDialects()) {
  describe(`session housekeeping (${dialect})`, () => {
    let db!: Db;
    migratedDatabase(dialect, (opened) => (db = opened));

    test("deleteExpiredSessions removes idle and past-absolute sessions and keeps live ones", async () => {
      const t0 = Date.now();
      const userId = randomUUID();
      await db.kysely
        .insertInto("users")
        .values({ id: userId, email: `${userId}@example.com`, email_canonical: `${userId}@example.com`, password_hash: "x", registered_on: t0, confirmed_on: null, confirmation_sent_at: t0 })
        .execute();
      const at = (now: number) => ({ db, config, clock: { now: () => now } });
      // Created at t0 and never seen again: idle after 1 h.
      const idle = await createSession(db.kysely, { config }, { userId, email: `${userId}@example.com`, now: t0, client });
      // Created at t0 and kept busy: dies only at the absolute limit (24 h).
      const busy = await createSession(db.kysely, { config }, { userId, email: `${userId}@example.com`, now: t0, client });
      // Created 30 min before the sweep: alive.
      const fresh = await createSession(db.kysely, { config }, { userId, email: `${userId}@example.com`, now: t0 + 2 * HOUR - HOUR / 2, client });
      assert.ok(await lookupSession(at(t0 + HOUR / 2), busy), "activity at +30 min");
      assert.ok(await lookupSession(at(t0 + HOUR + HOUR / 3), busy), "activity at +1 h 20 min");

      assert.equal(await deleteExpiredSessions(at(t0 + 2 * HOUR)), 1, "only the idle one goes at +2 h");
      assert.equal(await lookupSession(at(t0 + 2 * HOUR), idle), null);
      assert.ok(await lookupSession(at(t0 + 2 * HOUR), fresh), "a live session stays");
      assert.ok(await lookupSession(at(t0 + 2 * HOUR), busy), "a busy session stays");

      const rows = await db.kysely.selectFrom("sessions").select("id_hash").where("user_id", "=", userId).execute();
      assert.equal(rows.length, 2);
      await deleteExpiredSessions(at(t0 + 25 * HOUR));
      const left = await db.kysely.selectFrom("sessions").select("id_hash").where("user_id", "=", userId).execute();
      assert.equal(left.length, 0, "past the absolute limit, even a busy session is swept");
    });
  });
}
