import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { accountTotals, cohorts } from "../../src/admin/cohorts.ts";
import type { Db } from "../../src/db/index.ts";
import { migratedDatabase, testDialects, userRow } from "../helpers/databases.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// Wednesday 25 November 2026, 15:00 UTC.
const NOW = Date.UTC(2026, 10, 25, 15);
const TODAY = Date.UTC(2026, 10, 25);
const MONDAY = Date.UTC(2026, 10, 23);

let n = 0;
const user = (registeredOn: number, confirmedAfter: number | null) => userRow(`u${++n}`, registeredOn, confirmedAfter === null ? null : registeredOn + confirmedAfter);

for (const dialect of await testDialects()) {
  describe(`admin cohorts (${dialect})`, () => {
    let db!: Db;
    migratedDatabase(dialect, (opened) => (db = opened));
    const deps = () => ({ db, clock: { now: () => NOW } });

    test("a day's sign-ups are counted by how soon they were confirmed; the windows include their end", async () => {
      const yesterday = TODAY - DAY;
      await db.kysely
        .insertInto("users")
        .values([
          user(yesterday + 1 * HOUR, 30 * MIN),
          user(yesterday + 2 * HOUR, HOUR), // exactly one hour: within 1 hour
          user(yesterday + 3 * HOUR, HOUR + 1),
          user(yesterday + 4 * HOUR, 3 * DAY),
          user(yesterday + 5 * HOUR, 8 * DAY),
          user(yesterday + 6 * HOUR, null),
          user(TODAY + 10 * HOUR, 5 * MIN),
          user(TODAY - 40 * DAY, 5 * MIN), // before the 30 days shown
        ])
        .execute();
      const days = await cohorts(deps(), "day", 30);
      assert.equal(days.length, 30);
      assert.equal(days.at(-1)!.start, TODAY);
      assert.equal(days[0]!.start, TODAY - 29 * DAY);
      const y = days.at(-2)!;
      assert.equal(y.start, yesterday);
      assert.deepEqual({ registered: y.registered, within: y.within, confirmed: y.confirmed }, { registered: 6, within: [2, 3, 4], confirmed: 5 });
      assert.deepEqual({ registered: days.at(-1)!.registered, within: days.at(-1)!.within }, { registered: 1, within: [1, 1, 1] });
      assert.ok(days.slice(0, -2).every((d) => d.registered === 0 && d.confirmed === 0), "days without sign-ups are there, empty");
      assert.equal(days.reduce((s, d) => s + d.registered, 0), 7, "the older account is outside the range");
      assert.ok(y.open, "seven days have not passed for yesterday's cohort");
      assert.ok(!days.at(-9)!.open, "they have for the cohort of nine days ago");
      assert.deepEqual(await accountTotals(deps()), { accounts: 8, confirmed: 7 });
    });

    test("weeks start on Monday (UTC)", async () => {
      await db.kysely
        .insertInto("users")
        .values([user(MONDAY - 1, null), user(MONDAY, null), user(MONDAY - 7 * DAY, null)])
        .execute();
      const weeks = await cohorts(deps(), "week", 12);
      assert.equal(weeks.length, 12);
      assert.equal(weeks.at(-1)!.start, MONDAY);
      assert.equal(weeks.at(-2)!.start, MONDAY - 7 * DAY);
      assert.equal(new Date(weeks[0]!.start).getUTCDay(), 1);
      // This week: MONDAY and everything registered since (the first test's yesterday and today).
      const thisWeek = weeks.at(-1)!;
      const lastWeek = weeks.at(-2)!;
      assert.equal(thisWeek.registered, 1 + 7);
      assert.equal(lastWeek.registered, 2, "Sunday 23:59:59.999 and the Monday before belong to the week before");
    });
  });
}
