/**
 * The operator's account list at scale (issue 14): GET /admin/users on the 1 M-user database of
 * the scale scenario, as one admin at a time would load it (few connections: latency, not
 * throughput). 10 % of the accounts are made unconfirmed and 1 % disabled first, so the status
 * filters have something to find. The seed's addresses are in registration order (user0 oldest,
 * user999999 newest), which is the worst case for a broad prefix: it is measured too.
 */
import { openDb } from "../../src/db/index.ts";
import { alternate, med, type BaseContext } from "../context.ts";
import type { App } from "../processes.ts";
import type { Seeded } from "../seed.ts";
import { expectStatus } from "../setup.ts";
import { ms, num } from "../table.ts";
import { wrk } from "../wrk.ts";

const CONNECTIONS = 4;
const TARGET_MS = 50;

export async function adminUsersScenario(ctx: BaseContext, app: App, databaseUrl: string, seeded: Seeded, size: string): Promise<void> {
  const db = openDb(databaseUrl);
  let deep: string;
  try {
    await db.kysely.updateTable("users").set({ admin: 1 }).where("email_canonical", "=", seeded.email).execute();
    await db.kysely.updateTable("users").set({ confirmed: 0, confirmed_on: null }).where((eb) => eb(eb("registered_on", "%", 10), "=", 0)).execute();
    await db.kysely.updateTable("users").set((eb) => ({ disabled_at: eb.ref("registered_on") })).where((eb) => eb(eb("registered_on", "%", 100), "=", 1)).execute();
    if (db.pgPool) await db.pgPool.query("analyze users");
    const middle = await db.kysely.selectFrom("users").select(["registered_on", "id"]).orderBy("registered_on", "desc").orderBy("id", "desc").offset(500_000).limit(1).executeTakeFirstOrThrow();
    deep = `${middle.registered_on}_${middle.id}`;
  } finally {
    await db.close();
  }
  const queries: Record<string, { path: string; target: boolean }> = {
    "newest first": { path: "/admin/users", target: true },
    "status=disabled": { path: "/admin/users?status=disabled", target: true },
    "deep page (after the 500,000th)": { path: `/admin/users?after=${deep}`, target: true },
    "prefix = one address, any case": { path: "/admin/users?q=USER123456%40EXAMPLE.COM", target: true },
    "prefix matching every account": { path: "/admin/users?q=User", target: true },
    "prefix, 11 k old matches (user12)": { path: "/admin/users?q=user12", target: true },
    "prefix, 111 k matches in one block of registration order (user5)": { path: "/admin/users?q=user5", target: true },
  };
  const headers = { cookie: seeded.cookie };
  for (const { path } of Object.values(queries)) await expectStatus(`${app.baseUrl}${path}`, 200, { headers });
  ctx.log(`admin users: ${ctx.runs} × ${Object.keys(queries).length} runs of ${ctx.seconds} s at ${CONNECTIONS} connections`);
  const runs = await alternate(
    ctx.runs,
    Object.fromEntries(
      Object.entries(queries).map(([name, q]) => [name, () => wrk({ url: `${app.baseUrl}${q.path}`, seconds: ctx.seconds, connections: CONNECTIONS, headers })]),
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
