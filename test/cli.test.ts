import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { openSqliteFile } from "../src/db/sqlite.ts";

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
});
