import type { FastifyInstance } from "fastify";
import { outboxCounts } from "../../db/claim.ts";
import type { WebContext } from "../http.ts";

const READY_TIMEOUT_MS = 2000;

export function healthRoutes(app: FastifyInstance, ctx: WebContext): void {
  // Liveness: the process answers. No database, no cookies.
  app.get("/healthz", async () => ({ status: "ok" }));

  // Readiness: the database answers within a bound.
  app.get("/readyz", async (_req, reply) => {
    try {
      const outbox = await Promise.race([
        outboxCounts(ctx.deps.db),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("database did not answer in time")), READY_TIMEOUT_MS).unref()),
      ]);
      // Failed mail does not make the instance unready, but it is shown for operators.
      return { status: "ready", checks: { database: "ok", outbox } };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return reply.code(503).send({ status: "unavailable", checks: { database: `error: ${why}` } });
    }
  });
}
