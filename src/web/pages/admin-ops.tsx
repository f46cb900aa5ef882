import type { FastifyInstance } from "fastify";
import { AccountError } from "../../accounts/errors.ts";
import { retryMail } from "../../admin/actions.ts";
import { cohorts, cohortsCsv, COHORTS_SHOWN } from "../../admin/cohorts.ts";
import { listEvents } from "../../admin/events.ts";
import { failedMail, mailCounts } from "../../admin/failed-mail.ts";
import type { WebContext } from "../http.ts";
import { Alert } from "../views/layout.tsx";
import { actorOf, adminState, FailedTable, queryParam, redirectWithFlash, takeFlash } from "./admin-common.tsx";
import { EventTable } from "./admin-users.tsx";
import { page } from "./common.tsx";

export const EVENTS_PER_PAGE = 50;
const FAILED_SHOWN = 50;

/** `/admin/events`, `/admin/mail` (+ retry) and `/admin/cohorts.csv`, inside the /admin plugin. */
export function adminOpsRoutes(admin: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;

  admin.get("/events", async (req, reply) => {
    const gate = await adminState(req, reply, ctx);
    if (gate.redirect) return gate.redirect;
    const user = queryParam(req, "user").slice(0, 64);
    const type = queryParam(req, "type").slice(0, 64);
    const before = queryParam(req, "before");
    const result = await listEvents(deps, { user: user || undefined, type: type || undefined, before: before || undefined, limit: EVENTS_PER_PAGE }).catch(
      (err: unknown) => {
        if (err instanceof AccountError && err.code === "invalid_input") return err;
        throw err;
      },
    );
    const nextHref = (cursor: string) => `/admin/events?${new URLSearchParams({ ...(user ? { user } : {}), ...(type ? { type } : {}), before: cursor })}`;
    const { t } = gate.state;
    return page(
      reply,
      result instanceof AccountError ? 422 : 200,
      gate.state,
      t.adminAuditLog,
      <>
        <form method="get" action="/admin/events" class="search">
          <p class="field">
            <label for="user">{t.adminAccountId}</label>
            <input id="user" name="user" value={user} autocomplete="off" />
          </p>
          <p class="field">
            <label for="type">{t.adminEventType}</label>
            <input id="type" name="type" value={type} autocomplete="off" placeholder="login_failed" />
          </p>
          <button type="submit">{t.adminFilter}</button>
        </form>
        {result instanceof AccountError ? (
          <Alert>{t.flowMessage(result.fields?.before ?? result.message)}</Alert>
        ) : (
          <>
            <EventTable events={result.events} />
            {result.next ? (
              <p>
                <a href={nextHref(result.next)} rel="next">
                  {t.adminOlderEvents}
                </a>
              </p>
            ) : null}
          </>
        )}
      </>,
    );
  });

  admin.get("/mail", async (req, reply) => {
    const gate = await adminState(req, reply, ctx);
    if (gate.redirect) return gate.redirect;
    const [counts, failed] = await Promise.all([mailCounts(deps), failedMail(deps, FAILED_SHOWN)]);
    const flash = takeFlash(req, reply, ctx);
    const { t } = gate.state;
    return page(
      reply,
      200,
      gate.state,
      t.adminEmailDelivery,
      <>
        {flash ? <Alert kind="info">{t.flowMessage(flash)}</Alert> : null}
        <dl class="counts">
          <dt>{t.adminCountQueued}</dt>
          <dd data-count="queued">{counts.queued}</dd>
          <dt>{t.adminCountRetrying}</dt>
          <dd data-count="retrying">{counts.retrying}</dd>
          <dt>{t.adminCountFailed}</dt>
          <dd data-count="failed">{counts.failed}</dd>
        </dl>
        <h2>{t.adminFailedMail}</h2>
        {failed.length === 0 ? (
          <p>{t.adminNone}</p>
        ) : (
          <FailedTable mails={failed} csrf={gate.state.csrf} />
        )}
      </>,
    );
  });

  admin.post<{ Params: { id: string } }>("/mail/:id/retry", async (req, reply) => {
    const gate = await adminState(req, reply, ctx);
    if (gate.redirect) return gate.redirect;
    await retryMail(deps, req.params.id, actorOf(req, gate.state.viewer));
    ctx.mailQueued();
    return redirectWithFlash(reply, ctx, "/admin/mail", "The mail is queued again.");
  });

  admin.get("/cohorts.csv", async (req, reply) => {
    const gate = await adminState(req, reply, ctx);
    if (gate.redirect) return gate.redirect;
    const by = queryParam(req, "by") || "day";
    if (by !== "day" && by !== "week") throw new AccountError("invalid_input", { message: "by must be day or week." });
    const rows = await cohorts(deps, by, COHORTS_SHOWN[by]);
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="cohorts-by-${by}.csv"`)
      .send(cohortsCsv(rows));
  });
}
