import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { migrate, openDb, type Db } from "../../src/db/index.ts";
import { sql } from "kysely";
import { lookupByKey, prepared } from "../../src/db/prepared.ts";
import { createTestDatabase, migratedDatabase, testDialects } from "../helpers/databases.ts";

const user = (id: string, email: string, registered: number) => ({
  id,
  email,
  email_canonical: email,
  password_hash: "x",
  registered_on: registered,
  confirmed_on: null,
  confirmation_sent_at: null,
});

// Arguments in a different order from their place in the SQL, next to a constant of the query.
const byEmailAndAge = prepared((kysely, minRegistered: number, email: string) =>
  kysely
    .selectFrom("users")
    .select(["id", "registered_on"])
    .where("email_canonical", "=", email)
    .where("confirmed", "=", 0)
    .where("registered_on", ">=", minRegistered),
);

const byId = prepared((kysely, id: string) => kysely.selectFrom("users").select(["id", "email"]).where("id", "=", id));
const byIds = prepared((kysely, ids: string[]) => kysely.selectFrom("users").select(["id", "email"]).where("id", "=", sql<string>`any(${ids})`));

/** lookupByKey(byId, byIds), counting the batch queries it sends (PostgreSQL). */
function countedLookup() {
  const counted = { queries: 0 as number, keys: [] as string[][] };
  const lookup = lookupByKey(byId, (db, ids: string[]) => (counted.queries++, counted.keys.push(ids), byIds(db, ids)), (row) => row.id);
  return { lookup, counted };
}

