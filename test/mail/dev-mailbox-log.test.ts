import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import pino from "pino";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { testDialects } from "../helpers/databases.ts";
import { device, signUp } from "../helpers/flows.ts";

/** Issue 18.8: without SMTP the links stay on /dev/mail; the log never carries a token. */
const TOKEN_LINK = /\/(confirm|reset)\/[A-Za-z0-9_-]{43}/;

for (const dialect of await testDialects()) {
  describe(`dev mailbox logging (${dialect})`, () => {
    let app: TestApp;
    const lines: string[] = [];
    before(async () => {
      const stream = new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      });
      app = await startTestApp({ dialect, smtp: false, logger: pino({ level: "info" }, stream) });
    });
    after(() => app.close());

    async function delivered(count: number): Promise<string[]> {
      for (let i = 0; i < 200; i++) {
        const found = lines.filter((l) => l.includes("dev mailbox: message delivered"));
        if (found.length >= count) return found;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(`expected ${count} dev mailbox log lines, got: ${lines.join("")}`);
    }

    test("a confirmation and a reset are logged as delivered, without their links; /dev/mail has them", async () => {
      const { browser } = await signUp(app, "devlog@example.com");
      const mailbox = await browser.get("/dev/mail");
      assert.equal(mailbox.status, 200);
      await delivered(1);
      const forgot = await device(app);
      assert.equal((await forgot.post("/forgot", { email: "devlog@example.com" })).status, 303);
      await delivered(2);
      for (const line of lines) assert.doesNotMatch(line, TOKEN_LINK, `a log line carries a token link: ${line}`);
      assert.match((await browser.get("/dev/mail")).text, TOKEN_LINK, "the links are on /dev/mail");
    });
  });
}
