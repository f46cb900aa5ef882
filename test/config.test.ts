import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ConfigError, loadConfig, type Env } from "../src/config.ts";

const KEY = "k".repeat(40);

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "latchkey-config-"));
  dirs.push(dir);
  return dir;
}

/** The variable named in the one-line error. */
function failsNaming(env: Env, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
      assert.ok(err.message.includes(variable), `"${err.message}" names ${variable}`);
      assert.ok(!err.message.includes("\n"), "one line");
      return true;
    },
  );
}

describe("loadConfig defaults (SPEC §2)", () => {
  test("with only a secret key, every default matches the spec", () => {
    const c = loadConfig({ SECRET_KEY: KEY });
    assert.equal(c.port, 3000);
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.baseUrl, "http://localhost:3000");
    assert.equal(c.databaseUrl, "sqlite:./data/latchkey.db");
    assert.equal(c.secretKey, KEY);
    assert.equal(c.smtpUrl, undefined);
    assert.equal(c.mailFrom, "Latchkey <no-reply@localhost>");
    assert.equal(c.confirmTokenTtl, 86400);
    assert.equal(c.resetTokenTtl, 3600);
    assert.equal(c.emailChangeTokenTtl, 3600);
    assert.equal(c.sessionIdleTtl, 604800);
    assert.equal(c.sessionAbsoluteTtl, 2592000);
    assert.equal(c.passwordMinLength, 8);
    assert.deepEqual(c.trustProxy, []);
    assert.equal(c.rateLimits, true);
    assert.equal(c.logLevel, "info");
    assert.equal(c.production, false);
    assert.equal(c.devMailbox, true, "no SMTP_URL, not production → dev mailbox");
    assert.equal(c.secureCookies, false);
    assert.equal(c.unconfirmedAccountTtl, 604800);
  });

  test("UNCONFIRMED_ACCOUNT_TTL=0 means never", () => {
    assert.equal(loadConfig({ SECRET_KEY: KEY, UNCONFIRMED_ACCOUNT_TTL: "0" }).unconfirmedAccountTtl, 0);
  });

  test("the config is frozen", () => {
    const c = loadConfig({ SECRET_KEY: KEY });
    assert.ok(Object.isFrozen(c));
  });

  test("BASE_URL defaults to localhost on PORT", () => {
    assert.equal(loadConfig({ SECRET_KEY: KEY, PORT: "4123" }).baseUrl, "http://localhost:4123");
  });

  test("empty variables count as unset", () => {
    const c = loadConfig({ SECRET_KEY: KEY, SMTP_URL: "", BASE_URL: "", CONFIRM_TOKEN_TTL: "" });
    assert.equal(c.smtpUrl, undefined);
    assert.equal(c.baseUrl, "http://localhost:3000");
    assert.equal(c.confirmTokenTtl, 86400);
  });

  test("reads every variable it is given", () => {
    const c = loadConfig({
      SECRET_KEY: KEY,
      NODE_ENV: "production",
      PORT: "8080",
      HOST: "0.0.0.0",
      BASE_URL: "https://accounts.example.com/",
      DATABASE_URL: "postgres://u:p@db.example.com:5432/latchkey",
      SMTP_URL: "smtps://user:pass@smtp.example.com:465",
      MAIL_FROM: "Accounts <accounts@example.com>",
      CONFIRM_TOKEN_TTL: "600",
      RESET_TOKEN_TTL: "900",
      EMAIL_CHANGE_TOKEN_TTL: "1200",
      SESSION_IDLE_TTL: "3600",
      SESSION_ABSOLUTE_TTL: "7200",
      PASSWORD_MIN_LENGTH: "12",
      TRUST_PROXY: "10.0.0.1, 192.168.0.0/16",
      RATE_LIMITS: "off",
      LOG_LEVEL: "warn",
    });
    assert.equal(c.production, true);
    assert.equal(c.port, 8080);
    assert.equal(c.host, "0.0.0.0");
    assert.equal(c.baseUrl, "https://accounts.example.com", "no trailing slash");
    assert.equal(c.secureCookies, true, "https BASE_URL → secure cookies");
    assert.equal(c.databaseUrl, "postgres://u:p@db.example.com:5432/latchkey");
    assert.equal(c.smtpUrl, "smtps://user:pass@smtp.example.com:465");
    assert.equal(c.mailFrom, "Accounts <accounts@example.com>");
    assert.deepEqual(
      [c.confirmTokenTtl, c.resetTokenTtl, c.emailChangeTokenTtl, c.sessionIdleTtl, c.sessionAbsoluteTtl],
      [600, 900, 1200, 3600, 7200],
    );
    assert.equal(c.passwordMinLength, 12);
    assert.deepEqual(c.trustProxy, ["10.0.0.1", "192.168.0.0/16"]);
    assert.equal(c.rateLimits, false);
    assert.equal(c.logLevel, "warn");
    assert.equal(c.devMailbox, false);
  });

  test("WEBHOOK_ALLOW_PRIVATE is off unless set to on", () => {
    assert.equal(loadConfig({ SECRET_KEY: KEY }).webhookAllowPrivate, false);
    assert.equal(loadConfig({ SECRET_KEY: KEY, WEBHOOK_ALLOW_PRIVATE: "off" }).webhookAllowPrivate, false);
    assert.equal(loadConfig({ SECRET_KEY: KEY, WEBHOOK_ALLOW_PRIVATE: "on" }).webhookAllowPrivate, true);
  });

  test("the dev mailbox is off with SMTP_URL, and off in production", () => {
    assert.equal(loadConfig({ SECRET_KEY: KEY, SMTP_URL: "smtp://127.0.0.1:2525" }).devMailbox, false);
    assert.equal(loadConfig({ SECRET_KEY: KEY, NODE_ENV: "production" }).devMailbox, false);
  });

  test("accepts sqlite::memory: and postgresql:// URLs", () => {
    assert.equal(loadConfig({ SECRET_KEY: KEY, DATABASE_URL: "sqlite::memory:" }).databaseUrl, "sqlite::memory:");
    assert.equal(loadConfig({ SECRET_KEY: KEY, DATABASE_URL: "postgresql://localhost/x" }).databaseUrl, "postgresql://localhost/x");
  });
});

