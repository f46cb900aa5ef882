/**
 * SPEC §3 `/admin/webhooks`: admins only; endpoints added with `url` and `events`, the secret
 * shown once (never again), bad input a 422 with nothing stored, deletion, recent deliveries
 * with status and attempts, and every POST audited with the admin as actor. Real HTTP, a real
 * receiver, both databases.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createAdmin } from "../../src/accounts/admin.ts";
import { webhooksCommand } from "../../src/events/cli.ts";
import { listEndpoints } from "../../src/events/endpoints.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Client } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, PASSWORD, signIn, signUp } from "../helpers/flows.ts";
import { until, WebhookReceiver } from "../helpers/webhook-receiver.ts";

const SECRET = /whsec_[A-Za-z0-9+/]{43}=/;

async function adminOf(app: TestApp, email: string): Promise<{ browser: Client; id: string }> {
  await createAdmin(app.service.deps, email, async () => PASSWORD);
  const { browser, res } = await signIn(app, email);
  assert.equal(res.status, 303);
  const row = await app.service.deps.db.kysely.selectFrom("users").select("id").where("email_canonical", "=", email).executeTakeFirstOrThrow();
  return { browser, id: row.id };
}

/** Posts the add form from the page (its CSRF token). */
async function add(admin: Client, fields: Record<string, string | string[]>) {
  await admin.get("/admin/webhooks");
  return admin.post("/admin/webhooks", fields);
}

