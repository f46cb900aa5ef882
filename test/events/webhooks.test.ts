/**
 * Issue 12, webhooks (SPEC §7) against a real HTTP receiver: what the flows emit, the Standard
 * Webhooks signature, retries with the same webhook-id, subscriptions, and the SSRF guard at
 * delivery. The worker runs in-process; the test clock is moved instead of sleeping.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { addEndpoint } from "../../src/events/endpoints.ts";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmLink, device, mailSettled, OTHER_PASSWORD, PASSWORD, signIn, signUp, waitForMail } from "../helpers/flows.ts";
import { confirmationCode, linkPath } from "../helpers/smtp-sink.ts";
import { signatureValid, until, WebhookReceiver, type Delivery } from "../helpers/webhook-receiver.ts";

async function endpoint(app: TestApp, url: string, events?: string, allowPrivate = true): Promise<string> {
  const deps = app.service.deps;
  const added = await addEndpoint({ db: deps.db, key: deps.keys.webhook, allowPrivate, now: app.clock.now() }, { url, events });
  assert.match(added.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  return added.secret;
}

async function userId(app: TestApp, email: string): Promise<string> {
  const row = await app.service.deps.db.kysely.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow();
  return row.id;
}

for (const dialect of await testDialects()) {
  describe(`webhooks (${dialect})`, () => {
    let app: TestApp;
    const all = new WebhookReceiver();
    const some = new WebhookReceiver();
    let secret = "";
    let someSecret = "";
    before(async () => {
      app = await startTestApp({ dialect, env: { WEBHOOK_ALLOW_PRIVATE: "on" } });
      await all.start();
      await some.start();
      secret = await endpoint(app, all.url);
      someSecret = await endpoint(app, some.url, "user.password_changed,session.revoked");
    });
    after(async () => {
      await app.close();
      await all.stop();
      await some.stop();
    });

    /** Runs a step, waits for every queued delivery (and mail) to be made, returns what `all` got. */
    async function step(run: () => Promise<unknown>): Promise<Delivery[]> {
      const before = all.deliveries.length;
      await run();
      await mailSettled(app);
      return all.deliveries.slice(before);
    }
    const types = (ds: Delivery[]) => ds.map((d) => d.type).sort();

    test("each flow emits its events, with the account's id and address and the session's public id", async () => {
      const email = "hooked@example.com";
      let browser = await device(app);
      const signedUp = await step(async () => ({ browser } = await signUp(app, email)));
      assert.deepEqual(types(signedUp), ["session.created", "user.created"]);
      const id = await userId(app, email);
      for (const d of signedUp) assert.deepEqual({ user_id: d.data.user_id, email: d.data.email }, { user_id: id, email });
      const firstSession = signedUp.find((d) => d.type === "session.created")!.data.session_id;
      const publicIds = await app.service.deps.db.kysely.selectFrom("sessions").select("public_id").where("user_id", "=", id).execute();
      assert.deepEqual(publicIds.map((r) => r.public_id), [firstSession], "session_id is the id /sessions shows");

      const confirmed = await step(async () => confirmLink(app, linkPath(await app.sink!.waitFor(email), TEST_BASE_URL)));
      assert.deepEqual(types(confirmed), ["user.email_confirmed"]);

      const signedIn = await step(() => signIn(app, email));
      assert.deepEqual(types(signedIn), ["session.created"]);
      const phoneSession = signedIn[0]!.data.session_id!;

      const revoked = await step(async () => {
        await browser.get("/sessions");
        assert.equal((await browser.post(`/sessions/${phoneSession}/revoke`)).status, 303);
      });
      assert.deepEqual(revoked.map((d) => [d.type, d.data.session_id]), [["session.revoked", phoneSession]]);

      const changed = await step(async () => {
        await browser.get("/profile");
        const res = await browser.post("/profile/password", { current_password: PASSWORD, password: OTHER_PASSWORD, confirm: OTHER_PASSWORD });
        assert.equal(res.status, 303);
      });
      assert.deepEqual(types(changed), ["session.created", "session.revoked", "user.password_changed"]);
      assert.equal(changed.find((d) => d.type === "session.revoked")!.data.session_id, firstSession, "the rotated-out session");

      const moved = await step(async () => {
        await browser.get("/profile");
        assert.equal((await browser.post("/profile/email", { email: "moved@example.com", current_password: OTHER_PASSWORD })).status, 303);
        await confirmLink(app, linkPath(await waitForMail(app, "moved@example.com", /confirm your new email/i), TEST_BASE_URL));
      });
      assert.deepEqual(moved.map((d) => [d.type, d.data.email]), [["user.email_changed", "moved@example.com"]]);

      const reset = await step(async () => {
        const b = await device(app);
        assert.equal((await b.post("/forgot", { email: "moved@example.com" })).status, 303);
        const path = linkPath(await waitForMail(app, "moved@example.com", /reset your password/i), TEST_BASE_URL, "/reset/");
        assert.equal((await (await device(app)).post(path, { password: PASSWORD, confirm: PASSWORD })).status, 303);
      });
      assert.deepEqual(types(reset), ["session.revoked", "user.password_changed"], "already confirmed: no user.email_confirmed");

      const loggedOut = await step(async () => {
        const { browser: b } = await signIn(app, "moved@example.com");
        await b.get("/");
        assert.equal((await b.post("/logout")).status, 303);
      });
      assert.deepEqual(types(loggedOut), ["session.created", "session.revoked"]);
      assert.equal(loggedOut[0]!.data.session_id, loggedOut[1]!.data.session_id);
      for (const d of all.deliveries) assert.equal(d.data.user_id, id);
    });

    test("confirming by code and a reset of an unconfirmed account both emit user.email_confirmed", async () => {
      let browser = app.client();
      await step(async () => ({ browser } = await signUp(app, "bycode@example.com")));
      const code = confirmationCode(await app.sink!.waitFor("bycode@example.com"));
      await browser.get("/unconfirmed");
      const byCode = await step(async () => assert.equal((await browser.post("/confirm", { code })).status, 303));
      // (Should confirming rotate the session id, that shows as session.revoked + session.created.)
      assert.deepEqual(types(byCode).filter((t) => t.startsWith("user.")), ["user.email_confirmed"]);

      await step(() => signUp(app, "resetter@example.com"));
      const reset = await step(async () => {
        assert.equal((await (await device(app)).post("/forgot", { email: "resetter@example.com" })).status, 303);
        const path = linkPath(await waitForMail(app, "resetter@example.com", /reset your password/i), TEST_BASE_URL, "/reset/");
        assert.equal((await (await device(app)).post(path, { password: OTHER_PASSWORD, confirm: OTHER_PASSWORD })).status, 303);
      });
      assert.deepEqual(types(reset), ["session.revoked", "user.email_confirmed", "user.password_changed"]);
    });

    test("signing in again from a signed-in browser revokes the session it replaces", async () => {
      let browser = app.client();
      const first = await step(async () => ({ browser } = await signIn(app, "moved@example.com")));
      const again = await step(async () => {
        await browser.get("/login");
        assert.equal((await browser.post("/login", { email: "moved@example.com", password: PASSWORD })).status, 303);
      });
      assert.deepEqual(types(again), ["session.created", "session.revoked"]);
      assert.equal(again.find((d) => d.type === "session.revoked")!.data.session_id, first[0]!.data.session_id);
    });

    test("a sign-up with a taken address emits nothing (its placeholder session is nobody's)", async () => {
      assert.deepEqual(await step(() => signUp(app, "moved@example.com")), []);
    });

    test("every delivery is a signed Standard Webhooks POST; the library and an independent HMAC both verify it", async () => {
      assert.ok(all.deliveries.length > 10);
      const verifier = new Webhook(secret);
      for (const d of all.deliveries) {
        assert.match(d.id, /^msg_[0-9a-f]{32}$/);
        assert.match(String(d.headers["webhook-timestamp"]), /^\d{10}$/);
        assert.equal(d.headers["content-type"], "application/json");
        assert.ok(signatureValid(secret, d), "HMAC-SHA256 of id.timestamp.body");
        assert.ok(!signatureValid(someSecret, d), "another endpoint's secret does not verify it");
        const payload = verifier.verify(d.body, d.headers as Record<string, string>) as { type: string; timestamp: string; data: object };
        assert.deepEqual(Object.keys(payload), ["type", "timestamp", "data"]);
        assert.ok(!Number.isNaN(Date.parse(payload.timestamp)));
      }
      const tampered = { ...all.deliveries[0]!, body: all.deliveries[0]!.body.replace("@", "%40") };
      assert.ok(!signatureValid(secret, tampered));
      assert.throws(() => verifier.verify(tampered.body, tampered.headers as Record<string, string>));
    });

    test("an endpoint gets only the events it subscribed to, with the same webhook-id as the others", async () => {
      const subscribed = new Set(["user.password_changed", "session.revoked"]);
      const expected = all.deliveries.filter((d) => subscribed.has(d.type)).map((d) => d.id).sort();
      assert.ok(expected.length >= 5);
      assert.deepEqual(some.deliveries.map((d) => d.id).sort(), expected);
      for (const d of some.deliveries) assert.ok(signatureValid(someSecret, d));
    });
  });

  describe(`webhooks and the SSRF guard (${dialect})`, () => {
    let app: TestApp;
    const receiver = new WebhookReceiver();
    before(async () => {
      // Without WEBHOOK_ALLOW_PRIVATE: the receiver on 127.0.0.1 is refused at delivery. No SMTP:
      // the dev mailbox shows mail from the outbox the deliveries share.
      app = await startTestApp({ dialect, smtp: false });
      await receiver.start();
    });
    after(async () => {
      await app.close();
      await receiver.stop();
    });

    async function outboxRow(kind: string) {
      return app.service.deps.db.kysely.selectFrom("outbox").selectAll().where("kind", "=", kind).executeTakeFirstOrThrow();
    }

    test("a private address allowed when added is refused at delivery once the flag is off", async () => {
      await endpoint(app, receiver.url, "user.created", true);
      await signUp(app, "private@example.com");
      await until(async () => (await outboxRow("user.created")).attempts === 1, () => "no delivery attempt");
      const row = await outboxRow("user.created");
      assert.equal(row.status, "pending", "retried later (DNS may change), never sent");
      assert.match(row.last_error ?? "", /127\.0\.0\.1 is a loopback, private or link-local address/);
      assert.equal(receiver.deliveries.length, 0);
      const mailbox = await app.client().get("/dev/mail?to=private@example.com");
      assert.equal(mailbox.status, 200, "a webhook row is not taken for an email");
      assert.match(mailbox.text, /aria-label="1 message"/, "one email listed, not the webhook row");
      await app.service.deps.db.kysely.deleteFrom("webhook_endpoints").execute();
      await app.service.deps.db.kysely.deleteFrom("outbox").where("endpoint_id", "is not", null).execute();
    });

    test("a private address is refused when added", async () => {
      const deps = app.service.deps;
      for (const url of [receiver.url, "http://localhost/x", "http://[::1]/x", "http://[::ffff:127.0.0.1]/x", "http://169.254.169.254/latest", "http://10.0.0.1/"]) {
        await assert.rejects(addEndpoint({ db: deps.db, key: deps.keys.webhook, allowPrivate: false, now: 0 }, { url }), /loopback, private or link-local/, url);
      }
      for (const url of ["ftp://example.com/", "http://user:pw@example.com/", "not a url"]) {
        await assert.rejects(addEndpoint({ db: deps.db, key: deps.keys.webhook, allowPrivate: true, now: 0 }, { url }), url);
      }
      await assert.rejects(addEndpoint({ db: deps.db, key: deps.keys.webhook, allowPrivate: true, now: 0 }, { url: receiver.url, events: "user.created,user.nope" }), /user\.nope/);
      assert.equal((await deps.db.kysely.selectFrom("webhook_endpoints").selectAll().execute()).length, 0);
    });

  });

  describe(`webhook retries (${dialect})`, () => {
    let app: TestApp;
    const receiver = new WebhookReceiver();
    before(async () => {
      app = await startTestApp({ dialect, env: { WEBHOOK_ALLOW_PRIVATE: "on" } });
      await receiver.start();
    });
    after(async () => {
      await app.close();
      await receiver.stop();
    });

    const row = (id: string) => app.service.deps.db.kysely.selectFrom("outbox").selectAll().where("message_id", "=", id).executeTakeFirstOrThrow();
    const attemptsOf = (id: string) => receiver.deliveries.filter((d) => d.id === id);
    const quietly = () => new Promise((r) => setTimeout(r, 300));

    test("a receiver answering 500 gets the same webhook-id again (5 s, then 5 min later) until it answers 200", async () => {
      const secret = await endpoint(app, receiver.url, "user.created");
      receiver.status = (d) => (attemptsOf(d.id).length < 3 ? 500 : 200);
      await signUp(app, "flaky@example.com");
      await until(() => receiver.deliveries.length === 1, () => "first attempt");
      const id = receiver.deliveries[0]!.id;
      await until(async () => (await row(id)).attempts === 1, () => "attempt recorded");
      const first = await row(id);
      assert.equal(first.status, "pending");
      assert.match(first.last_error ?? "", /500/);
      const wait = first.next_attempt_at - app.clock.now();
      assert.ok(wait > 4000 && wait <= 5000, `next attempt in ~5 s (${wait} ms)`);
      await quietly();
      assert.equal(receiver.deliveries.length, 1, "not retried before its time");

      app.clock.advance(5000);
      await until(() => receiver.deliveries.length === 2, () => "second attempt after 5 s");
      await until(async () => (await row(id)).attempts === 2, () => "attempt recorded");
      const second = await row(id);
      const wait2 = second.next_attempt_at - app.clock.now();
      assert.ok(wait2 > 299_000 && wait2 <= 300_000, `then in ~5 min (${wait2} ms)`);

      app.clock.advance(300_000);
      await until(async () => (await row(id)).status === "sent", () => "third attempt delivered");
      const done = await row(id);
      assert.equal(done.attempts, 3);
      assert.equal(done.payload, null, "the body leaves the database once delivered");
      await quietly();
      const tries = attemptsOf(id);
      assert.equal(tries.length, 3, "nothing after the 200");
      assert.equal(new Set(tries.map((d) => d.body)).size, 1, "the same body each time");
      for (const d of tries) assert.ok(signatureValid(secret, d), "each attempt signed anew, validly");
      const stamps = tries.map((d) => Number(d.headers["webhook-timestamp"]));
      assert.ok(stamps[2]! - stamps[0]! >= 305, "webhook-timestamp is the attempt's time (receivers' replay windows hold)");
    });

    test("a redirect is a failed attempt, never followed", async () => {
      await app.service.deps.db.kysely.deleteFrom("webhook_endpoints").execute();
      const elsewhere = await new WebhookReceiver().start();
      try {
        await endpoint(app, receiver.url, "user.created");
        receiver.status = () => 307;
        receiver.location = elsewhere.url;
        const before = receiver.deliveries.length;
        await signUp(app, "redirected@example.com");
        await until(() => receiver.deliveries.length === before + 1, () => "first attempt");
        const id = receiver.deliveries.at(-1)!.id;
        await until(async () => (await row(id)).attempts === 1, () => "attempt recorded");
        assert.match((await row(id)).last_error ?? "", /307/);
        assert.equal((await row(id)).status, "pending");
        await quietly();
        assert.equal(elsewhere.deliveries.length, 0, "the Location was not followed");
      } finally {
        receiver.location = undefined;
        await elsewhere.stop();
      }
    });

    test("a receiver that never answers 2xx gets 8 attempts on the SPEC schedule, then the delivery is given up", async () => {
      await app.service.deps.db.kysely.deleteFrom("webhook_endpoints").execute();
      await endpoint(app, receiver.url, "user.created");
      receiver.status = () => 503;
      const before = receiver.deliveries.length;
      await signUp(app, "never@example.com");
      await until(() => receiver.deliveries.length === before + 1, () => "first attempt");
      const id = receiver.deliveries.at(-1)!.id;
      const schedule = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
      for (const [i, delay] of schedule.entries()) {
        await until(async () => (await row(id)).attempts === i + 1, () => `attempt ${i + 1} recorded`);
        app.clock.advance(delay - 1000);
        await quietly();
        assert.equal(attemptsOf(id).length, i + 1, `attempt ${i + 2} not before ${delay / 1000} s`);
        app.clock.advance(1000);
        await until(() => attemptsOf(id).length === i + 2, () => `attempt ${i + 2} after ${delay / 1000} s`);
      }
      await until(async () => (await row(id)).status === "failed", () => "given up after the 8th attempt");
      app.clock.advance(86_400_000);
      await quietly();
      assert.equal(attemptsOf(id).length, 8);
    });
  });
}
