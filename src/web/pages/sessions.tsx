import type { FastifyInstance } from "fastify";
import { listSessions, revokeSession } from "../../accounts/sessions.ts";
import { formatTime } from "../../mail/message.tsx";
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
    return page(
      reply,
      200,
      gate.state,
      "Signed-in devices",
      <>
        <p>Revoking a device signs it out at once.</p>
        <table>
          <thead>
            <tr>
              <th>Device</th>
              <th>IP address</th>
              <th>Signed in</th>
              <th>Last seen</th>
              <th>
                <span class="visually-hidden">Sign out</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr data-session={s.publicId}>
                <td>
                  {summariseUserAgent(s.userAgent)}
                  {s.current ? <strong> (this device)</strong> : null}
                </td>
                <td>{s.ip ?? "—"}</td>
                <td>{formatTime(s.createdAt)}</td>
                <td>{formatTime(s.lastSeenAt)}</td>
                <td>
                  <form method="post" action={`/sessions/${s.publicId}/revoke`}>
                    <CsrfField token={gate.state.csrf} />
                    <button type="submit">{s.current ? "Sign out" : "Revoke"}</button>
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
