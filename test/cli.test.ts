import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { openSqliteFile } from "../src/db/sqlite.ts";
import { WebhookReceiver } from "./helpers/webhook-receiver.ts";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const TSCONFIG = fileURLToPath(new URL("../tsconfig.json", import.meta.url));
// Resolved here: the child runs in a temp dir where `--import tsx` would not resolve.
const TSX = import.meta.resolve("tsx");

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real CLI in `cwd` with only the given environment (nothing from this process leaks in). */
function latchkey(cwd: string, args: string[], env: Record<string, string>, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: cwd, TSX_TSCONFIG_PATH: TSCONFIG, LOG_LEVEL: "silent", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    // A command that should have exited but started serving instead must not hang the suite.
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? "");
  });
}

describe("latchkey CLI", () => {
  let dir: string;
  let env: Record<string, string>;
  const dbFile = () => join(dir, "x.db");

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "latchkey-cli-"));
    env = { DATABASE_URL: `sqlite:${join(dir, "x.db")}` };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function users(): Array<{ email: string; admin: number; confirmed: number; confirmed_on: number | null; password_hash: string }> {
    const db = openSqliteFile(dbFile(), { readonly: true });
    try {
      return db.prepare("select email, admin, confirmed, confirmed_on, password_hash from users order by email").all([]) as never;
    } finally {
      db.close();
    }
  }

  test("migrate applies the schema and is idempotent", async () => {
    const first = await latchkey(dir, ["migrate"], env);
    assert.equal(first.code, 0, first.stderr);
    const second = await latchkey(dir, ["migrate"], env);
    assert.equal(second.code, 0, second.stderr);
    const db = openSqliteFile(dbFile(), { readonly: true });
    try {
      const tables = (db.prepare("select name from sqlite_master where type = 'table'").all([]) as Array<{ name: string }>).map((t) => t.name);
      for (const t of ["users", "sessions", "tokens", "outbox"]) assert.ok(tables.includes(t), `${t} exists`);
    } finally {
      db.close();
    }
  });

  test("create-admin reads the password from stdin and creates a confirmed admin; again, it just promotes", async () => {
    const password = "a long admin passphrase 42";
    const created = await latchkey(dir, ["create-admin", "--email", "Admin@Example.com", "--password-stdin"], env, `${password}\n`);
    assert.equal(created.code, 0, created.stderr);
    assert.ok(!created.stdout.includes(password) && !created.stderr.includes(password), "the password is never printed");
    const [admin] = users().filter((u) => u.email.toLowerCase() === "admin@example.com");
    assert.ok(admin, "user created");
    assert.equal(admin.admin, 1);
    assert.equal(admin.confirmed, 1);
    assert.notEqual(admin.confirmed_on, null);
    assert.match(admin.password_hash, /^\$argon2id\$/);

    const again = await latchkey(dir, ["create-admin", "--email", "admin@example.com", "--password-stdin"], env, "ignored password 123\n");
    assert.equal(again.code, 0, again.stderr);
    const after = users().filter((u) => u.email.toLowerCase() === "admin@example.com");
    assert.equal(after.length, 1, "no duplicate account");
    assert.equal(after[0]!.password_hash, admin.password_hash, "promoting leaves the password alone");
  });

  test("create-admin refuses a password in argv, and creates nothing", async () => {
    const attempts = [
      ["create-admin", "--email", "argv@example.com", "--password", "hunter2-hunter2"],
      ["create-admin", "--email", "argv@example.com", "--password=hunter2-hunter2"],
    ];
    const results = await Promise.all(attempts.map((args) => latchkey(dir, args, env, "a long admin passphrase 42\n")));
    for (const [i, res] of results.entries()) {
      assert.notEqual(res.code, 0, `${attempts[i]!.join(" ")} exits non-zero`);
      assert.notEqual(res.code, null, "exited by itself");
      assert.doesNotMatch(res.stderr, /^\s+at /m, "no stack trace");
    }
    assert.equal(users().filter((u) => u.email === "argv@example.com").length, 0);
  });

  test("create-admin refuses a weak password from stdin, and creates nothing", async () => {
    const res = await latchkey(dir, ["create-admin", "--email", "weak@example.com", "--password-stdin"], env, "password1\n");
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /password/i);
    assert.doesNotMatch(res.stderr, /^\s+at /m, "no stack trace");
    assert.equal(users().filter((u) => u.email === "weak@example.com").length, 0);
  });

  test("serve with an invalid configuration exits non-zero with one line naming the variable, no stack trace", async () => {
    const cases = [
      [{ CONFIRM_TOKEN_TTL: "abc" }, "CONFIRM_TOKEN_TTL"],
      [{ NODE_ENV: "production" }, "SECRET_KEY"],
    ] as const;
    const results = await Promise.all(cases.map(([extra]) => latchkey(dir, ["serve", "--port", "0"], { ...env, ...extra })));
    for (const [i, res] of results.entries()) {
      const variable = cases[i]![1];
      assert.notEqual(res.code, null, `${variable}: exited by itself instead of serving`);
      assert.notEqual(res.code, 0, variable);
      const lines = res.stderr.trim().split("\n");
      assert.equal(lines.length, 1, `one line, got:\n${res.stderr}`);
      assert.ok(lines[0]!.includes(variable), `"${lines[0]}" names ${variable}`);
      assert.ok(!res.stderr.includes("    at "), "no stack trace");
    }
  });

  test("webhooks add refuses a private address without WEBHOOK_ALLOW_PRIVATE=on; with it, prints the whsec_ secret once; list and remove", async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      for (const url of [receiver.url, "http://localhost:8080/hook", "http://[::ffff:169.254.169.254]/x"]) {
        const refused = await latchkey(dir, ["webhooks", "add", url], env);
        assert.equal(refused.code, 1, url);
        assert.match(refused.stderr, /loopback, private or link-local address/);
        assert.doesNotMatch(refused.stderr, /^\s+at /m, "no stack trace");
      }
      const bad = await latchkey(dir, ["webhooks", "add", "https://example.com/hook", "--events", "user.created,user.exploded"], env);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /user\.exploded/);
      assert.equal((await latchkey(dir, ["webhooks", "list"], env)).stdout.trim(), "no webhook endpoints", "nothing was added");

      const added = await latchkey(dir, ["webhooks", "add", receiver.url, "--events", "user.created,session.revoked"], { ...env, WEBHOOK_ALLOW_PRIVATE: "on" });
      assert.equal(added.code, 0, added.stderr);
      const secret = /whsec_[A-Za-z0-9+/=]+/.exec(added.stdout)?.[0];
      const id = /endpoint ([0-9a-f-]{36})/.exec(added.stdout)?.[1];
      assert.ok(secret && id, added.stdout);
      const db = openSqliteFile(dbFile(), { readonly: true });
      try {
        const stored = db.prepare("select secret from webhook_endpoints").all([])[0] as { secret: string };
        assert.ok(!stored.secret.includes(secret.slice("whsec_".length)), "the secret is stored sealed, not as given");
      } finally {
        db.close();
      }
      const list = await latchkey(dir, ["webhooks", "list"], env);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`${id}\\s+${receiver.url.replace(/[.]/g, "\\.")}\\s+user\\.created,session\\.revoked`));
      assert.ok(!list.stdout.includes("whsec_"), "list never shows a secret");
      assert.equal((await latchkey(dir, ["webhooks", "remove", id], env)).code, 0);
      assert.equal((await latchkey(dir, ["webhooks", "list"], env)).stdout.trim(), "no webhook endpoints");
      const again = await latchkey(dir, ["webhooks", "remove", id], env);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /no webhook endpoint/);
    } finally {
      await receiver.stop();
    }
  });

  test("mfa-reset removes every second factor of the account, audited, and queues a mail to its owner", async () => {
    // The admin made by the create-admin test above has lost its (planted) factors.
    const db = openSqliteFile(dbFile());
    try {
      const { id } = db.prepare("select id from users where email_canonical = ?").all(["admin@example.com"])[0] as { id: string };
      db.prepare("insert into totp_credentials (user_id, secret_sealed, last_step, created_at) values (?, 'sealed', 0, 0)").run([id]);
      db.prepare("insert into recovery_codes (id, user_id, code_hmac, created_at) values ('r1', ?, 'h', 0)").run([id]);
      const [res, unknown] = await Promise.all([
        latchkey(dir, ["mfa-reset", "--email", "Admin@Example.com"], env),
        latchkey(dir, ["mfa-reset", "--email", "nobody@example.com"], env),
      ]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no account/);
      assert.equal(res.code, 0, res.stderr);
      assert.equal((db.prepare("select count(*) as n from totp_credentials where user_id = ?").all([id])[0] as { n: number }).n, 0);
      assert.equal((db.prepare("select count(*) as n from recovery_codes where user_id = ?").all([id])[0] as { n: number }).n, 0);
      assert.ok(db.prepare("select 1 from auth_events where user_id = ? and type = 'mfa_changed' and outcome = 'mfa_reset'").all([id])[0], "audited");
      assert.ok(db.prepare("select 1 from outbox where kind = 'mfa_reset'").all([])[0], "the owner's notice is queued");
    } finally {
      db.close();
    }
  });
});
