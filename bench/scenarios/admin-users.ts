/**
 * The operator's account list at scale (issue 14): GET /admin/users on the 1 M-user database of
 * the scale scenario, as one admin at a time would load it (few connections: latency, not
 * throughput). 10 % of the accounts are made unconfirmed and 1 % disabled first, so the status
 * filters have something to find, and 10,000 accounts `spread…@example.org` are added at random
 * times (a prefix whose matches are spread over time, as real addresses are). The seed's own
 * addresses are in registration order (user0 oldest, user999999 newest): the worst case for a
 * prefix matching many, all of them old, is measured too, without a target.
 * Each run is followed by a pause until the server answers promptly again, so a slow query's
 * last requests do not land in the next configuration's tail.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { openDb } from "../../src/db/index.ts";
import { alternate, med, type BaseContext } from "../context.ts";
import type { App } from "../processes.ts";
import type { Seeded } from "../seed.ts";
import { expectStatus } from "../setup.ts";
import { ms, num } from "../table.ts";
import { wrk } from "../wrk.ts";

const CONNECTIONS = 4;
const TARGET_MS = 50;
const SPREAD = 10_000;

/** Waits (≤ 10 s) until the server answers a cheap request within 20 ms: the previous load has drained. */
async function settle(baseUrl: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const started = performance.now();
    await (await fetch(`${baseUrl}/healthz`)).arrayBuffer();
    if (performance.now() - started < 20) return;
    await sleep(100);
  }
}

export async function adminUsersScenario(ctx: BaseContext, app: App, databaseUrl: string, seeded: Seeded, size: string): Promise<void> {
  const db = openDb(databaseUrl);
  let deep: string;
  try {
    await db.kysely.updateTable("users").set({ confirmed: 0, confirmed_on: null }).where((eb) => eb(eb("registered_on", "%", 10), "=", 0)).execute();
    await db.kysely.updateTable("users").set((eb) => ({ disabled_at: eb.ref("registered_on") })).where((eb) => eb(eb("registered_on", "%", 100), "=", 1)).execute();
    const span = await db.kysely.selectFrom("users").select((eb) => [eb.fn.min("registered_on").as("lo"), eb.fn.max("registered_on").as("hi")]).executeTakeFirstOrThrow();
    const [lo, hi] = [Number(span.lo), Number(span.hi)];
    for (let k = 0; k < SPREAD; k += 1000) {
      await db.kysely
        .insertInto("users")
        .values(
          Array.from({ length: 1000 }, (_, j) => {
            const email = `spread${k + j}@example.org`;
            return { id: randomUUID(), email, email_canonical: email, password_hash: "x", registered_on: lo + Math.floor(Math.random() * (hi - lo)), confirmed: 1, confirmed_on: hi, confirmation_sent_at: null };
          }),
        )
        .execute();
    }
    // Last: the status updates above may have hit the seeded account, which must be a confirmed, enabled admin.
    await db.kysely.updateTable("users").set({ admin: 1, confirmed: 1, confirmed_on: lo, disabled_at: null }).where("email_canonical", "=", seeded.email).execute();
    // A table at rest, as autovacuum keeps a real one: the bulk seed and the 110 k status updates
    // above (spread over every page) would otherwise leave the visibility map empty, and every
    // index-only scan would read the heap. SQLite has no such map.
    if (db.pgPool) await db.pgPool.query("vacuum analyze users");
    // Halfway down the list (the 500,000th at 1 M users; a --quick run seeds fewer).
    const { n } = await db.kysely.selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    const middle = await db.kysely.selectFrom("users").select(["registered_on", "id"]).orderBy("registered_on", "desc").orderBy("id", "desc").offset(Math.floor(Number(n) / 2)).limit(1).executeTakeFirstOrThrow();
    deep = `${middle.registered_on}_${middle.id}`;
  } finally {
    await db.close();
  }
  const queries: Record<string, { path: string; target: boolean }> = {
    "newest first": { path: "/admin/users", target: true },
    "status=disabled": { path: "/admin/users?status=disabled", target: true },
    "deep page (halfway down the list)": { path: `/admin/users?after=${deep}`, target: true },
    "prefix = one address, any case": { path: "/admin/users?q=USER123456%40EXAMPLE.COM", target: true },
    "prefix matching every account": { path: "/admin/users?q=User", target: true },
    "prefix, 10 k matches spread over time": { path: "/admin/users?q=spread", target: true },
    "prefix (10 k spread matches) and status=confirmed": { path: "/admin/users?q=spread&status=confirmed", target: true },
    "worst case: prefix, 11 k matches all among the oldest (user12)": { path: "/admin/users?q=user12", target: false },
    "worst case: prefix, 111 k matches all older than 400 k others (user5)": { path: "/admin/users?q=user5", target: false },
  };
  const headers = { cookie: seeded.cookie };
  for (const { path } of Object.values(queries)) await expectStatus(`${app.baseUrl}${path}`, 200, { headers });
  ctx.log(`admin users: ${ctx.runs} × ${Object.keys(queries).length} runs of ${ctx.seconds} s at ${CONNECTIONS} connections`);
  const runs = await alternate(
    ctx.runs,
    Object.fromEntries(
      Object.entries(queries).map(([name, q]) => [name, async () => {
          const result = await wrk({ url: `${app.baseUrl}${q.path}`, seconds: ctx.seconds, connections: CONNECTIONS, headers });
          await settle(app.baseUrl);
          return result;
        }]),
    ),
  );
  for (const [name, q] of Object.entries(queries)) {
    const r = runs[name]!;
    const p99 = med(r, (x) => x.p99);
    ctx.rows.push({
      scenario: `scale: GET /admin/users, ${name}`,
      measure: `p99 at ${size} (${CONNECTIONS} connections)`,
      value: ms(p99),
      reference: `${num(med(r, (x) => x.rps))} req/s, p50 ${ms(med(r, (x) => x.p50))}`,
      ...(q.target ? { target: `< ${TARGET_MS} ms`, met: p99 < TARGET_MS } : {}),
    });
  }
}
