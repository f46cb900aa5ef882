/**
 * Fills a fresh database with `n` confirmed users, fast: SQLite gets one prepared INSERT run in
 * one transaction; PostgreSQL one set-based INSERT … SELECT FROM generate_series. Every row
 * shares one precomputed argon2id hash of PASSWORD. One of them (in the middle) also gets a
 * session, so its pages can be loaded.
 */
import { randomUUID } from "node:crypto";
import { hash } from "@node-rs/argon2";
import { ARGON2_PARAMS } from "../src/accounts/passwords.ts";
import { migrate, openDb } from "../src/db/index.ts";
import { openSqliteFile } from "../src/db/sqlite.ts";
import { randomToken, sha256 } from "../src/secrets.ts";
import { PASSWORD } from "./setup.ts";

export interface Seeded {
  readonly seconds: number;
  /** A seeded account (password PASSWORD) and `session=…` for it. */
  readonly email: string;
  readonly cookie: string;
}

let sharedHash: Promise<string> | undefined;

export const userEmail = (i: number) => `user${i}@example.com`;

export async function seedUsers(url: string, n: number): Promise<Seeded> {
  const passwordHash = await (sharedHash ??= hash(PASSWORD, ARGON2_PARAMS));
  const db = openDb(url);
  await migrate(db);
  const now = Date.now();
  const started = performance.now();
  if (db.dialect === "sqlite") {
    await db.close();
    const file = openSqliteFile(url.slice("sqlite:".length));
    file.exec("pragma journal_mode = WAL");
    file.exec("pragma cache_size = -262144");
    const insert = file.prepare(
      "insert into users (id, email, email_canonical, password_hash, registered_on, confirmed, confirmed_on, admin) values (?, ?, ?, ?, ?, 1, ?, 0)",
    );
    file.exec("begin");
    for (let i = 0; i < n; i++) {
      const email = userEmail(i);
      insert.run([randomUUID(), email, email, passwordHash, now - n + i, now - n + i]);
    }
    file.exec("commit");
    file.close();
  } else {
    await db.pgPool!.query(
      `insert into users (id, email, email_canonical, password_hash, registered_on, confirmed, confirmed_on, admin)
       select gen_random_uuid()::text, 'user' || i || '@example.com', 'user' || i || '@example.com', $1, $2::bigint + i, 1, $2::bigint + i, 0
       from generate_series(0, $3::int - 1) as i`,
      [passwordHash, now - n, n],
    );
    await db.pgPool!.query("analyze users");
    await db.close();
  }
  const seconds = (performance.now() - started) / 1000;

  const email = userEmail(Math.floor(n / 2));
  const token = randomToken();
  const again = openDb(url);
  try {
    const user = await again.kysely.selectFrom("users").select("id").where("email_canonical", "=", email).executeTakeFirstOrThrow();
    await again.kysely
      .insertInto("sessions")
      .values({
        id_hash: sha256(token),
        public_id: randomUUID(),
        user_id: user.id,
        created_at: now,
        last_seen_at: now,
        expires_at: now + 86_400_000,
        ip: null,
        user_agent: null,
        signup_email: null,
        signup_password_hash: null,
      })
      .execute();
  } finally {
    await again.close();
  }
  return { seconds, email, cookie: `session=${token}` };
}