for (const dialect of await testDialects()) {
  describe(`admin webhooks (${dialect})`, () => {
    let app: TestApp;
    let boss: Client;
    let bossId: string;
    let member: Client;
    const receiver = new WebhookReceiver();
    const failing = new WebhookReceiver();
    before(async () => {
      app = await startTestApp({ dialect, env: { WEBHOOK_ALLOW_PRIVATE: "on" } });
      await receiver.start();
      await failing.start();
      failing.status = () => 500;
      ({ browser: boss, id: bossId } = await adminOf(app, "boss@example.com"));
      member = await confirmedUser(app, "member@example.com");
    });
    after(async () => {
      await app.close();
      await receiver.stop();
      await failing.stop();
    });

    const endpointCount = async () => (await listEndpoints(app.service.deps.db)).length;
    const audits = (type: "webhook_added" | "webhook_removed") =>
      app.service.deps.db.kysely.selectFrom("auth_events").selectAll().where("type", "=", type).orderBy("created_at").execute();

    test("guards: anonymous → 303 to sign in, members → 403, no CSRF → 403; nothing is stored", async () => {
      const anonymous = app.client();
      await anonymous.get("/login");
      const page = await anonymous.get("/admin/webhooks");
      assert.equal(page.status, 303);
      assert.equal(page.location, "/login?next=%2Fadmin%2Fwebhooks");
      for (const path of ["/admin/webhooks", "/admin/webhooks/x/delete"]) {
        const res = await anonymous.post(path, { url: receiver.url });
        assert.equal(res.status, 303, path);
        assert.match(res.location ?? "", /^\/login/);
      }
      assert.equal((await member.get("/admin/webhooks")).status, 403);
      await member.get("/profile");
      assert.equal((await member.post("/admin/webhooks", { url: receiver.url })).status, 403);
      assert.equal((await member.post("/admin/webhooks/x/delete")).status, 403);
      await boss.get("/admin/webhooks");
      assert.equal((await boss.post("/admin/webhooks", { url: receiver.url }, { csrf: false })).status, 403);
      assert.equal((await boss.post("/admin/webhooks", { url: receiver.url, _csrf: "forged" })).status, 403);
      assert.equal(await endpointCount(), 0);
      assert.equal((await audits("webhook_added")).length, 0);
    });

    test("the dashboard links the page; an empty page says so and offers every event type", async () => {
      assert.match((await boss.get("/admin")).text, /<a href="\/admin\/webhooks">Webhooks<\/a>/);
      const page = await boss.get("/admin/webhooks");
      assert.equal(page.status, 200);
      assert.match(page.text, /<h1>Webhooks<\/h1>/);
      assert.match(page.text, /No endpoints yet/);
      for (const type of ["user.created", "user.email_confirmed", "session.revoked"]) assert.match(page.text, new RegExp(`name="events" value="${type}"`));
      const german = await boss.get("/admin/webhooks", { "accept-language": "de" });
      assert.match(german.text, /<h1>Webhook-Endpunkte<\/h1>/);
      assert.match(german.text, /Zu sendende Ereignisse/);
    });

    test("adding shows the whsec_ secret once (201, no-store), audited; later pages, the list and the CLI never show it", async () => {
      const res = await add(boss, { url: receiver.url, events: ["user.created", "session.created"] });
      assert.equal(res.status, 201);
      assert.match(res.headers.get("cache-control") ?? "", /no-store/);
      const secret = SECRET.exec(res.text)?.[0];
      assert.ok(secret, "the secret is on the page");
      assert.match(res.text, /class="secret-once"/);
      const stored = (await listEndpoints(app.service.deps.db)).find((e) => e.url === receiver.url);
      assert.ok(stored, "the endpoint is stored");
      assert.deepEqual(stored.events, ["user.created", "session.created"]);
      const row = await app.service.deps.db.kysely.selectFrom("webhook_endpoints").select("secret").where("id", "=", stored.id).executeTakeFirstOrThrow();
      assert.ok(!row.secret.includes(secret.slice(6)), "the database keeps it sealed");
      const cli = await webhooksCommand(app.service.deps, ["list"], undefined);
      assert.match(cli ?? "", new RegExp(`${stored.id}  ${receiver.url.replaceAll("/", "\\/")}  user.created,session.created`));

      const later = await boss.get("/admin/webhooks");
      assert.equal(later.status, 200);
      assert.ok(!later.text.includes(secret), "not shown again");
      assert.doesNotMatch(later.text, /whsec_/);
      assert.match(later.text, new RegExp(`<tr data-endpoint="${stored.id}"><td>${receiver.url}</td><td>user.created, session.created</td>`));
      assert.doesNotMatch(cli ?? "", /whsec_/);

      const [audit] = await audits("webhook_added");
      assert.ok(audit, "audited");
      assert.equal(audit.actor_id, bossId);
      assert.equal(audit.user_id, null);
      assert.equal(audit.outcome, stored.id);
      assert.match((await boss.get("/admin/events?type=webhook_added")).text, new RegExp(`<td>webhook_added</td><td>${stored.id}</td>`));
    });

    test("events also come as one comma-separated field; none chosen means all events", async () => {
      const url = `${receiver.url}?comma`;
      const res = await add(boss, { url, events: "user.disabled, user.deleted" });
      assert.equal(res.status, 201);
      const all = `${receiver.url}?all`;
      assert.equal((await add(boss, { url: all })).status, 201);
      const endpoints = await listEndpoints(app.service.deps.db);
      assert.deepEqual(endpoints.find((e) => e.url === url)?.events, ["user.disabled", "user.deleted"]);
      assert.equal(endpoints.find((e) => e.url === all)?.events, null);
      assert.match((await boss.get("/admin/webhooks")).text, /<td>All events<\/td>/);
      for (const e of endpoints.filter((e) => e.url === url || e.url === all)) assert.equal((await boss.post(`/admin/webhooks/${e.id}/delete`)).status, 303);
    });

    test("bad input → 422 with an error summary and the field's message; nothing is stored or audited", async () => {
      const before = await endpointCount();
      const audited = (await audits("webhook_added")).length;
      const unknown = await add(boss, { url: `${receiver.url}?unknown`, events: ["user.created", "user.exploded"] });
      assert.equal(unknown.status, 422);
      assert.match(unknown.text, /class="error-summary"/);
      assert.match(unknown.text, /<a href="#event-0">Unknown event type: “user.exploded”/);
      assert.match(unknown.text, /id="events-error"/);
      assert.match(unknown.text, /value="user.created" checked/, "the choice is kept");
      assert.ok(unknown.text.includes(`value="${receiver.url}?unknown"`), "the URL is kept");
      assert.equal((await add(boss, { url: receiver.url, events: "user.created,nope" })).status, 422);
      for (const url of ["", "not a url", "ftp://example.com/hook", "http://user:pw@127.0.0.1/hook"]) {
        const res = await add(boss, { url });
        assert.equal(res.status, 422, url);
        assert.match(res.text, /<a href="#url">Enter the receiver's URL/);
        assert.match(res.text, /id="url-error"/);
      }
      assert.doesNotMatch(unknown.text, SECRET);
      assert.equal(await endpointCount(), before);
      assert.equal((await audits("webhook_added")).length, audited);
    });

    test("delete → 303 back with a message, audited; the endpoint is gone; an unknown id → 404", async () => {
      assert.equal((await add(boss, { url: `${receiver.url}?doomed` })).status, 201);
      const doomed = (await listEndpoints(app.service.deps.db)).find((e) => e.url === `${receiver.url}?doomed`)!;
      await boss.get("/admin/webhooks");
      const res = await boss.post(`/admin/webhooks/${doomed.id}/delete`);
      assert.equal(res.status, 303);
      assert.equal(res.location, "/admin/webhooks");
      const page = await boss.get("/admin/webhooks");
      assert.match(page.text, /The endpoint was deleted/);
      assert.ok(!page.text.includes(doomed.id));
      assert.ok(!(await listEndpoints(app.service.deps.db)).some((e) => e.id === doomed.id));
      const removed = (await audits("webhook_removed")).find((e) => e.outcome === doomed.id);
      assert.ok(removed, "audited");
      assert.equal(removed.actor_id, bossId);
      assert.equal((await boss.post(`/admin/webhooks/${doomed.id}/delete`)).status, 404, "already gone");
      assert.equal((await boss.post("/admin/webhooks/no-such-endpoint/delete")).status, 404);
      assert.equal((await audits("webhook_removed")).filter((e) => e.outcome === doomed.id).length, 1, "a 404 audits nothing");
    });

    test("recent deliveries: event, endpoint, status and attempts (delivered, and failing with its error); never the body", async () => {
      assert.equal((await add(boss, { url: failing.url, events: ["user.created"] })).status, 201);
      const email = "hooked@example.com";
      await signUp(app, email);
      await until(
        () => receiver.types().includes("user.created") && receiver.types().includes("session.created") && failing.deliveries.length > 0,
        () => `deliveries: ${receiver.types().join(",")} / ${failing.deliveries.length}`,
      );
      const kysely = app.service.deps.db.kysely;
      const failingId = (await listEndpoints(app.service.deps.db)).find((e) => e.url === failing.url)!.id;
      await until(
        async () => {
          const rows = await kysely.selectFrom("outbox").select(["status", "attempts", "endpoint_id"]).where("endpoint_id", "is not", null).execute();
          return rows.filter((r) => r.status === "sent").length >= 2 && rows.some((r) => r.endpoint_id === failingId && r.attempts >= 1);
        },
        () => "outbox rows settled",
      );
      const page = await boss.get("/admin/webhooks");
      assert.equal(page.status, 200);
      assert.match(page.text, /<h2>Recent deliveries<\/h2>/);
      const rows = [...page.text.matchAll(/<tr data-delivery="[^"]+" data-status="(\w+)">(.*?)<\/tr>/g)].map((m) => ({ status: m[1], cells: [...m[2]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]) }));
      const delivered = rows.filter((r) => r.status === "sent");
      assert.deepEqual(delivered.map((r) => r.cells[1]).sort(), ["session.created", "user.created"]);
      for (const r of delivered) {
        assert.equal(r.cells[2], receiver.url);
        assert.equal(r.cells[3], "delivered");
        assert.equal(r.cells[4], "1", "one attempt");
        assert.equal(r.cells[5], "—");
      }
      const retrying = rows.find((r) => r.status === "pending");
      assert.ok(retrying, "the failing delivery is listed");
      assert.equal(retrying.cells[1], "user.created");
      assert.equal(retrying.cells[2], failing.url);
      assert.equal(retrying.cells[3], "pending");
      assert.ok(Number(retrying.cells[4]) >= 1, "its attempts");
      assert.match(retrying.cells[5] ?? "", /500/, "its last error");
      const webhookId = receiver.deliveries.find((d) => d.type === "user.created")!.id;
      assert.ok(page.text.includes(`<code>${webhookId}</code>`), "the webhook-id the receiver got");
      assert.ok(!page.text.includes(email), "never the body (the account's address)");

      // Deleting the endpoint drops its pending delivery; the delivered ones stay listed.
      await boss.post(`/admin/webhooks/${failingId}/delete`);
      const after = await boss.get("/admin/webhooks");
      assert.doesNotMatch(after.text, /data-status="pending"/);
      assert.equal((after.text.match(/data-status="sent"/g) ?? []).length, 2);
    });
  });

  describe(`admin webhooks without WEBHOOK_ALLOW_PRIVATE (${dialect})`, () => {
    let app: TestApp;
    let boss: Client;
    before(async () => {
      app = await startTestApp({ dialect, smtp: false, worker: false });
      ({ browser: boss } = await adminOf(app, "boss@example.com"));
    });
    after(() => app.close());

    test("a loopback or private URL → 422 naming the host, nothing stored or audited", async () => {
      for (const url of ["http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://[::1]/hook", "http://169.254.169.254/latest"]) {
        const res = await add(boss, { url, events: ["user.created"] });
        assert.equal(res.status, 422, url);
        assert.match(res.text, /class="error-summary"/);
        assert.match(res.text, /is a loopback, private or link-local address: refused unless WEBHOOK_ALLOW_PRIVATE=on/);
        assert.doesNotMatch(res.text, SECRET);
      }
      assert.equal((await listEndpoints(app.service.deps.db)).length, 0);
      const audited = await app.service.deps.db.kysely.selectFrom("auth_events").select("id").where("type", "=", "webhook_added").execute();
      assert.equal(audited.length, 0);
    });
  });
}
