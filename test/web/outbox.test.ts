import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import type { OutboxRow } from "../../src/db/schema.ts";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import type { Client } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmationCode, linkPath, SmtpSink } from "../helpers/smtp-sink.ts";

const PASSWORD = "correct horse battery staple";

async function signUp(app: TestApp, email: string): Promise<Client> {
  const browser = app.client();
  await browser.get("/register");
  const res = await browser.post("/register", { email, password: PASSWORD, confirm: PASSWORD });
  assert.equal(res.status, 303, "registering never waits on SMTP");
  assert.equal(res.location, "/unconfirmed");
  return browser;
}

/** The outbox rows whose (still sealed) payload is addressed to `to`. */
async function pendingRowsTo(app: TestApp, to: string): Promise<OutboxRow[]> {
  const rows = await app.service.deps.db.kysely.selectFrom("outbox").selectAll().where("payload", "is not", null).execute();
  return rows.filter((row) => app.service.deps.outbox.open(row.payload!).to.toLowerCase() === to.toLowerCase());
}

async function rowById(app: TestApp, id: string): Promise<OutboxRow> {
  return app.service.deps.db.kysely.selectFrom("outbox").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(25);
  }
}

async function confirmsViaLink(app: TestApp, path: string): Promise<void> {
  const phone = app.client();
  assert.equal((await phone.get(path)).status, 200);
  const res = await phone.post(path);
  assert.equal(res.status, 303);
  assert.equal(res.location, "/confirmed");
}

