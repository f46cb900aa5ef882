import type { FastifyInstance } from "fastify";
import { AccountError } from "../../accounts/errors.ts";
import { accountDetail, type AccountDetail } from "../../admin/account.ts";
import { isAdminAction, runAdminAction, type AdminAction } from "../../admin/actions.ts";
import { ACCOUNT_STATUSES, searchAccounts, type AccountStatus, type AccountSummary } from "../../admin/users.ts";
import type { WebContext } from "../http.ts";
import { Alert, CsrfField, Scrolls } from "../views/layout.tsx";
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
    return page(
      reply,
      result instanceof AccountError ? 422 : 200,
      gate.state,
      "Accounts",
      <>
        {flash ? <Alert kind="info">{flash}</Alert> : null}
        <form method="get" action="/admin/users" class="search">
          <p class="field">
            <label for="q">Address starts with</label>
            <input id="q" name="q" type="search" value={q} autocomplete="off" />
          </p>
          <div class="field">
            <label for="status">Status</label>
            <select id="status" name="status">
              <option value="">any</option>
              {ACCOUNT_STATUSES.map((s) => (
                <option value={s} selected={s === status}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Find</button>
        </form>
        {result instanceof AccountError ? (
          <Alert>{result.fields?.after ?? result.message}</Alert>
        ) : (
          <>
            <p>
              {result.accounts.length === 0 ? "No account matches." : `Newest first${after ? ", continued" : ""}; ${ACCOUNTS_PER_PAGE} a page.`}
            </p>
            {result.accounts.length > 0 ? <AccountTable accounts={result.accounts} /> : null}
            {result.next ? (
              <p>
                <a href={nextHref(result.next)} rel="next">
                  Next page
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

function statusOf(a: { confirmedOn: number | null; disabledAt: number | null; admin: boolean }): string {
  return [a.disabledAt !== null ? "disabled" : a.confirmedOn === null ? "unconfirmed" : "confirmed", a.admin ? "admin" : ""].filter(Boolean).join(", ");
}

function AccountTable({ accounts }: { accounts: readonly AccountSummary[] }) {
  return (
    <Scrolls label="Accounts">
      <table>
        <thead>
          <tr>
            <th>Email</th>
            <th>Status</th>
            <th>Registered</th>
            <th>Confirmed</th>
            <th>Signed in on</th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((a) => (
            <tr data-account={a.id}>
              <td>
                <a href={`/admin/users/${a.id}`}>{a.email}</a>
                {a.pendingEmail ? <small> changing to {a.pendingEmail}</small> : null}
              </td>
              <td>{statusOf(a)}</td>
              <td>{shortTime(a.registeredOn)}</td>
              <td>{a.confirmedOn === null ? "not yet" : shortTime(a.confirmedOn)}</td>
              <td>
                {a.liveSessions} device{a.liveSessions === 1 ? "" : "s"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scrolls>
  );
}

const BUTTONS: Record<AdminAction, string> = {
  "resend-confirmation": "Resend the confirmation email",
  confirm: "Mark the address confirmed",
  disable: "Disable (ends every session)",
  enable: "Enable",
  "revoke-sessions": "End every session",
  "send-reset": "Send a password reset link",
  "reset-2fa": "Remove second factors",
  "grant-admin": "Make admin",
  "revoke-admin": "Remove admin",
  delete: "Delete the account",
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
  return (
    <>
      {flash ? <Alert kind="info">{flash}</Alert> : null}
      <dl>
        <dt>Status</dt>
        <dd>{statusOf(a)}</dd>
        <dt>Registered</dt>
        <dd>{shortTime(a.registeredOn)}</dd>
        <dt>Confirmed</dt>
        <dd>{a.confirmedOn === null ? "not yet" : shortTime(a.confirmedOn)}</dd>
        {a.disabledAt !== null ? (
          <>
            <dt>Disabled</dt>
            <dd>{shortTime(a.disabledAt)}</dd>
          </>
        ) : null}
        <dt>Pending address</dt>
        <dd>{a.pendingEmail ?? "—"}</dd>
        <dt>Account id</dt>
        <dd>
          <code>{a.id}</code>
        </dd>
      </dl>
      <h2>Actions</h2>
      <div class="actions">
        {actionsFor(a).map((action) => (
          <form method="post" action={`/admin/users/${a.id}/${action}`}>
            <CsrfField token={csrf} />
            <button type="submit" class={action === "delete" || action === "disable" ? "danger" : undefined}>
              {BUTTONS[action]}
            </button>
          </form>
        ))}
      </div>
      <h2>Sessions</h2>
      {a.sessions.length === 0 ? (
        <p>No live session.</p>
      ) : (
        <Scrolls label="Sessions">
          <table>
            <thead>
              <tr>
                <th>Device</th>
                <th>IP</th>
                <th>Signed in</th>
                <th>Last seen</th>
              </tr>
            </thead>
            <tbody>
              {a.sessions.map((s) => (
                <tr>
                  <td>{summariseUserAgent(s.userAgent)}</td>
                  <td>{s.ip ?? "—"}</td>
                  <td>{shortTime(s.createdAt)}</td>
                  <td>{shortTime(s.lastSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scrolls>
      )}
      <h2>Latest events</h2>
      <EventTable events={a.events} />
      <p>
        <a href={`/admin/events?user=${encodeURIComponent(a.id)}`}>All events of this account</a>
      </p>
    </>
  );
}

/** Audit events, newest first; the actor column names an admin who acted on the account. */
export function EventTable({ events }: { events: AccountDetail["events"] }) {
  if (events.length === 0) return <p>No events.</p>;
  return (
    <Scrolls label="Audit events">
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Event</th>
            <th>Outcome</th>
            <th>Account</th>
            <th>By admin</th>
            <th>IP</th>
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
