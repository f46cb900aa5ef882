import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createAdmin } from "../../src/accounts/admin.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Client } from "../helpers/client.ts";
import { testDialects, userRow } from "../helpers/databases.ts";
import { confirmedUser, PASSWORD, signIn, signUp } from "../helpers/flows.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The text of the cohort table's row for the day starting at `start` (ms UTC). */
function cohortRow(html: string, start: number): string {
  const day = new Date(start).toISOString().slice(0, 10);
  const row = new RegExp(`<tr data-cohort="${day}">(.*?)</tr>`).exec(html)?.[1];
  assert.ok(row, `a row for ${day}`);
  return row.replace(/<[^>]+>/g, "|").replace(/\|+/g, "|");
}

for (const dialect of await testDialects()) {
  describe(`admin dashboard (${dialect})`, () => {
    let app: TestApp;
    let admin: Client;
    let member: Client;
    before(async () => {
      app = await startTestApp({ dialect });
      await createAdmin(app.service.deps, "boss@example.com", async () => PASSWORD);
      admin = (await signIn(app, "boss@example.com")).browser;
      member = await confirmedUser(app, "member@example.com");
    });
    after(() => app.close());

    test("anonymous visitors are sent to sign in and come back, on every /admin path", async () => {
      for (const [path, next] of [
        ["/admin", "%2Fadmin"],
        ["/admin?by=week", "%2Fadmin%3Fby%3Dweek"],
        ["/admin/no-such-page", "%2Fadmin%2Fno-such-page"],
      ]) {
        const res = await app.client().get(path!);
        assert.equal(res.status, 303, path);
        assert.equal(res.location, `/login?next=${next}`);
      }
    });

    test("signed-in accounts that are not admins get a 403, unconfirmed ones too, even where no page exists", async () => {
      const { browser: unconfirmed } = await signUp(app, "fresh@example.com");
      for (const browser of [member, unconfirmed]) {
        for (const path of ["/admin", "/admin/users?q=boss%40example.com", "/admin/no-such-page"]) {
          const res = await browser.get(path);
          assert.equal(res.status, 403, path);
          assert.doesNotMatch(res.text, /Cohorts|data-account=/);
        }
      }
      assert.doesNotMatch((await member.get("/")).text, /href="\/admin"/, "no admin link for members");
    });

    test("an admin sees the dashboard, linked from every page; unknown admin paths are a 404", async () => {
      assert.match((await admin.get("/")).text, /href="\/admin"/);
      const res = await admin.get("/admin");
      assert.equal(res.status, 200);
      assert.match(res.text, /<svg[^>]*role="img"/);
      assert.equal((await admin.get("/admin/no-such-page")).status, 404);
    });

    test("each day's sign-ups show the share confirmed within 1 hour, 1 day, 7 days and ever", async () => {
      const now = app.clock.now();
      const dayStart = Math.floor(now / DAY) * DAY - 3 * DAY;
      const at = (ms: number) => dayStart + ms;
      const rows = [
        [at(HOUR), HOUR / 2],
        [at(2 * HOUR), 5 * HOUR],
        [at(3 * HOUR), 2 * DAY],
        [at(4 * HOUR), null],
      ] as const;
      await app.service.deps.db.kysely
        .insertInto("users")
        .values(rows.map(([registered, after], i) => userRow(`cohort${i}`, registered, after === null ? null : registered + after)))
        .execute();
      const page = await admin.get("/admin");
      assert.equal(cohortRow(page.text, dayStart), "|" + [new Date(dayStart).toISOString().slice(0, 10) + " (still filling)", 4, "25 % (1)", "50 % (2)", "75 % (3)", "75 % (3)"].join("|") + "|");
      const weekly = await admin.get("/admin?by=week");
      assert.equal(weekly.status, 200);
      assert.match(weekly.text, /<th>Week<\/th>/);
      assert.match(weekly.text, /week of \d{4}-\d\d-\d\d/);
    });

    test("an admin finds an account by its address (a prefix of it), in any case, or sees the latest sign-ups", async () => {
      await signUp(app, "newest@example.com");
      const found = await admin.get("/admin/users?q=%20Member%40EXAMPLE.com");
      assert.equal(found.status, 200);
      const rows = [...found.text.matchAll(/<tr data-account="[^"]+">(.*?)<\/tr>/g)].map((m) => m[1]!);
      assert.equal(rows.length, 1);
      assert.match(rows[0]!, /member@example\.com/);
      assert.match(rows[0]!, /1 device</, "the sign-up browser's session");
      assert.doesNotMatch(rows[0]!, /not yet/, "confirmed");

      const none = await admin.get("/admin/users?q=nobody%40example.com");
      assert.equal(none.status, 200);
      assert.match(none.text, /No account matches/);
      assert.doesNotMatch(none.text, /data-account=/);

      const latest = (await admin.get("/admin/users")).text;
      const newest = latest.indexOf("newest@example.com");
      const member = latest.indexOf("member@example.com");
      assert.ok(newest > 0 && member > newest, "newest first");
      assert.match(latest.slice(newest, latest.indexOf("</tr>", newest)), /not yet/, "the newest is unconfirmed");
    });

    test("GET /api/v1/admin/cohorts: the same cohorts as JSON, for admins only", async () => {
      const path = "/api/v1/admin/cohorts";
      const code = (res: { json: <T>() => T }) => res.json<{ error: { code: string } }>().error.code;
      const anonymous = await app.client().get(path);
      assert.deepEqual([anonymous.status, code(anonymous)], [401, "unauthenticated"]);
      const forbidden = await member.get(path);
      assert.deepEqual([forbidden.status, code(forbidden)], [403, "forbidden"]);

      const daily = await admin.get(path);
      assert.equal(daily.status, 200);
      type Body = { period: string; cohorts: Array<{ start: string; registered: number; confirmed_within: { hour: number; day: number; week: number }; confirmed: number; open: boolean }> };
      const body = daily.json<Body>();
      assert.equal(body.period, "day");
      assert.equal(body.cohorts.length, 30);
      // The cohort the earlier test wrote (3 days ago): 4 sign-ups, 1 / 2 / 3 within the windows, 3 in all.
      const day = new Date(Math.floor(app.clock.now() / DAY) * DAY - 3 * DAY).toISOString();
      const cohort = body.cohorts.find((c) => c.start === day);
      assert.deepEqual(cohort, { start: day, registered: 4, confirmed_within: { hour: 1, day: 2, week: 3 }, confirmed: 3, open: true });

      const weekly = (await admin.get(`${path}?by=week`)).json<Body>();
      assert.equal(weekly.cohorts.length, 12);
      assert.equal(new Date(weekly.cohorts[0]!.start).getUTCDay(), 1, "weeks start on Monday");
      const bad = await admin.get(`${path}?by=month`);
      assert.equal(bad.status, 422);
      assert.deepEqual(Object.keys(bad.json<{ error: { fields: object } }>().error.fields), ["by"]);
    });

    test("emails the worker gave up on are listed with their kind, attempts and last error", async () => {
      const now = app.clock.now();
      await app.service.deps.db.kysely
        .insertInto("outbox")
        .values({
          id: "failed-mail-1",
          message_id: "<m1@latchkey.test>",
          kind: "confirm",
          payload: null,
          status: "failed",
          attempts: 7,
          created_at: now - DAY,
          next_attempt_at: now,
          last_error: "550 mailbox unavailable",
        })
        .execute();
      const page = await admin.get("/admin");
      assert.match(page.text, /1 given up on/);
      const row = /<tr data-mail="failed-mail-1">(.*?)<\/tr>/.exec(page.text)?.[1] ?? "";
      assert.match(row, /confirm/);
      assert.match(row, /550 mailbox unavailable/);
      assert.match(row, /<td>7<\/td>/);
    });
  });
}
