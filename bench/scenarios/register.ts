/**
 * POST /register with a new address every time: argon2id hash, user + token + session + audit
 * rows and the confirmation email in the outbox, one transaction. Two servers, alternating
 * with the raw hash loop:
 *  - the main server, whose in-process worker also delivers each mail over SMTP (what
 *    `latchkey serve` does by default);
 *  - `serve --no-worker` on its own database: the sign-up alone, its mail queued. A `latchkey
 *    worker` then delivers the queue, and the scenario fails unless every mail arrives.
 */
import { randomBytes } from "node:crypto";
import { createTestDatabase } from "../../test/helpers/databases.ts";
import type { Context } from "../context.ts";
import { startApp, startWorker } from "../processes.ts";
import { expectStatus, formToken, PASSWORD } from "../setup.ts";
import { BenchSink } from "../smtp-sink.ts";
import { versusRaw } from "./versus-raw.ts";

async function registerLoad(baseUrl: string) {
  const form = await formToken(baseUrl);
  const check = new URLSearchParams({ _csrf: form.csrf, email: `bench-register-check-${randomBytes(3).toString("hex")}@example.com`, password: PASSWORD, confirm: PASSWORD });
  await expectStatus(`${baseUrl}/register`, 303, {
    method: "POST",
    body: check.toString(),
    headers: { cookie: form.cookie, "content-type": "application/x-www-form-urlencoded" },
  });
  let run = 0;
  return () => ({
    url: `${baseUrl}/register`,
    script: "register.lua",
    headers: { cookie: form.cookie },
    // Unique per run: every request is a new account, never the "address taken" path.
    env: { WRK_PREFIX: `su${++run}${randomBytes(3).toString("hex")}`, WRK_CSRF: form.csrf },
  });
}

export async function registerScenario(ctx: Context): Promise<void> {
  const database = await createTestDatabase(ctx.dialect);
  const sink = await new BenchSink().start();
  const queueOnly = await startApp(ctx.dir, { name: `app-${ctx.dialect}-no-worker`, databaseUrl: database.url, smtpUrl: sink.url, secretKey: ctx.secretKey, worker: false });
  try {
    const [, queued] = await versusRaw(ctx, {
      unit: "sign-ups/s",
      mode: "hash",
      servers: [
        { scenario: "POST /register, in-process mail worker", pid: ctx.app.pid, load: await registerLoad(ctx.app.baseUrl), target: 0.8 },
        { scenario: "POST /register, serve --no-worker", pid: queueOnly.pid, load: await registerLoad(queueOnly.baseUrl), target: 0.8 },
      ],
    });
    await queueOnly.stop();
    // Every mail the sign-ups queued (plus the check sign-up's) reaches the SMTP server.
    const expected = queued! + 1;
    const started = performance.now();
    const worker = startWorker(ctx.dir, { name: `worker-${ctx.dialect}-register`, databaseUrl: database.url, smtpUrl: sink.url, secretKey: ctx.secretKey });
    const delivered = await sink.waitForCount(expected, 120_000);
    await worker.stop();
    if (!delivered) throw new Error(`register: ${sink.count} of ${expected} queued confirmation mails delivered; see ${worker.log}`);
    ctx.rows.push({
      scenario: "POST /register, serve --no-worker",
      measure: "its mail, delivered afterwards by `latchkey worker`",
      value: `${expected.toLocaleString("en-US")} of ${expected.toLocaleString("en-US")}`,
      reference: `in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    });
  } finally {
    await queueOnly.stop();
    await sink.stop();
    await database.drop();
  }
}
