/**
 * Issue 12: webhooks are never lost across a dead worker. 120 events are queued for an endpoint
 * whose receiver is down (it accepts connections and never answers); a `worker` process is
 * SIGKILLed while its batch hangs on that receiver. Once the receiver is back, a second worker
 * delivers every event: the dead worker's leased batch after its lease runs out, the rest at
 * once, each with its webhook-id and a valid signature.
 *
 * OUTBOX_LEASE_SECONDS=12 (default 60) keeps the wait short; a lease must leave room for one
 * full exchange, so the worker only starts a delivery with min(10 s, lease / 2) of it left.
 */
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { after, describe, test } from "node:test";
import pino from "pino";
import { loadConfig } from "../../src/config.ts";
import { emit } from "../../src/events/emit.ts";
import { addEndpoint } from "../../src/events/endpoints.ts";
import { openCore } from "../../src/server.ts";
import { createTestDatabase, testDialects, type TestDatabase } from "../helpers/databases.ts";
import { signatureValid, WebhookReceiver } from "../helpers/webhook-receiver.ts";
import { count, freePort, openTestDb, Processes, roleEnv, until } from "./harness.ts";

const TOTAL = 120;
const LEASE_SECONDS = 12;

const dialects = await testDialects();

describe("a worker SIGKILLed while the webhook receiver is down", () => {
  if (!dialects.includes("postgres")) test("PostgreSQL", { skip: "PostgreSQL not reachable (CI=true makes it required)" }, () => {});

  for (const dialect of dialects) {
    let database: TestDatabase | undefined;
    let procs: Processes | undefined;
    const receiver = new WebhookReceiver();
    const held = new Set<Socket>();
    const blackHole = createServer((socket) => {
      held.add(socket);
      socket.on("error", () => {});
    });
    after(async () => {
      await procs?.killAll();
      for (const s of held) s.destroy();
      blackHole.close();
      await receiver.stop();
      await database?.drop();
    });

    test(`${dialect}: every event arrives once the receiver is back, the dead worker's batch after its lease`, { timeout: 90_000 }, async () => {
      database = await createTestDatabase(dialect);
      const port = await freePort();
      await new Promise<void>((resolve) => blackHole.listen(port, "127.0.0.1", () => resolve()));
      const env = roleEnv(database.url, "smtp://127.0.0.1:1", { OUTBOX_LEASE_SECONDS: String(LEASE_SECONDS), WEBHOOK_ALLOW_PRIVATE: "on" });
      procs = new Processes(env);

      const core = await openCore(loadConfig(env), undefined, pino({ level: "silent" }));
      const { db, keys } = core.deps;
      const { secret } = await addEndpoint({ db, key: keys.webhook, allowPrivate: true, now: Date.now() }, { url: `http://127.0.0.1:${port}/hook` });
      await db.kysely.transaction().execute(async (trx) => {
        for (let i = 0; i < TOTAL; i++) await emit(trx, { type: "user.created", userId: `user-${i}`, email: `user-${i}@example.com`, at: Date.now() });
      });
      await core.deps.db.close();

      const first = procs.worker("worker-1");
      await until(() => held.size >= 5 || !first.alive, 30_000, () => `worker-1 opened ${held.size} connections\n${first.output()}`);
      first.signal("SIGKILL");
      assert.equal((await first.exited).signal, "SIGKILL", `worker-1 was killed, not finished\n${first.output()}`);

      const check = openTestDb(database.url);
      try {
        const leased = await check.kysely
          .selectFrom("outbox")
          .select("message_id")
          .where("status", "=", "pending")
          .where("locked_until", ">", Date.now())
          .execute();
        assert.ok(leased.length > 0, "the dead worker held a batch");
        const expected = (await check.kysely.selectFrom("outbox").select("message_id").execute()).map((r) => r.message_id).sort();
        assert.equal(expected.length, TOTAL);

        // The receiver comes back on the same address.
        for (const s of held) s.destroy();
        await new Promise<void>((resolve) => blackHole.close(() => resolve()));
        await receiver.start(port);
        const second = procs.worker("worker-2");
        const arrived = () => new Set(receiver.deliveries.map((d) => d.id)).size;
        await until(() => arrived() >= TOTAL, LEASE_SECONDS * 1000 + 30_000, () => `${arrived()}/${TOTAL} arrived\n${second.output()}`);
        await until(async () => (await count(check, "select count(*) as n from outbox where status <> 'sent'")) === 0, 10_000, () => "outbox not drained");

        assert.deepEqual([...new Set(receiver.deliveries.map((d) => d.id))].sort(), expected, "every event, and only those");
        assert.equal(receiver.deliveries.length, TOTAL, "each exactly once: what the dead worker had in flight never reached this receiver");
        for (const d of receiver.deliveries) assert.ok(signatureValid(secret, d));
        console.log(`# ${dialect}: worker-1 SIGKILLed holding ${leased.length} leased deliveries; all ${TOTAL} arrived via worker-2`);
      } finally {
        await check.close();
      }
    });
  }
});
