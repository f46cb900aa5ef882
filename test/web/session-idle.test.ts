import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { testDialects } from "../helpers/databases.ts";
import { confirmedUser, isSignedIn } from "../helpers/flows.ts";

/** Issue 18.5: with a short SESSION_IDLE_TTL, activity keeps the session alive. */
for (const dialect of await testDialects()) {
  describe(`a short idle timeout (${dialect})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ dialect, env: { SESSION_IDLE_TTL: "10" } });
    });
    after(() => app.close());

    test("requests every 2 s keep a 10 s idle session open; 10 s without one end it", async () => {
      const browser = await confirmedUser(app, "active@example.com");
      for (let second = 2; second <= 30; second += 2) {
        app.clock.advance(2_000);
        assert.ok(await isSignedIn(browser), `still signed in at ${second} s, 2 s after the last request`);
      }
      app.clock.advance(10_000);
      assert.equal(await isSignedIn(browser), false, "idle for the whole timeout: signed out");
    });
  });
}
