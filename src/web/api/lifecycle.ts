import type { FastifyInstance } from "fastify";
import { exportAccount } from "../../accounts/export.ts";
import { deleteOwnAccount } from "../../accounts/lifecycle.ts";
import { requireFresh } from "../../accounts/reauth.ts";
import { clearSessionCookie, clientInfo, formFields, viewerOf, type WebContext } from "../http.ts";
import { errorFor } from "./respond.ts";

/** `DELETE /me` and `GET /me/export` (SPEC §5), inside the /api/v1 plugin (its hooks and errors). */
export function lifecycleApiRoutes(api: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;
  const confirmed = async (req: Parameters<typeof viewerOf>[0]) => {
    const viewer = await viewerOf(req, deps);
    if (!viewer) throw errorFor("unauthenticated");
    if (!viewer.confirmed) throw errorFor("email_unconfirmed");
    return viewer;
  };

  api.get("/me/export", async (req, reply) => {
    const viewer = await confirmed(req);
    return reply.header("content-disposition", 'attachment; filename="latchkey-account.json"').send(await exportAccount(deps, viewer.userId));
  });

  // Fresh sessions only (SPEC §9). `{"email"}` is optional here; when sent it must be the account's.
  api.delete("/me", async (req, reply) => {
    const viewer = await confirmed(req);
    await requireFresh(deps, viewer);
    const { email } = formFields(req.body, ["email"]);
    await deleteOwnAccount(deps, viewer, email || viewer.email, clientInfo(req));
    clearSessionCookie(reply, deps);
    ctx.mailQueued();
    return reply.code(204).send();
  });
}
