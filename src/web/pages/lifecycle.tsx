import type { FastifyInstance, FastifyReply } from "fastify";
import { AccountError } from "../../accounts/errors.ts";
import { exportAccount } from "../../accounts/export.ts";
import { deleteOwnAccount } from "../../accounts/lifecycle.ts";
import type { Viewer } from "../../accounts/sessions.ts";
import { sentToReauth } from "../second-step.ts";
import { clearSessionCookie, clientInfo, formFields, type WebContext } from "../http.ts";
import { AccountEnd } from "../views/account-end.tsx";
import { page, type PageState } from "./common.tsx";
import { confirmedViewer } from "./profile.tsx";

function deletePage(reply: FastifyReply, state: PageState & { viewer: Viewer }, status: number, email: string, error?: string) {
  return page(reply, status, state, state.t.deleteAccount, <AccountEnd csrf={state.csrf} error={error} email={email} />);
}

export function lifecycleRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;

  app.get("/profile/export", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile/export");
    if (gate.redirect) return gate.redirect;
    const data = await exportAccount(deps, gate.state.viewer.userId);
    return reply
      .type("application/json; charset=utf-8")
      .header("content-disposition", 'attachment; filename="latchkey-account.json"')
      .send(JSON.stringify(data, null, 2));
  });

  app.post("/profile/delete", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile");
    if (gate.redirect) return gate.redirect;
    if (await sentToReauth(ctx, reply, gate.state.viewer, "/profile")) return reply;
    let email = "";
    try {
      email = formFields(req.body, ["email"]).email;
      await deleteOwnAccount(deps, gate.state.viewer, email, clientInfo(req));
    } catch (err) {
      if (!(err instanceof AccountError) || err.code !== "invalid_input") throw err;
      return deletePage(reply, gate.state, 422, email, err.fields?.email ?? err.message);
    }
    clearSessionCookie(reply, deps);
    ctx.mailQueued();
    return reply.redirect("/", 303);
  });
}
