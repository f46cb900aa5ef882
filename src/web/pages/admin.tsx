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
import { Scrolls, useT } from "../views/layout.tsx";
import type { Catalogue } from "../../i18n/index.ts";

const PERIODS: Record<CohortPeriod, (t: Catalogue) => string> = {
  day: (t) => t.adminByDay(COHORTS_SHOWN.day),
  week: (t) => t.adminByWeek(COHORTS_SHOWN.week),
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
        const { t } = gate.state;
        return page(
          reply,
          200,
          gate.state,
          t.adminTitle,
          <>
            <p>
              {t.adminTotals(totals.accounts, totals.confirmed, share(totals.confirmed, totals.accounts))}{" "}
              <a href="/admin/users">{t.adminFindAccount}</a> · <a href="/admin/events">{t.adminAuditLog}</a> · <a href="/admin/mail">{t.adminEmailDelivery}</a> ·{" "}
              <a href="/admin/webhooks">{t.webhooksTitle}</a>
            </p>
            <h2>{t.adminCohortsHeading}</h2>
            <p class="switch">
              {(Object.keys(PERIODS) as CohortPeriod[]).map((p) =>
                p === by ? <strong>{PERIODS[p](t)}</strong> : <a href={p === "day" ? "/admin" : `/admin?by=${p}`}>{PERIODS[p](t)}</a>,
              )}
            </p>
            <CohortChart cohorts={rows} period={by} />
            <Scrolls label={t.adminCohortTable}>
              <CohortTable cohorts={rows} period={by} />
            </Scrolls>
            <p>
              <a href={`/admin/cohorts.csv?by=${by}`} download>
                {t.adminTableAsCsv}
              </a>
            </p>
            <h2>{t.adminEmailDelivery}</h2>
            <p>
              {t.adminOutbox(outbox.pending, outbox.failed)} <a href="/admin/mail">{t.adminDetailsAndRetries}</a>
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
        return page(reply, 404, gate.state, gate.state.t.titleNotFound, <p>{gate.state.t.notFoundText}</p>);
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

function cohortName(c: Cohort, period: CohortPeriod, t: Catalogue): string {
  return period === "day" ? isoDay(c) : t.cohortWeekOf(isoDay(c));
}

/** The confirmation windows (WINDOWS: 1 hour, 1 day, 7 days), then "ever", in the page's language. */
const SERIES_KEYS = ["cohortWithinHour", "cohortWithinDay", "cohortWithinWeek", "cohortEver"] as const;
if (SERIES_KEYS.length !== WINDOWS.length + 1) throw new Error("admin.tsx: a label for each of WINDOWS");
const series = (t: Catalogue) => SERIES_KEYS.map((k) => t[k]);

/**
 * Each cohort as one bar 0–100 %: nested bands for confirmed within 1 hour, 1 day, 7 days and
 * ever (each contains the one before). The table below carries the same numbers in text.
 */
function CohortChart({ cohorts, period }: { cohorts: readonly Cohort[]; period: CohortPeriod }) {
  const t = useT();
  const SERIES = series(t);
  const height = 100;
  const step = 12;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${cohorts.length * step} ${height}`} preserveAspectRatio="none" role="img" aria-label={t.cohortChartLabel}>
        {[25, 50, 75].map((p) => (
          <line class="grid" x1={0} x2={cohorts.length * step} y1={height - p} y2={height - p} vector-effect="non-scaling-stroke" />
        ))}
        {cohorts.map((c, i) => {
          if (c.registered === 0) return null;
          const values = [...c.within, c.confirmed];
          return (
            <g>
              <title>{t.cohortBarTitle(cohortName(c, period, t), c.registered, SERIES.map((s, k) => `${s} ${share(values[k]!, c.registered)}`).join(", "))}</title>
              {[...values].reverse().map((v, k) => {
                const h = (v / c.registered) * height;
                return <rect class={`band-${SERIES.length - 1 - k}`} x={i * step + 1} y={height - h} width={step - 2} height={h} />;
              })}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <p>{(period === "day" ? t.cohortCaptionDay : t.cohortCaptionWeek)(cohortName(cohorts[0]!, period, t), cohortName(cohorts.at(-1)!, period, t))}</p>
        {SERIES.map((s, k) => (
          <span class={`key band-${k}`}>{t.cohortKey(s)}</span>
        ))}
      </figcaption>
    </figure>
  );
}

function CohortTable({ cohorts, period }: { cohorts: readonly Cohort[]; period: CohortPeriod }) {
  const t = useT();
  return (
    <table class="cohorts">
      <thead>
        <tr>
          <th>{period === "day" ? t.cohortColDay : t.cohortColWeek}</th>
          <th>{t.cohortColSignUps}</th>
          {series(t).map((s) => (
            <th>{t.cohortColConfirmed(s)}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {[...cohorts].reverse().map((c) => (
          <tr data-cohort={isoDay(c)}>
            <td>
              {cohortName(c, period, t)}
              {c.open && c.registered > 0 ? t.cohortStillFilling : ""}
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

