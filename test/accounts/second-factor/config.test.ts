import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, loadConfig } from "../../../src/config.ts";

const base = { SECRET_KEY: "x".repeat(40), DATABASE_URL: "sqlite::memory:" };

describe("configuration of re-authentication and passkeys", () => {
  test("REAUTH_TTL defaults to 300 s and must be a positive integer", () => {
    assert.equal(loadConfig(base).reauthTtl, 300);
    assert.equal(loadConfig({ ...base, REAUTH_TTL: "60" }).reauthTtl, 60);
    for (const bad of ["0", "-5", "abc", "1.5"]) assert.throws(() => loadConfig({ ...base, REAUTH_TTL: bad }), (e: unknown) => e instanceof ConfigError && /REAUTH_TTL/.test(e.message));
  });

  test("the relying party is BASE_URL's host unless WEBAUTHN_RP_ID names a parent of it", () => {
    assert.equal(loadConfig({ ...base, BASE_URL: "https://login.example.com" }).webauthnRpId, "login.example.com");
    assert.equal(loadConfig({ ...base, BASE_URL: "https://login.example.com", WEBAUTHN_RP_ID: "example.com" }).webauthnRpId, "example.com");
    assert.equal(loadConfig({ ...base, BASE_URL: "http://localhost:3000" }).webauthnRpId, "localhost");
    assert.throws(() => loadConfig({ ...base, BASE_URL: "https://login.example.com", WEBAUTHN_RP_ID: "evil.com" }), /WEBAUTHN_RP_ID/);
    assert.throws(() => loadConfig({ ...base, BASE_URL: "https://login.example.com", WEBAUTHN_RP_ID: "ample.com" }), /WEBAUTHN_RP_ID/);
    assert.equal(loadConfig(base).webauthnRpName, "Latchkey");
  });

  test("an IP address cannot be a relying party: passkeys are off, start-up goes on", () => {
    assert.equal(loadConfig({ ...base, BASE_URL: "http://127.0.0.1:3000" }).webauthnRpId, null);
    assert.equal(loadConfig({ ...base, BASE_URL: "http://[::1]:3000" }).webauthnRpId, null);
  });
});
