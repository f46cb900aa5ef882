import type { FastifyInstance } from "fastify";
import type { WebContext } from "../http.ts";
import { page, pageState } from "./common.tsx";

export function homeRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get("/", async (req, reply) => {
    const state = await pageState(req, reply, ctx);
    const { viewer } = state;
    return page(
      reply,
      200,
      state,
      "Welcome",
      viewer ? (
        <>
          <p>
            You are signed in as <strong>{viewer.email}</strong>.
          </p>
          {viewer.confirmed ? (
            <p>
              <a href="/profile">Go to your profile</a>
            </p>
          ) : (
            <p>
              Your address is not confirmed yet. <a href="/unconfirmed">Confirm it</a>.
            </p>
          )}
        </>
      ) : (
        <>
          <p>You are not signed in.</p>
          <p>
            <a href="/login">Sign in</a> or <a href="/register">create an account</a>.
          </p>
        </>
      ),
    );
  });
}