describe("invalid configuration names the variable", () => {
  const cases: Array<[string, Env]> = [
    ["BASE_URL", { BASE_URL: "not a url" }],
    ["BASE_URL", { BASE_URL: "ftp://example.com" }],
    ["BASE_URL", { BASE_URL: "javascript:alert(1)" }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://x" }],
    ["DATABASE_URL", { DATABASE_URL: "sqlite:" }],
    ["DATABASE_URL", { DATABASE_URL: "./data/latchkey.db" }],
    ["CONFIRM_TOKEN_TTL", { CONFIRM_TOKEN_TTL: "0" }],
    ["CONFIRM_TOKEN_TTL", { CONFIRM_TOKEN_TTL: "-5" }],
    ["CONFIRM_TOKEN_TTL", { CONFIRM_TOKEN_TTL: "abc" }],
    ["CONFIRM_TOKEN_TTL", { CONFIRM_TOKEN_TTL: "1.5" }],
    ["RESET_TOKEN_TTL", { RESET_TOKEN_TTL: "0" }],
    ["EMAIL_CHANGE_TOKEN_TTL", { EMAIL_CHANGE_TOKEN_TTL: "soon" }],
    ["SESSION_IDLE_TTL", { SESSION_IDLE_TTL: "-1" }],
    ["SESSION_ABSOLUTE_TTL", { SESSION_ABSOLUTE_TTL: "0" }],
    ["SESSION_IDLE_TTL", { SESSION_IDLE_TTL: "7200", SESSION_ABSOLUTE_TTL: "3600" }],
    ["SMTP_URL", { SMTP_URL: "http://x" }],
    ["SMTP_URL", { SMTP_URL: "not a url" }],
    ["PORT", { PORT: "abc" }],
    ["PORT", { PORT: "70000" }],
    ["PASSWORD_MIN_LENGTH", { PASSWORD_MIN_LENGTH: "0" }],
    ["PASSWORD_MIN_LENGTH", { PASSWORD_MIN_LENGTH: "2000" }],
    ["RATE_LIMITS", { RATE_LIMITS: "maybe" }],
    ["WEBHOOK_ALLOW_PRIVATE", { WEBHOOK_ALLOW_PRIVATE: "yes" }],
    ["LOG_LEVEL", { LOG_LEVEL: "loud" }],
    ["SECRET_KEY", { SECRET_KEY: "short" }],
    ["UNCONFIRMED_ACCOUNT_TTL", { UNCONFIRMED_ACCOUNT_TTL: "-1" }],
    ["UNCONFIRMED_ACCOUNT_TTL", { UNCONFIRMED_ACCOUNT_TTL: "a week" }],
  ];
  for (const [variable, env] of cases) {
    test(`${variable}=${JSON.stringify(Object.values(env).join(" / "))}`, () => {
      failsNaming({ SECRET_KEY: KEY, ...env }, variable);
    });
  }

  test("NODE_ENV=production without SECRET_KEY fails naming SECRET_KEY", () => {
    const dir = tempDir();
    failsNaming({ NODE_ENV: "production", DATABASE_URL: `sqlite:${join(dir, "x.db")}` }, "SECRET_KEY");
    assert.equal(existsSync(join(dir, "secret-key")), false, "no key is generated in production");
  });
});

describe("development secret key", () => {
  test("is generated once beside the SQLite file, private, and reused", () => {
    const dir = tempDir();
    const env = { DATABASE_URL: `sqlite:${join(dir, "sub", "x.db")}` };
    const first = loadConfig(env);
    const file = join(dir, "sub", "secret-key");
    assert.ok(existsSync(file), "key file written beside the database");
    assert.equal(readFileSync(file, "utf8").trim(), first.secretKey);
    assert.ok(first.secretKey.length >= 32);
    if (process.platform !== "win32") assert.equal(statSync(file).mode & 0o077, 0, "not readable by others");
    assert.equal(loadConfig(env).secretKey, first.secretKey, "same key on the next start");
  });

  test("each data directory gets its own key", () => {
    const a = loadConfig({ DATABASE_URL: `sqlite:${join(tempDir(), "x.db")}` });
    const b = loadConfig({ DATABASE_URL: `sqlite:${join(tempDir(), "x.db")}` });
    assert.notEqual(a.secretKey, b.secretKey);
  });

  test("SECRET_KEY, when set, wins and nothing is written", () => {
    const dir = tempDir();
    assert.equal(loadConfig({ SECRET_KEY: KEY, DATABASE_URL: `sqlite:${join(dir, "x.db")}` }).secretKey, KEY);
    assert.equal(existsSync(join(dir, "secret-key")), false);
  });
});
