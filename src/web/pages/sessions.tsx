import type { FastifyInstance } from "fastify";
import { listSessions, revokeSession } from "../../accounts/sessions.ts";
import { clearSessionCookie, clientInfo, type WebContext } from "../http.ts";
import { CsrfField } from "../views/layout.tsx";
import { summariseUserAgent } from "../views/user-agent.ts";
import { page } from "./common.tsx";
import { confirmedViewer } from "./profile.tsx";

export function sessionRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;

  app.get("/sessions", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/sessions");
    if (gate.redirect) return gate.redirect;
    const sessions = await listSessions(deps, gate.state.viewer);
    const { t } = gate.state;
    return page(
      reply,
      200,
      gate.state,
      t.titleDevices,
      <>
        <p>{t.revokeExplained}</p>
        <table>
          <thead>
            <tr>
              <th>{t.colDevice}</th>
              <th>{t.colIp}</th>
              <th>{t.colSignedIn}</th>
              <th>{t.colLastSeen}</th>
              <th>
                <span class="visually-hidden">{t.signOut}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr data-session={s.publicId}>
                <td>
                  {summariseUserAgent(s.userAgent, t)}
                  {s.current ? <strong>{t.thisDevice}</strong> : null}
                </td>
                <td>{s.ip ?? "—"}</td>
                <td>{t.time(s.createdAt)}</td>
                <td>{t.time(s.lastSeenAt)}</td>
                <td>
                  <form method="post" action={`/sessions/${s.publicId}/revoke`}>
                    <CsrfField token={gate.state.csrf} />
                    <button type="submit">{s.current ? t.signOut : t.revoke}</button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </>,
    );
  });

  app.post<{ Params: { id: string } }>("/sessions/:id/revoke", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/sessions");
    if (gate.redirect) return gate.redirect;
    const { viewer } = gate.state;
    const sessions = await listSessions(deps, viewer);
    const target = sessions.find((s) => s.publicId === req.params.id);
    if (!target || !(await revokeSession(deps, viewer, req.params.id, clientInfo(req)))) {
      return reply.callNotFound();
    }
    if (target.current) {
      clearSessionCookie(reply, deps);
      return reply.redirect("/", 303);
    }
    return reply.redirect("/sessions", 303);
  });
}
