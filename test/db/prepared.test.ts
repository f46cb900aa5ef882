import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { migrate, openDb, type Db } from "../../src/db/index.ts";
import { prepared } from "../../src/db/prepared.ts";
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

for (const dialect of await testDialects()) {
  describe(`prepared queries (${dialect})`, () => {
    let db!: Db;
    migratedDatabase(dialect, (opened) => (db = opened));
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
      let read: Promise<unknown> | undefined;
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
  });
}
