import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createAdmin } from "../../src/accounts/admin.ts";
import { ADMIN_ACTIONS, type AdminAction } from "../../src/admin/actions.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Client, Response } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { canSignIn, confirmedUser, isSignedIn, mailsLike, PASSWORD, signIn, signUp, waitForMail } from "../helpers/flows.ts";

const EVENT_OF: Record<AdminAction, string> = {
  "resend-confirmation": "confirmation_resent",
  confirm: "confirmed_by_admin",
  disable: "account_disabled",
  enable: "account_enabled",
  "revoke-sessions": "sessions_revoked",
  "send-reset": "reset_sent",
  "reset-2fa": "mfa_reset",
  "grant-admin": "admin_granted",
  "revoke-admin": "admin_revoked",
  delete: "account_deleted",
};

const code = (res: Response) => res.json<{ error: { code: string } }>().error.code;

function apiPost(browser: Client, path: string): Promise<Response> {
  return browser.request("POST", `/api/v1${path}`);
}

for (const dialect of await testDialects()) {
  describe(`admin actions (${dialect})`, () => {
    let app: TestApp;
    let boss: Client;
    let bossId: string;
    let member: Client;
    let n = 0;
    before(async () => {
      app = await startTestApp({ dialect });
      await createAdmin(app.service.deps, "boss@example.com", async () => PASSWORD);
      boss = (await signIn(app, "boss@example.com")).browser;
      bossId = (await idOf("boss@example.com"))!;
      member = await confirmedUser(app, "member@example.com");
    });
    after(() => app.close());

    async function idOf(email: string): Promise<string | undefined> {
      const row = await app.service.deps.db.kysely.selectFrom("users").select("id").where("email_canonical", "=", email).executeTakeFirst();
      return row?.id;
    }
    async function userRow(id: string) {
      return app.service.deps.db.kysely.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
    }
    /** A new confirmed account and its signed-in browser. */
    async function target(prefix = "target"): Promise<{ email: string; id: string; browser: Client }> {
      const email = `${prefix}${++n}@example.com`;
      const browser = await confirmedUser(app, email);
      return { email, id: (await idOf(email))!, browser };
    }
    /** A new account that has not confirmed its address. */
    async function unconfirmedTarget(): Promise<{ email: string; id: string; browser: Client }> {
      const email = `unconfirmed${++n}@example.com`;
      const { browser } = await signUp(app, email);
      return { email, id: (await idOf(email))!, browser };
    }
    /** Posts an action from the admin's account page (CSRF token from that page). */
    async function act(admin: Client, id: string, action: AdminAction): Promise<Response> {
      await admin.get(`/admin/users/${id}`);
      return admin.post(`/admin/users/${id}/${action}`);
    }
    /** The account's latest audit row (of one type: an action may also write the owner's own rows, e.g. mfa_changed). */
    async function lastEvent(userId: string, type?: string) {
      return app.service.deps.db.kysely
        .selectFrom("auth_events")
        .selectAll()
        .where("user_id", "=", userId)
        .$if(type !== undefined, (q) => q.where("type", "=", type as never))
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .executeTakeFirstOrThrow();
    }

    test("guards: anonymous → 303 to sign in, members → 403, a POST without CSRF → 403; nothing changes", async () => {
      const t = await target();
      const anonymous = app.client();
      await anonymous.get("/login");
      for (const path of [`/admin/users/${t.id}`, "/admin/events", "/admin/mail", "/admin/cohorts.csv"]) {
        const res = await anonymous.get(path);
        assert.equal(res.status, 303, path);
        assert.match(res.location ?? "", /^\/login\?next=/);
        assert.equal((await member.get(path)).status, 403, path);
      }
      await member.get("/profile");
      for (const action of ADMIN_ACTIONS) {
        const anon = await anonymous.post(`/admin/users/${t.id}/${action}`);
        assert.equal(anon.status, 303, `anonymous ${action}`);
        assert.match(anon.location ?? "", /^\/login/);
        assert.equal((await member.post(`/admin/users/${t.id}/${action}`)).status, 403, `member ${action}`);
        assert.equal((await boss.post(`/admin/users/${t.id}/${action}`, {}, { csrf: false })).status, 403, `no CSRF ${action}`);
        assert.equal((await boss.post(`/admin/users/${t.id}/${action}`, { _csrf: "forged" })).status, 403, `forged CSRF ${action}`);
        const api = await apiPost(member, `/admin/users/${t.id}/${action}`);
        assert.equal(api.status, 403);
        assert.equal(code(api), "forbidden");
        assert.equal((await apiPost(app.client(), `/admin/users/${t.id}/${action}`)).status, 401);
      }
      assert.equal((await member.post("/admin/mail/x/retry")).status, 403);
      assert.ok(await isSignedIn(t.browser), "the target kept its session");
      const row = await userRow(t.id);
      assert.ok(row && row.disabled_at === null && row.admin === 0, "the target is unchanged");
      const events = await app.service.deps.db.kysely.selectFrom("auth_events").select("actor_id").where("user_id", "=", t.id).where("actor_id", "is not", null).execute();
      assert.equal(events.length, 0, "nothing was done, nothing audited");
      assert.equal((await act(boss, t.id, "no-such-action" as AdminAction)).status, 404);
    });

    test("every action answers 303 back to the account with a flash message and is audited with the admin as actor and the account as target", async () => {
      for (const action of ADMIN_ACTIONS) {
        const unconfirmed = action === "resend-confirmation" || action === "confirm";
        const t = unconfirmed ? await unconfirmedTarget() : await target(`audit-${action}-`);
        if (action === "enable") await act(boss, t.id, "disable");
        if (action === "revoke-admin") await act(boss, t.id, "grant-admin");
        if (action === "reset-2fa") {
          await app.service.deps.db.kysely.insertInto("recovery_codes").values({ id: `rc-${t.id}`, user_id: t.id, code_hmac: "planted", created_at: 0, used_at: null }).execute();
        }
        const res = await act(boss, t.id, action);
        assert.equal(res.status, 303, action);
        assert.equal(res.location, action === "delete" ? "/admin/users" : `/admin/users/${t.id}`, action);
        const page = await boss.get(res.location!);
        assert.match(page.text, /class="alert info"/, `${action}: a flash message`);
        assert.doesNotMatch((await boss.get(res.location!)).text, /class="alert info"/, `${action}: shown once`);
        const e = await lastEvent(t.id, EVENT_OF[action]);
        assert.equal(e.actor_id, bossId, `${action}: the admin is the actor`);
        if (action === "reset-2fa") {
          assert.equal(e.outcome, "ok", "the planted recovery code was a second factor");
          const left = await app.service.deps.db.kysely.selectFrom("recovery_codes").select("id").where("user_id", "=", t.id).execute();
          assert.equal(left.length, 0, "reset-2fa removed it");
        }
      }
    });

    test("disable: the user's open session is refused on the very next request, sign-in → 403 account_disabled; enable restores sign-in only", async () => {
      const t = await target();
      assert.ok(await isSignedIn(t.browser));
      await act(boss, t.id, "disable");
      assert.equal(await isSignedIn(t.browser), false, "refused at once");
      assert.equal((await t.browser.get("/api/v1/me")).status, 401);
      assert.equal((await signIn(app, t.email)).res.status, 403);
      const page = await boss.get(`/admin/users/${t.id}`);
      assert.match(page.text, /disabled/);
      const listed = await boss.get("/api/v1/admin/users?status=disabled");
      assert.ok(listed.json<{ users: { id: string }[] }>().users.some((u) => u.id === t.id));

      await act(boss, t.id, "enable");
      assert.equal(await isSignedIn(t.browser), false, "no session comes back");
      assert.ok(await canSignIn(app, t.email, PASSWORD));
    });

    test("resend-confirmation and confirm act on an unconfirmed account; send-reset mails a working link; revoke-sessions ends them all", async () => {
      const email = `unconf${++n}@example.com`;
      const { browser } = await signUp(app, email);
      const id = (await idOf(email))!;
      await waitForMail(app, email, /confirm/i);
      await act(boss, id, "resend-confirmation");
      await waitForMail(app, email, /confirm/i, 2);
      await act(boss, id, "confirm");
      assert.equal((await userRow(id))!.confirmed, 1);
      assert.equal((await act(boss, id, "resend-confirmation")).status, 409, "nothing to resend once confirmed");
      assert.equal((await lastEvent(id)).outcome, "refused", "a refusal is audited too");

      await act(boss, id, "send-reset");
      const reset = await waitForMail(app, email, /reset/i);
      const link = /\/reset\/[A-Za-z0-9_-]+/.exec(reset.text)![0];
      assert.equal((await app.client().get(link)).status, 200, "the link works");

      assert.ok(await isSignedIn(browser));
      await act(boss, id, "revoke-sessions");
      assert.equal(await isSignedIn(browser), false);
    });

    test("grant-admin opens /admin to the account, revoke-admin closes it", async () => {
      const t = await target();
      await act(boss, t.id, "grant-admin");
      assert.equal((await t.browser.get("/admin")).status, 200);
      await act(boss, t.id, "revoke-admin");
      assert.equal((await t.browser.get("/admin")).status, 403);
    });

    test("delete: the account and its sessions are gone, the address registers again and receives a fresh confirmation email", async () => {
      const t = await target();
      await act(boss, t.id, "delete");
      assert.equal(await idOf(t.email), undefined);
      assert.equal(await isSignedIn(t.browser), false);
      assert.equal((await boss.get(`/admin/users/${t.id}`)).status, 404);
      await waitForMail(app, t.email, /deleted/i);
      const before = mailsLike(app, t.email, /confirm/i).length;
      await signUp(app, t.email);
      await waitForMail(app, t.email, /confirm/i, before + 1);
      assert.notEqual(await idOf(t.email), t.id);
    });

    test("the last confirmed, enabled admin cannot be demoted, disabled or deleted (409), by page or API", async () => {
      // Admins made by earlier tests step down: boss is the only one.
      await app.service.deps.db.kysely.updateTable("users").set({ admin: 0 }).where("id", "<>", bossId).execute();
      for (const action of ["revoke-admin", "disable", "delete"] as const) {
        const res = await act(boss, bossId, action);
        assert.equal(res.status, 409, action);
        const api = await apiPost(boss, `/admin/users/${bossId}/${action}`);
        assert.equal(api.status, 409);
        assert.equal(code(api), "conflict");
      }
      const row = await userRow(bossId);
      assert.ok(row && row.admin === 1 && row.disabled_at === null);
      assert.ok(await isSignedIn(boss));
    });

    test("two admins demoting (or disabling) each other at the same moment leave exactly one admin", async () => {
      for (const [first, second] of [
        ["revoke-admin", "revoke-admin"],
        ["disable", "disable"],
        ["revoke-admin", "delete"],
      ] as const) {
        const a = await target("admin-a");
        const b = await target("admin-b");
        // Everyone else steps aside for the duration: only a and b are live admins.
        await act(boss, a.id, "grant-admin");
        await act(boss, b.id, "grant-admin");
        await app.service.deps.db.kysely.updateTable("users").set({ admin: 0 }).where("id", "not in", [a.id, b.id]).execute();
        try {
          const results = await Promise.all([apiPost(a.browser, `/admin/users/${b.id}/${first}`), apiPost(b.browser, `/admin/users/${a.id}/${second}`)]);
          const statuses = results.map((r) => r.status).sort();
          // The loser is refused by the last-admin rule (409), or (it lost its rights or its
          // session a moment before its own request was read) as a non-admin (403) or signed out (401).
          assert.equal(statuses[0], 200, `${first} vs ${second}: one wins (${statuses})`);
          assert.ok([401, 403, 409].includes(statuses[1]!), `${first} vs ${second}: the other is refused (${statuses})`);
          const live = await app.service.deps.db.kysely
            .selectFrom("users")
            .select("id")
            .where("admin", "=", 1)
            .where("confirmed", "=", 1)
            .where("disabled_at", "is", null)
            .execute();
          assert.equal(live.length, 1, `exactly one live admin is left (${first} vs ${second}: ${statuses} ${results.map((r) => r.text).join(" / ")})`);
        } finally {
          await app.service.deps.db.kysely.updateTable("users").set({ admin: 1 }).where("id", "=", bossId).execute();
        }
      }
    });

    test("/admin/events lists the audit log newest first with filters by account and type, and an older-events cursor", async () => {
      const t = await target();
      for (let i = 0; i < 3; i++) await act(boss, t.id, "revoke-sessions");
      const res = await boss.get(`/admin/events?user=${t.id}&type=sessions_revoked`);
      assert.equal(res.status, 200);
      assert.equal([...res.text.matchAll(/<tr data-event="sessions_revoked">/g)].length, 3);
      assert.doesNotMatch(res.text, /data-event="register"/);
      const api = (await boss.get(`/api/v1/admin/events?user=${t.id}`)).json<{ events: { type: string; actor_id: string | null }[]; next: string | null }>();
      assert.equal(api.events[0]!.type, "sessions_revoked", "newest first");
      assert.equal(api.events[0]!.actor_id, bossId);
      const all: string[] = [];
      let before: string | null = null;
      do {
        const page: { events: { id: string }[]; next: string | null } = (await boss.get(`/api/v1/admin/events?${new URLSearchParams(before ? { before } : {})}`)).json();
        all.push(...page.events.map((e) => e.id));
        before = page.next;
      } while (before);
      const total = await app.service.deps.db.kysely.selectFrom("auth_events").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
      assert.ok(all.length >= Number(total.n) - 5 && new Set(all).size === all.length, "the cursor walks the whole log once");
      assert.equal((await boss.get("/admin/events?before=nonsense")).status, 422);
    });

    test("/admin/mail shows counts and failed mails without their bodies; retry queues one again and it is delivered", async () => {
      const { kysely } = app.service.deps.db;
      const now = app.clock.now();
      await kysely.transaction().execute(async (trx) => {
        await app.service.deps.outbox.enqueue(trx, { kind: "reset", to: "retry-me@example.com", subject: "Secret subject", text: "Secret body", html: "<p>Secret body</p>" }, now);
      });
      const row = await kysely.selectFrom("outbox").select("id").where("recipient", "=", app.service.deps.outbox.recipientKey("retry-me@example.com")).executeTakeFirstOrThrow();
      // As the worker leaves a mail it gave up on.
      await kysely.updateTable("outbox").set({ status: "failed", attempts: 7, last_error: "550 mailbox unavailable" }).where("id", "=", row.id).execute();
      const page = await boss.get("/admin/mail");
      assert.equal(page.status, 200);
      assert.match(page.text, new RegExp(`<tr data-mail="${row.id}"><td>reset</td>`));
      assert.match(page.text, /550 mailbox unavailable/);
      assert.match(page.text, /data-count="failed">[1-9]/);
      assert.doesNotMatch(page.text, /Secret|retry-me@/, "never the body, subject or recipient");
      const res = await boss.post(`/admin/mail/${row.id}/retry`);
      assert.equal(res.status, 303);
      assert.equal(res.location, "/admin/mail");
      await waitForMail(app, "retry-me@example.com", /Secret subject/);
      const e = await kysely.selectFrom("auth_events").selectAll().where("type", "=", "mail_retried").executeTakeFirstOrThrow();
      assert.equal(e.actor_id, bossId);
      assert.equal((await boss.post(`/admin/mail/${row.id}/retry`)).status, 404, "only a failed mail can be retried");
      const api = (await boss.get("/api/v1/admin/mail")).json<Record<string, unknown>>();
      assert.deepEqual(Object.keys(api).sort(), ["failed", "failed_mail", "queued", "retrying"]);
    });

    test("/admin/cohorts.csv gives the cohort table as CSV by day or week; the dashboard links it under the chart", async () => {
      const day = await boss.get("/admin/cohorts.csv?by=day");
      assert.equal(day.status, 200);
      assert.match(day.headers.get("content-type") ?? "", /^text\/csv/);
      const lines = day.text.trim().split("\r\n");
      assert.match(lines[0]!, /^start,registered,confirmed_within_1h,confirmed_within_1d,confirmed_within_7d,confirmed_ever/);
      assert.equal(lines.length, 31);
      assert.match(lines.at(-1)!, /^\d{4}-\d{2}-\d{2},[1-9]\d*,/, "today's sign-ups are counted");
      assert.equal((await boss.get("/admin/cohorts.csv?by=week")).text.trim().split("\r\n").length, 13);
      assert.equal((await boss.get("/admin/cohorts.csv?by=year")).status, 422);
      assert.match((await boss.get("/admin")).text, /href="\/admin\/cohorts.csv\?by=day"/);
    });
  });
}