for (const dialect of await testDialects()) {
  describe(`prepared queries (${dialect})`, () => {
    let db!: Db;
    let url!: string;
    migratedDatabase(dialect, (opened, openedUrl) => ((db = opened), (url = openedUrl)));
    before(async () => {
      await db.kysely.insertInto("users").values([user("u1", "a@example.com", 100), user("u2", "b@example.com", 200)]).execute();
    });

    test("each call runs with its own values, in the right places", async () => {
      assert.deepEqual(await byEmailAndAge(db, 0, "a@example.com"), [{ id: "u1", registered_on: 100 }]);
      assert.deepEqual(await byEmailAndAge(db, 0, "b@example.com"), [{ id: "u2", registered_on: 200 }]);
      assert.deepEqual(await byEmailAndAge(db, 150, "a@example.com"), []);
      assert.deepEqual(await byEmailAndAge(db, 150, "b@example.com"), [{ id: "u2", registered_on: 200 }]);
    });

    test("values stay values: SQL in an argument matches nothing and changes nothing", async () => {
      assert.deepEqual(await byEmailAndAge(db, 0, "' or '1'='1"), []);
      const count = await db.kysely.selectFrom("users").select((e) => e.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 2);
    });

    test("a read while another caller's transaction is open never sees that transaction's rows", async () => {
      let read: unknown;
      await assert.rejects(
        db.kysely.transaction().execute(async (trx) => {
          await trx.insertInto("users").values(user("u3", "c@example.com", 300)).execute();
          read = byEmailAndAge(db, 0, "c@example.com");
          throw new Error("roll back");
        }),
        /roll back/,
      );
      assert.deepEqual(await read, []);
    });

    if (dialect === "postgres") {
      test("PostgreSQL keeps it as a named server-side statement (parsed and planned once per connection)", async () => {
        await byEmailAndAge(db, 0, "a@example.com");
        // The pool hands back the connection it just released: its session has the statement.
        const { rows } = await db.pgPool!.query<{ name: string; statement: string }>("select name, statement from pg_prepared_statements");
        const ours = rows.filter((r) => r.name.startsWith("lk_"));
        assert.equal(ours.length, 1, JSON.stringify(rows));
        assert.match(ours[0]!.statement, /"email_canonical" = \$\d/);
      });
    }

    test("the same query on another database is compiled for that database", async () => {
      const other = await createTestDatabase(dialect);
      const otherDb = openDb(other.url);
      try {
        await migrate(otherDb);
        await otherDb.kysely.insertInto("users").values(user("v1", "a@example.com", 300)).execute();
        assert.deepEqual(await byEmailAndAge(otherDb, 0, "a@example.com"), [{ id: "v1", registered_on: 300 }]);
        assert.deepEqual(await byEmailAndAge(db, 0, "a@example.com"), [{ id: "u1", registered_on: 100 }]);
      } finally {
        await otherDb.close();
        await other.drop();
      }
    });

    test("lookups by key: callers at once each get their own rows, a missing key none", async () => {
      const { lookup, counted } = countedLookup();
      const asked = ["u1", "u2", "nobody", "u1", "u2", "u2", "' or '1'='1"];
      const answers = await Promise.all(asked.map((id) => lookup(db, id)));
      assert.deepEqual(
        answers,
        asked.map((id) => (id === "u1" ? [{ id: "u1", email: "a@example.com" }] : id === "u2" ? [{ id: "u2", email: "b@example.com" }] : [])),
      );
      if (dialect === "postgres") {
        // One query for the whole turn of the event loop, each key once.
        assert.equal(counted.queries, 1);
        assert.deepEqual(counted.keys[0]!.toSorted(), ["' or '1'='1", "nobody", "u1", "u2"]);
      } else {
        assert.equal(counted.queries, 0, "SQLite runs the single-key query");
      }
    });

    test("lookups by key: a key asked after its batch was sent is read again and sees what changed since", async () => {
      const { lookup, counted } = countedLookup();
      const first = lookup(db, "u1");
      await new Promise((resolve) => setImmediate(resolve)); // the batch has gone out
      await db.kysely.updateTable("users").set({ email: "a2@example.com" }).where("id", "=", "u1").execute();
      const second = lookup(db, "u1");
      try {
        assert.deepEqual(await second, [{ id: "u1", email: "a2@example.com" }]);
        await first; // sent before the change: either answer is right for it
        if (dialect === "postgres") assert.equal(counted.queries, 2);
      } finally {
        await db.kysely.updateTable("users").set({ email: "a@example.com" }).where("id", "=", "u1").execute();
      }
    });

    test("lookups by key: a transaction open when the batch is answered is never seen, though it is on the same connection", async () => {
      const { lookup } = countedLookup();
      let read: Promise<unknown> | undefined;
      await assert.rejects(
        db.kysely.transaction().execute(async (trx) => {
          await trx.insertInto("users").values(user("u4", "d@example.com", 400)).execute();
          read = lookup(db, "u4");
          await new Promise((resolve) => setImmediate(resolve)); // the batch is answered now, inside the transaction
          throw new Error("roll back");
        }),
        /roll back/,
      );
      assert.deepEqual(await read, []);
      assert.deepEqual(await lookup(db, "u4"), []);
    });

    if (dialect === "sqlite") {
      test("lookups by key: what another connection (another process) commits to the file is seen on the next lookup", async () => {
        const { lookup } = countedLookup();
        assert.deepEqual(await lookup(db, "u2"), [{ id: "u2", email: "b@example.com" }]);
        assert.deepEqual(await lookup(db, "u2"), [{ id: "u2", email: "b@example.com" }]);
        const other = openDb(url);
        try {
          await other.kysely.updateTable("users").set({ email: "b2@example.com" }).where("id", "=", "u2").execute();
          assert.deepEqual(await lookup(db, "u2"), [{ id: "u2", email: "b2@example.com" }]);
          await other.kysely.deleteFrom("users").where("id", "=", "u2").execute();
          assert.deepEqual(await lookup(db, "u2"), []);
          await other.kysely.insertInto("users").values(user("u2", "b@example.com", 200)).execute();
          assert.deepEqual(await lookup(db, "u2"), [{ id: "u2", email: "b@example.com" }]);
        } finally {
          await other.close();
        }
      });
    }

    if (dialect === "postgres") {
      test("lookups by key: when the batch's query fails, every caller in it gets the error", async () => {
        const failing = lookupByKey(byId, async () => Promise.reject(new Error("database away")), (row: { id: string }) => row.id);
        const results = await Promise.allSettled([failing(db, "u1"), failing(db, "u2")]);
        assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
        for (const r of results) assert.match(String((r as PromiseRejectedResult).reason), /database away/);
      });
    }
  });
}
