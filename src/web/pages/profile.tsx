import type { FastifyInstance } from "fastify";
import { formatTime } from "../../mail/message.tsx";
import type { WebContext } from "../http.ts";
import { page, pageState, toLogin } from "./common.tsx";

export function profileRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get("/profile", async (req, reply) => {
    const state = await pageState(req, reply, ctx);
    const { viewer } = state;
    if (!viewer) return toLogin(reply, "/profile");
    if (!viewer.confirmed) return reply.redirect("/unconfirmed", 303);
    const user = await ctx.deps.db.kysely
      .selectFrom("users")
      .select(["email", "registered_on", "confirmed_on"])
      .where("id", "=", viewer.userId)
      .executeTakeFirstOrThrow();
    return page(
      reply,
      200,
      state,
      "Your profile",
      <dl>
        <dt>Email</dt>
        <dd>{user.email}</dd>
        <dt>Registered</dt>
        <dd>{formatTime(user.registered_on)}</dd>
        <dt>Confirmed</dt>
        <dd>{user.confirmed_on === null ? "—" : formatTime(user.confirmed_on)}</dd>
      </dl>,
    );
  });
}
