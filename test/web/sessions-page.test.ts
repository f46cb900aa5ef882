import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Client } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, device, FIREFOX_LINUX, isSignedIn, SAFARI_IPHONE, signIn, signUp } from "../helpers/flows.ts";

interface Row {
  readonly id: string;
  readonly html: string;
  readonly current: boolean;
}

/** The rows of the /sessions table, by their `data-session` id. */
function sessionRows(html: string): Row[] {
  return [...html.matchAll(/<tr data-session="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({
    id: m[1]!,
    html: m[2]!,
    current: /this device/i.test(m[2]!),
  }));
}

for (const dialect of await testDialects()) {
  describe(`sessions page (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect });
    });
    after(() => app.close());

    /** A confirmed user signed in on a Firefox laptop (the sign-up browser) and an iPhone. */
    async function twoDevices(email: string): Promise<{ laptop: Client; phone: Client }> {
      const laptop = await confirmedUser(app, email, { userAgent: FIREFOX_LINUX });
      const { browser: phone, res } = await signIn(app, email, undefined, { userAgent: SAFARI_IPHONE });
      assert.equal(res.status, 303);
      return { laptop, phone };
    }

    async function rowsOf(browser: Client): Promise<Row[]> {
      const res = await browser.get("/sessions");
      assert.equal(res.status, 200);
      return sessionRows(res.text);
    }

    test("/sessions lists each signed-in device once, with a summary of its browser, and marks this device once", async () => {
      const { laptop, phone } = await twoDevices("lister@example.com");
      const page = await laptop.get("/sessions");
      assert.equal(page.status, 200);
      const rows = sessionRows(page.text);
      assert.equal(rows.length, 2, "two sessions, two rows");
      assert.notEqual(rows[0]!.id, rows[1]!.id);
      assert.equal(rows.filter((r) => r.current).length, 1, "'this device' is marked once");
      const mine = rows.find((r) => r.current)!;
      const theirs = rows.find((r) => !r.current)!;
      assert.match(mine.html, /Firefox on Linux/);
      assert.match(theirs.html, /Safari on iOS/);
      assert.match(page.text, /127\.0\.0\.1/, "shows the IP address");

      const fromPhone = await rowsOf(phone);
      assert.equal(fromPhone.length, 2);
      assert.deepEqual(fromPhone.filter((r) => r.current).map((r) => r.id), [theirs.id], "the phone sees itself as this device");
    });

    test("/sessions shows only the viewer's own sessions", async () => {
      const { laptop } = await twoDevices("mine-only@example.com");
      await twoDevices("someone-else@example.com");
      assert.equal((await rowsOf(laptop)).length, 2);
    });

    test("anonymous visitors are sent to sign in and back; unconfirmed users to /unconfirmed", async () => {
      const res = await app.client().get("/sessions");
      assert.equal(res.status, 303);
      assert.equal(res.location, "/login?next=%2Fsessions");
      const { browser } = await signUp(app, "sessions-unconfirmed@example.com");
      const unconfirmed = await browser.get("/sessions");
      assert.equal(unconfirmed.status, 303);
      assert.equal(unconfirmed.location, "/unconfirmed");
    });

    test("revoking another device answers 303 → /sessions and signs it out at once", async () => {
      const { laptop, phone } = await twoDevices("revoker@example.com");
      assert.ok(await isSignedIn(phone));
      const page = await laptop.get("/sessions");
      const target = sessionRows(page.text).find((r) => !r.current)!;
      assert.ok(page.text.includes(`action="/sessions/${target.id}/revoke"`), "the row's form posts to its revoke route");

      const res = await laptop.post(`/sessions/${target.id}/revoke`);
      assert.equal(res.status, 303);
      assert.equal(res.location, "/sessions");

      const after = await phone.get("/profile");
      assert.equal(after.status, 303, "the phone is signed out");
      assert.match(after.location ?? "", /^\/login/);
      assert.ok(await isSignedIn(laptop), "the laptop stays signed in");
      const rows = await rowsOf(laptop);
      assert.deepEqual(rows.map((r) => r.id), [rows.find((r) => r.current)!.id], "only this device is left");
    });

    test("revoking without a valid CSRF token is refused with 403 and revokes nothing", async () => {
      const { laptop, phone } = await twoDevices("csrf-revoke@example.com");
      const target = (await rowsOf(laptop)).find((r) => !r.current)!;
      const res = await laptop.post(`/sessions/${target.id}/revoke`, {}, { csrf: false });
      assert.equal(res.status, 403);
      assert.ok(await isSignedIn(phone), "the phone is still signed in");
      assert.equal((await rowsOf(laptop)).length, 2);
    });

    test("revoking another user's session id is a 404 and that session survives", async () => {
      const { laptop } = await twoDevices("nosy@example.com");
      const victim = await confirmedUser(app, "victim@example.com");
      const victimRow = (await rowsOf(victim)).find((r) => r.current)!;

      const res = await laptop.post(`/sessions/${victimRow.id}/revoke`);
      assert.equal(res.status, 404);
      assert.ok(await isSignedIn(victim), "the victim is still signed in");
      assert.equal((await rowsOf(victim)).length, 1);
      assert.equal((await laptop.post("/sessions/00000000-0000-4000-8000-000000000000/revoke")).status, 404, "an unknown id is a 404 too");
    });

    test("revoking this device signs this browser out", async () => {
      const { laptop, phone } = await twoDevices("self-revoke@example.com");
      const mine = (await rowsOf(laptop)).find((r) => r.current)!;
      const res = await laptop.post(`/sessions/${mine.id}/revoke`);
      assert.equal(res.status, 303);
      assert.equal(await isSignedIn(laptop), false);
      assert.ok(await isSignedIn(phone), "the other device is untouched");
    });

    test("an anonymous revoke is sent to sign in and revokes nothing", async () => {
      const { laptop } = await twoDevices("anon-revoke@example.com");
      const target = (await rowsOf(laptop))[0]!;
      const res = await (await device(app)).post(`/sessions/${target.id}/revoke`);
      assert.equal(res.status, 303);
      assert.match(res.location ?? "", /^\/login/);
      assert.equal((await rowsOf(laptop)).length, 2);
    });
  });
}
