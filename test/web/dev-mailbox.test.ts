import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { simpleParser } from "mailparser";
import { startTestApp, TEST_BASE_URL, type TestApp } from "../helpers/app.ts";
import { testDialects } from "../helpers/databases.ts";
import { signUp } from "../helpers/flows.ts";

/** The dev mailbox's message ids, newest first, as its list links to them. */
async function messageIds(app: TestApp): Promise<string[]> {
  const list = await app.client().get("/dev/mail");
  return [...list.text.matchAll(/href="\/dev\/mail\/([0-9a-f-]{36})"/g)].map((m) => m[1]!);
}

for (const dialect of await testDialects()) {
  describe(`dev mailbox (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, smtp: false });
      await signUp(app, "first@example.com");
      await signUp(app, "second@example.com");
    });
    after(() => app.close());

    test("the list names each email's recipient, subject, time and kind, and links to it", async () => {
      const res = await app.client().get("/dev/mail");
      assert.equal(res.status, 200);
      assert.equal((await messageIds(app)).length, 2);
      for (const to of ["first@example.com", "second@example.com"]) assert.match(res.text, new RegExp(`data-to="${to}"`));
      assert.match(res.text, /Confirm your email address/);
      assert.match(res.text, /<time dateTime="\d{4}-\d\d-\d\dT/i);
      assert.match(res.text, /data-kind="confirm"/);
      assert.equal([...res.text.matchAll(new RegExp(`${TEST_BASE_URL}/confirm/[A-Za-z0-9_-]{43}`, "g"))].length, 2, "each email's link, once");
    });

    test("a message shows its HTML part in a frame that may run no script and is not same-origin", async () => {
      const [id] = await messageIds(app);
      const res = await app.client().get(`/dev/mail/${id}`);
      assert.equal(res.status, 200);
      const frame = /<iframe[^<]*/.exec(res.text)?.[0]; // escaped markup inside holds no "<"
      assert.ok(frame, "an iframe");
      const sandbox = /sandbox="([^"]*)"/.exec(frame)?.[1];
      assert.ok(sandbox !== undefined, "sandboxed");
      assert.doesNotMatch(sandbox, /allow-scripts|allow-same-origin|allow-top-navigation/);
      assert.match(frame, /srcdoc="[^"]*&lt;base target=&quot;_blank&quot;>/, "its links open in a new tab");
      const csp = res.headers.get("content-security-policy") ?? "";
      assert.match(csp, /script-src 'self'(;|$)/, "no inline scripts, even here");
      assert.match(csp, /frame-ancestors 'none'/);
    });

    test("text, headers and the raw message (.eml) agree with what SMTP would carry", async () => {
      const [id] = await messageIds(app);
      const text = await app.client().get(`/dev/mail/${id}?view=text`);
      assert.match(text.text, /<pre class="mail-text">[\s\S]*<a href="http:\/\/latchkey\.test\/confirm\//);
      const headers = await app.client().get(`/dev/mail/${id}?view=headers`);
      assert.match(headers.text, /<th scope="row">Message-ID<\/th><td>&lt;[^&<>]+@[^&<>]+><\/td>/);
      assert.match(headers.text, /<th scope="row">Content-Type<\/th><td>multipart\/alternative;/);

      const raw = await app.client().get(`/dev/mail/${id}/raw`);
      assert.equal(raw.status, 200);
      assert.equal(raw.headers.get("content-type"), "message/rfc822");
      assert.equal(raw.headers.get("content-disposition"), `attachment; filename="${id}.eml"`);
      const parsed = await simpleParser(raw.text);
      assert.equal(parsed.subject, "Confirm your email address");
      assert.equal(parsed.messageId, `<${/Message-ID<\/th><td>&lt;(.*?)></.exec(headers.text)![1]}>`, "the Message-ID the headers show");
      const link = /http:\/\/latchkey\.test\/confirm\/[A-Za-z0-9_-]{43}/.exec(parsed.text ?? "")?.[0];
      assert.ok(link && typeof parsed.html === "string" && parsed.html.includes(link), "both parts carry the same link");
    });

    test("an unknown message is a 404", async () => {
      for (const path of ["/dev/mail/00000000-0000-0000-0000-000000000000", "/dev/mail/nope/raw"]) {
        assert.equal((await app.client().get(path)).status, 404, path);
      }
    });

    test("delete all needs the form's CSRF token, then empties the mailbox", async () => {
      const browser = app.client();
      await browser.get("/dev/mail");
      assert.equal((await browser.post("/dev/mail/delete", {}, { csrf: false })).status, 403);
      assert.equal((await messageIds(app)).length, 2, "nothing deleted without the token");
      const res = await browser.post("/dev/mail/delete");
      assert.equal(res.status, 303);
      assert.equal(res.location, "/dev/mail");
      assert.deepEqual(await messageIds(app), []);
      await signUp(app, "third@example.com");
      assert.equal((await messageIds(app)).length, 1, "new mail arrives as before");
    });
  });
}

describe("dev mailbox: off with SMTP or in production", () => {
  test("with SMTP_URL or NODE_ENV=production every dev mailbox path is a 404", async () => {
    for (const options of [{}, { smtp: false as const, env: { NODE_ENV: "production" } }]) {
      const app = await startTestApp(options);
      try {
        await signUp(app, "someone@example.com");
        const [row] = await app.service.deps.db.kysely.selectFrom("outbox").select("id").execute();
        for (const path of ["/dev/mail", `/dev/mail/${row!.id}`, `/dev/mail/${row!.id}/raw`]) {
          assert.equal((await app.client().get(path)).status, 404, `${path} (${JSON.stringify(options)})`);
        }
        const browser = app.client();
        await browser.get("/login");
        assert.equal((await browser.post("/dev/mail/delete")).status, 404);
      } finally {
        await app.close();
      }
    }
  });
});
