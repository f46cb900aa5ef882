import http from "node:http";
import { createHash, hash } from "node:crypto";
import { createTestDatabase } from "../test/helpers/databases.ts";
import { openDb, migrate } from "../src/db/index.ts";
import { createSession } from "../src/accounts/sessions.ts";
import Database from "better-sqlite3";
const t = await createTestDatabase("sqlite");
const db = openDb(t.url); await migrate(db);
const now = Date.now();
await db.kysely.insertInto("users").values({ id: "0f8c7a4e-1111-2222-3333-444455556666", email: "someone@example.com", email_canonical: "someone@example.com", password_hash: "x", confirmed: 1, admin: 0, registered_on: now, confirmed_on: now } as any).execute();
const deps: any = { db, clock: { now: () => Date.now() }, config: { sessionIdleTtl: 3600, sessionAbsoluteTtl: 86400 } };
const id = await createSession(db.kysely as any, deps, { userId: "0f8c7a4e-1111-2222-3333-444455556666", now, client: { ip: null, userAgent: null }, email: "someone@example.com" });
console.log("COOKIE", id);
const file = t.url.replace(/^sqlite:(\/\/)?/, "");
console.log(file);
const raw = new Database(file);
const mode = process.argv[2];
const full = raw.prepare(`select s.public_id, s.created_at, s.last_seen_at, s.expires_at, s.signup_email, s.authenticated_at, s.amr, s.mfa_pending, u.id, u.email, u.confirmed, u.admin, u.registered_on, u.confirmed_on, u.pending_email, u.disabled_at, u.locale from sessions s join users u on u.id = s.user_id where s.id_hash = ?`);
const lean = raw.prepare(`select s.public_id, s.last_seen_at, s.expires_at, s.signup_email, s.mfa_pending, u.id, u.email, u.confirmed, u.admin, u.disabled_at from sessions s join users u on u.id = s.user_id where s.id_hash = ?`).raw(true);
const leanObj = raw.prepare(`select s.public_id, s.last_seen_at, s.expires_at, s.signup_email, s.mfa_pending, u.id, u.email, u.confirmed, u.admin, u.disabled_at from sessions s join users u on u.id = s.user_id where s.id_hash = ?`);
const fullRaw = raw.prepare(`select s.public_id, s.created_at, s.last_seen_at, s.expires_at, s.signup_email, s.authenticated_at, s.amr, s.mfa_pending, u.id, u.email, u.confirmed, u.admin, u.registered_on, u.confirmed_on, u.pending_email, u.disabled_at, u.locale from sessions s join users u on u.id = s.user_id where s.id_hash = ?`).raw(true);
const jwt = "e".repeat(520);
http.createServer((req, res) => {
  const c = req.headers.cookie ?? "";
  const v = c.slice(c.indexOf("session=") + 8, c.indexOf("session=") + 8 + 43);
  const h = mode === "old" ? createHash("sha256").update(v).digest("hex") : hash("sha256", v, "hex");
  let uid: string, email: string;
  if (mode === "nodb") { uid = "0f8c7a4e-1111-2222-3333-444455556666"; email = "someone@example.com"; }
  else if (mode === "full" || mode === "old") { const r: any = full.all(h)[0]; uid = r.id; email = r.email; }
  else if (mode === "leanobj") { const r: any = leanObj.get(h); uid = r.id; email = r.email; }
  else if (mode === "fullraw") { const r: any = fullRaw.get(h); uid = r[8]; email = r[9]; }
  else if (mode === "fullget") { const r: any = full.get(h); uid = r.id; email = r.email; }
  else { const r: any = lean.get(h); uid = r[5]; email = r[6]; }
  res.writeHead(200, ["cache-control","no-store","x-content-type-options","nosniff","content-length","0","remote-user",uid,"remote-email",email,"remote-groups","","x-auth-request-user",uid,"x-auth-request-email",email,"x-auth-request-groups","","latchkey-assertion",jwt]);
  res.end();
}).listen(9101, "127.0.0.1", () => console.log("LISTEN"));
