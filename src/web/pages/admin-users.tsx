import type { FastifyInstance } from "fastify";
import { AccountError } from "../../accounts/errors.ts";
import { accountDetail, type AccountDetail } from "../../admin/account.ts";
import { isAdminAction, runAdminAction, type AdminAction } from "../../admin/actions.ts";
import { ACCOUNT_STATUSES, searchAccounts, type AccountStatus, type AccountSummary } from "../../admin/users.ts";
import type { WebContext } from "../http.ts";
import { Alert, CsrfField, Scrolls, useT } from "../views/layout.tsx";
import type { Catalogue, TextKey } from "../../i18n/index.ts";
import { summariseUserAgent } from "../views/user-agent.ts";
import { actorOf, adminState, queryParam, redirectWithFlash, shortTime, takeFlash } from "./admin-common.tsx";
import { page } from "./common.tsx";

export const ACCOUNTS_PER_PAGE = 50;

/** `/admin/users`, `/admin/users/:id` and its actions, inside the /admin plugin. */
export function adminUserRoutes(admin: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;

  admin.get("/users", async (req, reply) => {
    const gate = await adminState(req, reply, ctx);
    if (gate.redirect) return gate.redirect;
    const q = queryParam(req, "q").slice(0, 320);
    const statusParam = queryParam(req, "status");
    const status = (ACCOUNT_STATUSES as readonly string[]).includes(statusParam) ? (statusParam as AccountStatus) : undefined;
    const after = queryParam(req, "after");
    const result = await searchAccounts(deps, { q, status, after: after || undefined, limit: ACCOUNTS_PER_PAGE }).catch((err: unknown) => {
      if (err instanceof AccountError && err.code === "invalid_input") return err;
      throw err;
    });
    const flash = takeFlash(req, reply, ctx);
    const nextHref = (cursor: string) => `/admin/users?${new URLSearchParams({ ...(q ? { q } : {}), ...(status ? { status } : {}), after: cursor })}`;
    const { t } = gate.state;
    return page(
      reply,
      result instanceof AccountError ? 422 : 200,
      gate.state,
      t.adminAccounts,
      <>
        {flash ? <Alert kind="info">{t.flowMessage(flash)}</Alert> : null}
        <form method="get" action="/admin/users" class="search">
          <p class="field">
            <label for="q">{t.adminAddressStartsWith}</label>
            <input id="q" name="q" type="search" value={q} autocomplete="off" />
          </p>
          <div class="field">
            <label for="status">{t.adminStatus}</label>
            <select id="status" name="status">
              <option value="">{t.adminAnyStatus}</option>
              {ACCOUNT_STATUSES.map((s) => (
                <option value={s} selected={s === status}>
                  {t[STATUS_WORDS[s]]}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">{t.adminFind}</button>
        </form>
        {result instanceof AccountError ? (
          <Alert>{t.flowMessage(result.fields?.after ?? result.message)}</Alert>
        ) : (
          <>
            <p>
              {result.accounts.length === 0
                ? t.adminNoAccountMatches
                : (after ? t.adminNewestFirstContinued : t.adminNewestFirst)(ACCOUNTS_PER_PAGE)}
            </p>
            {result.accounts.length > 0 ? <AccountTable accounts={result.accounts} /> : null}
            {result.next ? (
              <p>
                <a href={nextHref(result.next)} rel="next">
                  {t.adminNextPage}
                </a>
              </p>
            ) : null}
          </>
        )}
      </>,
    );
  });

  admin.get<{ Params: { id: string } }>("/users/:id", async (req, reply) => {
    const gate = await adminState(req, reply, ctx);
    if (gate.redirect) return gate.redirect;
    const account = await accountDetail(deps, req.params.id);
    const flash = takeFlash(req, reply, ctx);
    return page(reply, 200, gate.state, account.email, <AccountPage account={account} csrf={gate.state.csrf} flash={flash} />);
  });

  admin.post<{ Params: { id: string; action: string } }>("/users/:id/:action", async (req, reply) => {
    const gate = await adminState(req, reply, ctx);
    if (gate.redirect) return gate.redirect;
    const { id, action } = req.params;
    if (!isAdminAction(action)) throw new AccountError("not_found");
    const message = await runAdminAction(deps, action, id, actorOf(req, gate.state.viewer));
    ctx.mailQueued();
    // The account page, or (deleted, or the admin's own session just ended) the list.
    const back = action === "delete" ? "/admin/users" : `/admin/users/${encodeURIComponent(id)}`;
    return redirectWithFlash(reply, ctx, back, message);
  });
}

/** The status words the page shows; the query's `status` values stay English. */
const STATUS_WORDS: Record<AccountStatus, TextKey> = {
  confirmed: "statusConfirmed",
  unconfirmed: "statusUnconfirmed",
  disabled: "statusDisabled",
  admin: "statusAdmin",
};

function statusOf(a: { confirmedOn: number | null; disabledAt: number | null; admin: boolean }, t: Catalogue): string {
  const statuses: AccountStatus[] = [a.disabledAt !== null ? "disabled" : a.confirmedOn === null ? "unconfirmed" : "confirmed", ...(a.admin ? (["admin"] as const) : [])];
  return statuses.map((s) => t[STATUS_WORDS[s]]).join(", ");
}

function AccountTable({ accounts }: { accounts: readonly AccountSummary[] }) {
  const t = useT();
  return (
    <Scrolls label={t.adminAccounts}>
      <table>
        <thead>
          <tr>
            <th>{t.adminColEmail}</th>
            <th>{t.adminStatus}</th>
            <th>{t.registered}</th>
            <th>{t.confirmed}</th>
            <th>{t.adminColSignedInOn}</th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((a) => (
            <tr data-account={a.id}>
              <td>
                <a href={`/admin/users/${a.id}`}>{a.email}</a>
                {a.pendingEmail ? <small>{t.adminChangingTo(a.pendingEmail)}</small> : null}
              </td>
              <td>{statusOf(a, t)}</td>
              <td>{shortTime(a.registeredOn)}</td>
              <td>{a.confirmedOn === null ? t.adminNotYet : shortTime(a.confirmedOn)}</td>
              <td>{t.adminDevices(a.liveSessions)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scrolls>
  );
}

const BUTTONS: Record<AdminAction, TextKey> = {
  "resend-confirmation": "actionResendConfirmation",
  confirm: "actionConfirm",
  disable: "actionDisable",
  enable: "actionEnable",
  "revoke-sessions": "actionRevokeSessions",
  "send-reset": "actionSendReset",
  "reset-2fa": "actionReset2fa",
  "grant-admin": "actionGrantAdmin",
  "revoke-admin": "actionRevokeAdmin",
  delete: "actionDelete",
};

/** The actions that make sense for the account as it is now. */
function actionsFor(a: AccountDetail): AdminAction[] {
  const unconfirmed = a.confirmedOn === null;
  const disabled = a.disabledAt !== null;
  return [
    ...(unconfirmed && !disabled ? (["resend-confirmation", "confirm"] as const) : unconfirmed ? (["confirm"] as const) : []),
    disabled ? "enable" : "disable",
    "revoke-sessions",
    ...(disabled ? [] : (["send-reset"] as const)),
    "reset-2fa",
    a.admin ? "revoke-admin" : "grant-admin",
    "delete",
  ];
}

function AccountPage({ account: a, csrf, flash }: { account: AccountDetail; csrf: string; flash: string | undefined }) {
  const t = useT();
  return (
    <>
      {flash ? <Alert kind="info">{t.flowMessage(flash)}</Alert> : null}
      <dl>
        <dt>{t.adminStatus}</dt>
        <dd>{statusOf(a, t)}</dd>
        <dt>{t.registered}</dt>
        <dd>{shortTime(a.registeredOn)}</dd>
        <dt>{t.confirmed}</dt>
        <dd>{a.confirmedOn === null ? t.adminNotYet : shortTime(a.confirmedOn)}</dd>
        {a.disabledAt !== null ? (
          <>
            <dt>{t.adminDisabled}</dt>
            <dd>{shortTime(a.disabledAt)}</dd>
          </>
        ) : null}
        <dt>{t.adminPendingAddress}</dt>
        <dd>{a.pendingEmail ?? "—"}</dd>
        <dt>{t.adminAccountId}</dt>
        <dd>
          <code>{a.id}</code>
        </dd>
      </dl>
      <h2>{t.adminActions}</h2>
      <div class="actions">
        {actionsFor(a).map((action) => (
          <form method="post" action={`/admin/users/${a.id}/${action}`}>
            <CsrfField token={csrf} />
            <button type="submit" class={action === "delete" || action === "disable" ? "danger" : undefined}>
              {t[BUTTONS[action]]}
            </button>
          </form>
        ))}
      </div>
      <h2>{t.adminSessions}</h2>
      {a.sessions.length === 0 ? (
        <p>{t.adminNoLiveSession}</p>
      ) : (
        <Scrolls label={t.adminSessions}>
          <table>
            <thead>
              <tr>
                <th>{t.colDevice}</th>
                <th>{t.adminColIp}</th>
                <th>{t.colSignedIn}</th>
                <th>{t.colLastSeen}</th>
              </tr>
            </thead>
            <tbody>
              {a.sessions.map((s) => (
                <tr>
                  <td>{summariseUserAgent(s.userAgent, t)}</td>
                  <td>{s.ip ?? "—"}</td>
                  <td>{shortTime(s.createdAt)}</td>
                  <td>{shortTime(s.lastSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scrolls>
      )}
      <h2>{t.adminLatestEvents}</h2>
      <EventTable events={a.events} />
      <p>
        <a href={`/admin/events?user=${encodeURIComponent(a.id)}`}>{t.adminAllEventsOfAccount}</a>
      </p>
    </>
  );
}

/** Audit events, newest first; the actor column names an admin who acted on the account. */
export function EventTable({ events }: { events: AccountDetail["events"] }) {
  const t = useT();
  if (events.length === 0) return <p>{t.adminNoEvents}</p>;
  return (
    <Scrolls label={t.adminAuditEvents}>
      <table>
        <thead>
          <tr>
            <th>{t.adminColWhen}</th>
            <th>{t.adminColEvent}</th>
            <th>{t.adminColOutcome}</th>
            <th>{t.adminColAccount}</th>
            <th>{t.adminColByAdmin}</th>
            <th>{t.adminColIp}</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr data-event={e.type}>
              <td>{shortTime(e.at)}</td>
              <td>{e.type}</td>
              <td>{e.outcome}</td>
              <td>{e.userId ? <a href={`/admin/users/${e.userId}`}>{e.userId.slice(0, 8)}</a> : "—"}</td>
              <td>{e.actorId ? <a href={`/admin/users/${e.actorId}`}>{e.actorId.slice(0, 8)}</a> : "—"}</td>
              <td>{e.ip ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scrolls>
  );
}
