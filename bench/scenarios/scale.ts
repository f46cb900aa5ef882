/**
 * Does the user count matter? Two servers side by side, one on a database of 1 k users, one
 * on 1 M (100 k with --quick), each seeded by a bulk insert (timed). The same GET /profile and
 * POST /login loads alternate between them. Then the admin account list on the big one
 * (admin-users.ts).
 */
import { createTestDatabase, type TestDatabase } from "../../test/helpers/databases.ts";
import { withCpu, type CpuPerRequest } from "../cpu.ts";
import { alternate, HASH_CONNECTIONS, med, PAGE_CONNECTIONS, type BaseContext } from "../context.ts";
import { startApp, type App } from "../processes.ts";
import { seedUsers, type Seeded } from "../seed.ts";
import { expectStatus } from "../setup.ts";
import { ms, num, times } from "../table.ts";
import { wrk, type WrkResult } from "../wrk.ts";

type Measured = WrkResult & { cpu: CpuPerRequest };
import { adminUsersScenario } from "./admin-users.ts";
import { loginLoad } from "./login.ts";

const MAX_RATIO = 1.2;

const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000} M` : `${n / 1000} k`);

export async function scaleScenario(ctx: BaseContext): Promise<void> {
  const sizes = [1_000, ctx.quick ? 100_000 : 1_000_000] as const;
  const databases: TestDatabase[] = [];
  const apps: App[] = [];
  try {
    const seeded: Seeded[] = [];
    for (const n of sizes) {
      const database = await createTestDatabase(ctx.dialect);
      databases.push(database);
      ctx.log(`scale: seeding ${label(n)} users`);
      seeded.push(await seedUsers(database.url, n));
      ctx.rows.push({
        scenario: `scale: seed ${label(n)} users (bulk insert)`,
        measure: "seconds",
        value: `${num(seeded.at(-1)!.seconds)} s`,
        reference: `${num(n / seeded.at(-1)!.seconds)} rows/s`,
      });
      apps.push(await startApp(ctx.dir, { name: `app-${label(n).replace(" ", "")}`, databaseUrl: database.url, smtpUrl: ctx.sink.url, secretKey: ctx.secretKey, worker: false }));
    }
    const [small, big] = [0, 1].map((i) => ({ app: apps[i]!, seeded: seeded[i]! }));
    for (const s of [small!, big!]) await expectStatus(`${s.app.baseUrl}/profile`, 200, { headers: { cookie: s.seeded.cookie } });
    const profile = (s: typeof small) => () =>
      withCpu(s!.app.pid, () => wrk({ url: `${s!.app.baseUrl}/profile`, seconds: ctx.seconds, connections: PAGE_CONNECTIONS, headers: { cookie: s!.seeded.cookie } }));
    const [smallLogin, bigLogin] = [await loginLoad(small!.app.baseUrl, small!.seeded.email), await loginLoad(big!.app.baseUrl, big!.seeded.email)];
    const login = (app: App, load: typeof smallLogin) => () => withCpu(app.pid, () => wrk({ ...load, seconds: ctx.seconds, connections: HASH_CONNECTIONS }));

    ctx.log("scale: warm-up");
    for (const s of [small!, big!]) await wrk({ url: `${s.app.baseUrl}/profile`, seconds: 2, connections: PAGE_CONNECTIONS, headers: { cookie: s.seeded.cookie } });
    ctx.log(`scale: ${ctx.runs} × 4 runs of ${ctx.seconds} s, alternating ${label(sizes[0])} / ${label(sizes[1])}`);
    const r = await alternate(ctx.runs, { smallProfile: profile(small), bigProfile: profile(big) });
    const l = await alternate(ctx.runs, { smallLogin: login(small!.app, smallLogin), bigLogin: login(big!.app, bigLogin) });

    const compare = (scenario: string, a: Measured[], b: Measured[], unit: string) => {
      const [pa, pb] = [med(a, (x) => x.p99), med(b, (x) => x.p99)];
      ctx.rows.push(
        {
          scenario,
          measure: `p99 at ${label(sizes[1])}`,
          value: ms(pb),
          reference: `${ms(pa)} at ${label(sizes[0])}`,
          ratio: times(pb / pa),
          target: `≤ ${MAX_RATIO}×`,
          met: pb / pa <= MAX_RATIO,
        },
        { scenario, measure: `${unit} at ${label(sizes[1])}`, value: num(med(b, (x) => x.rps)), reference: `${num(med(a, (x) => x.rps))} at ${label(sizes[0])}` },
        {
          scenario,
          measure: `event-loop CPU per request at ${label(sizes[1])}`,
          value: ms(med(b, (x) => x.cpu.main)),
          reference: `${ms(med(a, (x) => x.cpu.main))} at ${label(sizes[0])}`,
          ratio: times(med(b, (x) => x.cpu.main) / med(a, (x) => x.cpu.main)),
        },
      );
    };
    compare("scale: GET /profile", r.smallProfile, r.bigProfile, "req/s");
    compare("scale: POST /login", l.smallLogin, l.bigLogin, "logins/s");
    await adminUsersScenario(ctx, big!.app, databases[1]!.url, big!.seeded, label(sizes[1]));
  } finally {
    for (const app of apps) await app.stop();
    for (const database of databases) await database.drop();
  }
}
