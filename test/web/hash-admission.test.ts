import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { HashQueue } from "../../src/accounts/hash-queue.ts";
import { createHasher } from "../../src/accounts/passwords.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, PASSWORD } from "../helpers/flows.ts";

// Issue 17: a sign-in whose client hung up while its password hash waited for a slot is dropped
// before the hash runs, and no longer takes a place in the queue. The test holds the one hash slot
// itself (a job on the server's own queue, as a long hash would), so which requests wait is
// certain; it waits for conditions, never for an amount of time, and asserts no timing.

/** Polls `condition` between turns of the event loop; fails after `rounds` tries. */
async function until(what: string, condition: () => boolean, rounds = 3000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`gave up waiting: ${what}`);
}

/** A JSON sign-in on its own connection, left open so the test can hang up on it. */
function rawSignIn(app: TestApp, email: string, password: string): Socket {
  const { hostname, port } = new URL(app.url);
  const body = JSON.stringify({ email, password });
  const socket = connect(Number(port), hostname);
  socket.on("error", () => {});
  socket.write(
    `POST /api/v1/login HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  return socket;
}

for (const dialect of await testDialects()) {
  describe(`hash admission (${dialect})`, () => {
    let app: TestApp;
    const queue = new HashQueue(1, 60_000);
    const email = "patient@example.com";
    before(async () => {
      app = await startTestApp({ dialect, hasher: createHasher({ queue }) });
      await confirmedUser(app, email);
    });
    after(() => app.close());

    const failedSignIns = async () =>
      (await app.service.deps.db.kysely.selectFrom("auth_events").select("id").where("type", "=", "login_failed").execute()).length;

    test("sign-ins whose clients hung up while waiting for the hash are dropped: never checked, no longer queued", async () => {
      const before = await failedSignIns();
      let release!: () => void;
      const held = queue.run(() => new Promise<void>((resolve) => (release = resolve)));

      const LEFT = 20;
      const sockets = Array.from({ length: LEFT }, (_, i) => rawSignIn(app, email, `wrong password ${i}`));
      await until(`${LEFT} sign-ins waiting for the hash`, () => queue.queued === LEFT);
      for (const socket of sockets) socket.destroy();
      await until("the hung-up sign-ins to leave the queue", () => queue.queued === 0);

      // Someone who stays is queued behind nobody, and is served once the slot is free.
      const stays = fetch(new URL("/api/v1/login", app.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      await until("the staying sign-in to wait for the hash", () => queue.queued === 1);
      release();
      await held;
      const answer = await stays;
      assert.equal(answer.status, 200, "the client that stayed signs in");
      assert.equal(await failedSignIns(), before, "none of the wrong passwords of the clients that left was checked");
      assert.equal(queue.queued, 0);
    });
  });
}
