import type { FastifyInstance } from "fastify";
import { accountTotals, cohorts, COHORTS_SHOWN, WINDOWS, type Cohort, type CohortPeriod } from "../../admin/cohorts.ts";
import { failedMail } from "../../admin/failed-mail.ts";
import { outboxCounts } from "../../db/claim.ts";
import type { WebContext } from "../http.ts";
import { adminState, FailedTable } from "./admin-common.tsx";
import { adminOpsRoutes } from "./admin-ops.tsx";
import { adminUserRoutes } from "./admin-users.tsx";
import { adminWebhookRoutes } from "./admin-webhooks.tsx";
import { page } from "./common.tsx";
import { Scrolls } from "../views/layout.tsx";

const PERIODS: Record<CohortPeriod, string> = {
  day: `By day, last ${COHORTS_SHOWN.day} days`,
  week: `By week, last ${COHORTS_SHOWN.week} weeks`,
};
const FAILED_SHOWN = 20;

export function adminRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;

  app.register(
    async (admin) => {
      admin.get("/", async (req, reply) => {
        const gate = await adminState(req, reply, ctx);
        if (gate.redirect) return gate.redirect;
        const by: CohortPeriod = (req.query as Record<string, unknown>).by === "week" ? "week" : "day";
        const [rows, totals, outbox, failed] = await Promise.all([
          cohorts(deps, by, COHORTS_SHOWN[by]),
          accountTotals(deps),
          outboxCounts(deps.db),
          failedMail(deps, FAILED_SHOWN),
        ]);
        return page(
          reply,
          200,
          gate.state,
          "Admin",
          <>
            <p>
              {totals.accounts} account{totals.accounts === 1 ? "" : "s"}, {totals.confirmed} confirmed ({share(totals.confirmed, totals.accounts)}).{" "}
              <a href="/admin/users">Find an account</a> · <a href="/admin/events">Audit log</a> · <a href="/admin/mail">Email delivery</a> ·{" "}
              <a href="/admin/webhooks">{gate.state.t.webhooksTitle}</a>
            </p>
            <h2>Cohorts: sign-ups and their confirmation</h2>
            <p class="switch">
              {(Object.keys(PERIODS) as CohortPeriod[]).map((p) =>
                p === by ? <strong>{PERIODS[p]}</strong> : <a href={p === "day" ? "/admin" : `/admin?by=${p}`}>{PERIODS[p]}</a>,
              )}
            </p>
            <CohortChart cohorts={rows} period={by} />
            <Scrolls label="Cohort table">
              <CohortTable cohorts={rows} period={by} />
            </Scrolls>
            <p>
              <a href={`/admin/cohorts.csv?by=${by}`} download>
                This table as CSV
              </a>
            </p>
            <h2>Email delivery</h2>
            <p>
              {outbox.pending} waiting to be sent, {outbox.failed} given up on. <a href="/admin/mail">Details and retries</a>
            </p>
            {failed.length > 0 ? <FailedTable mails={failed} csrf={gate.state.csrf} /> : null}
          </>,
        );
      });

      adminUserRoutes(admin, ctx);
      adminOpsRoutes(admin, ctx);
      adminWebhookRoutes(admin, ctx);

      admin.setNotFoundHandler(async (req, reply) => {
        const gate = await adminState(req, reply, ctx);
        if (gate.redirect) return gate.redirect;
        return page(reply, 404, gate.state, "Not found", <p>There is no page at this address.</p>);
      });
    },
    { prefix: "/admin" },
  );
}

function share(n: number, of: number): string {
  return of === 0 ? "—" : `${Math.round((n / of) * 100)} %`;
}

/** YYYY-MM-DD (UTC) of a cohort's first day. */
function isoDay(c: Cohort): string {
  return new Date(c.start).toISOString().slice(0, 10);
}

function cohortName(c: Cohort, period: CohortPeriod): string {
  return period === "day" ? isoDay(c) : `week of ${isoDay(c)}`;
}

const SERIES = [...WINDOWS.map((w) => w.label), "ever"];

/**
 * Each cohort as one bar 0–100 %: nested bands for confirmed within 1 hour, 1 day, 7 days and
 * ever (each contains the one before). The table below carries the same numbers in text.
 */
function CohortChart({ cohorts, period }: { cohorts: readonly Cohort[]; period: CohortPeriod }) {
  const height = 100;
  const step = 12;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${cohorts.length * step} ${height}`} preserveAspectRatio="none" role="img" aria-label="Share of each cohort's sign-ups confirmed within 1 hour, 1 day, 7 days and ever">
        {[25, 50, 75].map((p) => (
          <line class="grid" x1={0} x2={cohorts.length * step} y1={height - p} y2={height - p} vector-effect="non-scaling-stroke" />
        ))}
        {cohorts.map((c, i) => {
          if (c.registered === 0) return null;
          const values = [...c.within, c.confirmed];
          return (
            <g>
              <title>{`${cohortName(c, period)}: ${c.registered} sign-ups; ${SERIES.map((s, k) => `${s} ${share(values[k]!, c.registered)}`).join(", ")}`}</title>
              {[...values].reverse().map((v, k) => {
                const h = (v / c.registered) * height;
                return <rect class={`band-${SERIES.length - 1 - k}`} x={i * step + 1} y={height - h} width={step - 2} height={h} />;
              })}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <p>
          One bar per {period}, {cohortName(cohorts[0]!, period)} to {cohortName(cohorts.at(-1)!, period)}; its full height is all
          of that {period}'s sign-ups, the lines mark 25, 50 and 75 %.
        </p>
        {SERIES.map((s, k) => (
          <span class={`key band-${k}`}>confirmed {s}</span>
        ))}
      </figcaption>
    </figure>
  );
}

function CohortTable({ cohorts, period }: { cohorts: readonly Cohort[]; period: CohortPeriod }) {
  return (
    <table class="cohorts">
      <thead>
        <tr>
          <th>{period === "day" ? "Day" : "Week"}</th>
          <th>Sign-ups</th>
          {SERIES.map((s) => (
            <th>Confirmed {s}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {[...cohorts].reverse().map((c) => (
          <tr data-cohort={isoDay(c)}>
            <td>
              {cohortName(c, period)}
              {c.open && c.registered > 0 ? " (still filling)" : ""}
            </td>
            <td>{c.registered}</td>
            {[...c.within, c.confirmed].map((n) => (
              <td>{c.registered === 0 ? "—" : `${share(n, c.registered)} (${n})`}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