for (const dialect of await testDialects()) {
  describe(`mail outbox (${dialect})`, () => {
    test("SMTP outage delays but does not lose the confirmation email", async () => {
      const sink = await new SmtpSink().start();
      const port = sink.port;
      await sink.stop();
      const app = await startTestApp({ dialect, smtp: sink });
      try {
        const address = "outage@example.com";
        const browser = await signUp(app, address);
        assert.equal((await browser.get("/unconfirmed")).status, 200);

        const [row] = await pendingRowsTo(app, address);
        assert.ok(row, "the email is queued in the outbox");
        const failing = await eventually("a failed delivery attempt", async () => {
          const r = await rowById(app, row.id);
          return r.attempts >= 2 ? r : undefined;
        });
        assert.equal(failing.status, "pending", "a connection failure is retried, not given up");
        assert.ok(failing.last_error, "the failure is recorded");
        assert.ok(failing.payload, "the body is kept until delivered");
        assert.equal(sink.mails.length, 0);

        await sink.start(port);
        const mail = await sink.waitFor(address);
        assert.equal(mail.messageId, row.message_id, "the same Message-ID across attempts");
        await sleep(300);
        assert.equal(sink.to(address).length, 1, "delivered once");
        const sent = await rowById(app, row.id);
        assert.equal(sent.status, "sent");
        assert.equal(sent.payload, null, "erased once delivered");
        await confirmsViaLink(app, linkPath(mail, TEST_BASE_URL));
      } finally {
        await app.close();
        await sink.stop();
      }
    });

    describe("with a running SMTP server", () => {
      let app: TestApp;
      before(async () => {
        app = await startTestApp({ dialect });
      });
      after(() => app.close());

      test("a permanent SMTP rejection (5xx) marks the email failed and it is not retried", async () => {
        const sink = app.sink!;
        const address = "no-such-user@example.com";
        sink.rejectWith = { code: 550, message: "no such user" };
        let row: OutboxRow;
        try {
          const browser = await signUp(app, address);
          const [queued] = await pendingRowsTo(app, address);
          assert.ok(queued, "the email is queued");
          row = await eventually("the row to be given up", async () => {
            const r = await rowById(app, queued.id);
            return r.status === "failed" ? r : undefined;
          });
          assert.equal(row.attempts, 1, "given up at the first permanent error");
          assert.match(row.last_error ?? "", /550|no such user|rejected/i);
          // Nothing of this is the visitor's business: the page still says "check your inbox".
          assert.equal((await browser.get("/unconfirmed")).status, 200);
        } finally {
          sink.rejectWith = undefined;
        }
        // Even with the server accepting again, a given-up email stays given up.
        await sleep(800);
        const later = await rowById(app, row.id);
        assert.equal(later.status, "failed");
        assert.equal(later.attempts, 1, "not retried");
        assert.equal(sink.to(address).length, 0);
      });

      test("after a permanent failure the user can ask for a new email, which arrives", async () => {
        const address = "bounced-then-fixed@example.com";
        const sink = app.sink!;
        sink.rejectWith = { code: 550, message: "mailbox unavailable" };
        let browser: Client;
        try {
          browser = await signUp(app, address);
          const [queued] = await pendingRowsTo(app, address);
          await eventually("the row to be given up", async () => ((await rowById(app, queued!.id)).status === "failed" ? true : undefined));
        } finally {
          sink.rejectWith = undefined;
        }
        app.clock.advance(61_000);
        await browser.get("/unconfirmed");
        assert.equal((await browser.post("/resend")).status, 303);
        const mail = await sink.waitFor(address);
        const code = confirmationCode(mail);
        const res = await browser.post("/confirm", { code });
        assert.equal(res.status, 303);
        assert.equal(res.location, "/confirmed");
      });

      test("a temporary SMTP rejection (4xx) is retried and delivered once the server accepts", async () => {
        const sink = app.sink!;
        const address = "greylisted@example.com";
        sink.rejectWith = { code: 450, message: "greylisted, try again later" };
        let row: OutboxRow;
        try {
          await signUp(app, address);
          const [queued] = await pendingRowsTo(app, address);
          assert.ok(queued, "the email is queued");
          row = await eventually("two refused attempts", async () => {
            const r = await rowById(app, queued.id);
            return r.attempts >= 2 ? r : undefined;
          });
          assert.equal(row.status, "pending", "a 4xx is retried");
          assert.equal(sink.to(address).length, 0);
        } finally {
          sink.rejectWith = undefined;
        }
        const mail = await sink.waitFor(address);
        await sleep(300);
        assert.equal(sink.to(address).length, 1, "delivered exactly once");
        const sent = await rowById(app, row.id);
        assert.equal(sent.status, "sent");
        assert.equal(sent.payload, null, "the body (with its link) is erased once delivered");
        assert.equal(mail.messageId, row.message_id);

        // The row as it sat in the database while waiting: sealed, nothing readable in it.
        const atRest = row.payload!;
        const token = linkPath(mail, TEST_BASE_URL).slice("/confirm/".length);
        const code = confirmationCode(mail);
        for (const secret of [address, "greylisted", "example.com", token, code, code.replace("-", ""), "Confirm your email", TEST_BASE_URL]) {
          assert.ok(!atRest.includes(secret), `the stored payload does not contain ${secret}`);
          assert.ok(!atRest.includes(Buffer.from(secret).toString("base64")), `nor its base64`);
          assert.ok(!atRest.includes(Buffer.from(secret).toString("base64url")), `nor its base64url`);
        }
        assert.ok(app.service.deps.outbox.open(atRest).text.includes(token), "it is this email, sealed");
        await confirmsViaLink(app, linkPath(mail, TEST_BASE_URL));
      });

      test("an email the server keeps refusing temporarily is given up 24 hours after it was queued", async () => {
        const sink = app.sink!;
        const address = "always-greylisted@example.com";
        sink.rejectWith = { code: 451, message: "try again later" };
        try {
          await signUp(app, address);
          const [queued] = await pendingRowsTo(app, address);
          assert.ok(queued, "the email is queued");
          await eventually("a refused attempt", async () => ((await rowById(app, queued.id)).attempts >= 1 ? true : undefined));
          app.clock.advance(23 * 3600_000);
          const stillTrying = await eventually("another attempt", async () => {
            const r = await rowById(app, queued.id);
            return r.attempts >= 2 ? r : undefined;
          });
          assert.equal(stillTrying.status, "pending", "still retried after 23 hours");
          app.clock.advance(3600_000 + 60_000);
          const given = await eventually("the row to be given up", async () => {
            const r = await rowById(app, queued.id);
            return r.status === "failed" ? r : undefined;
          });
          assert.match(given.last_error ?? "", /451|try again/i, "the reason is kept for admins");
        } finally {
          sink.rejectWith = undefined;
        }
        await sleep(700);
        assert.equal(sink.to(address).length, 0, "not retried after giving up");
      });

      test("every delivered email has its own Message-ID and its body is erased from the outbox", async () => {
        const sink = app.sink!;
        await signUp(app, "message-id@example.com");
        await sink.waitFor("message-id@example.com");
        const rows = await eventually("no email left to send", async () => {
          const all = await app.service.deps.db.kysely.selectFrom("outbox").selectAll().execute();
          return all.some((r) => r.status === "pending") ? undefined : all;
        });
        assert.ok(sink.mails.length >= 3, `emails were delivered (${sink.mails.length})`);
        const ids = sink.mails.map((m) => m.messageId);
        for (const id of ids) assert.match(id, /^<[^<>@\s]+@[^<>@\s]+>$/, `Message-ID ${id}`);
        assert.equal(new Set(ids).size, ids.length, "no two emails share a Message-ID");
        const sentIds = new Set(rows.filter((r) => r.status === "sent").map((r) => r.message_id));
        for (const id of ids) assert.ok(sentIds.has(id), `${id} is recorded as sent`);
        for (const r of rows.filter((r) => r.status === "sent")) assert.equal(r.payload, null, `sent row ${r.id} is erased`);
        for (const mail of sink.mails) {
          assert.match(mail.raw, /^Content-Type: multipart\/alternative/im, "multipart/alternative");
          assert.ok(mail.text.length > 0 && mail.html.length > 0, "a text and an HTML part");
        }
      });

      test("links in emails start with BASE_URL whatever Host or X-Forwarded-Host the request carried", async () => {
        const address = "host-header@example.com";
        const browser = app.client();
        const evil = { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https", forwarded: "host=evil.example" };
        await browser.get("/register", evil);
        const res = await browser.post("/register", { email: address, password: PASSWORD, confirm: PASSWORD }, { headers: evil });
        assert.equal(res.status, 303);
        const mail = await app.sink!.waitFor(address);
        assert.ok(!mail.raw.includes("evil.example"), "no trace of the request's Host in the email");
        const link = `${TEST_BASE_URL}${linkPath(mail, TEST_BASE_URL)}`;
        assert.ok(mail.html.includes(`href="${link}"`), "the HTML part carries the same link");
        assert.ok(mail.html.includes(confirmationCode(mail)), "and the same code");
        for (const url of mail.text.match(/https?:\/\/\S+/g) ?? []) assert.ok(url.startsWith(TEST_BASE_URL + "/"), `${url} starts with BASE_URL`);
      });

      test("with SMTP configured there is no dev mailbox", async () => {
        const res = await app.client().get("/dev/mail");
        assert.equal(res.status, 404);
        assert.doesNotMatch(res.text, /confirm\//);
      });
    });

    test("without SMTP the dev mailbox shows the email with its BASE_URL link, which works", async () => {
      const app = await startTestApp({ dialect, smtp: false });
      try {
        const address = "dev.mailbox@example.com";
        await signUp(app, address);
        await signUp(app, "someone.else@example.com");
        const box = await app.client().get("/dev/mail");
        assert.equal(box.status, 200);
        assert.match(box.text, /dev\.mailbox@example\.com/);
        const links = [...box.text.matchAll(/http:\/\/latchkey\.test(\/confirm\/[A-Za-z0-9_-]{43})/g)].map((m) => m[1]!);
        assert.equal(links.length, 2, "one confirmation link per queued email");
        const filtered = await app.client().get(`/dev/mail?to=${encodeURIComponent(address)}`);
        const [mine] = [...filtered.text.matchAll(/http:\/\/latchkey\.test(\/confirm\/[A-Za-z0-9_-]{43})/g)].map((m) => m[1]!);
        assert.ok(mine, "the filtered mailbox shows the link");
        assert.doesNotMatch(filtered.text, /someone\.else@example\.com/);
        assert.doesNotMatch(box.text, new RegExp(`http://127\\.0\\.0\\.1`), "links never use the Host the request came to");
        await confirmsViaLink(app, mine);
        // Still sealed at rest even though the dev mailbox keeps it.
        const rows = await app.service.deps.db.kysely.selectFrom("outbox").select("payload").execute();
        for (const r of rows) assert.ok(r.payload && !r.payload.includes(address) && !r.payload.includes(mine.slice(9)), "payload sealed");
      } finally {
        await app.close();
      }
    });
  });
}
