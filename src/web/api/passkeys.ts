import type { FastifyInstance, FastifyRequest } from "fastify";
import { addPasskey, authenticationOptions, listPasskeys, registrationOptions, removePasskey } from "../../accounts/second-factor/passkeys.ts";
import type { Viewer } from "../../accounts/sessions.ts";
import { clientInfo, type WebContext } from "../http.ts";
import { signInWithPasskey } from "../second-step.ts";
import { errorFor } from "./respond.ts";

type Gate = (req: FastifyRequest) => Promise<Viewer>;

function body(req: FastifyRequest): Record<string, unknown> {
  return req.body && typeof req.body === "object" ? (req.body as Record<string, unknown>) : {};
}

/** SPEC §9's passkey routes of the JSON API. */
export function passkeyApi(api: FastifyInstance, ctx: WebContext, gates: { confirmed: Gate }): void {
  const { deps } = ctx;
  const { confirmed } = gates;

  api.get("/me/passkeys", async (req) => {
    const keys = await listPasskeys(deps, (await confirmed(req)).userId);
    return {
      passkeys: keys.map((k) => ({
        id: k.id,
        name: k.name,
        created_at: new Date(k.createdAt).toISOString(),
        last_used_at: k.lastUsedAt === null ? null : new Date(k.lastUsedAt).toISOString(),
        synced: k.synced,
      })),
    };
  });

  api.post("/me/passkeys/options", async (req) => registrationOptions(deps, await confirmed(req)));

  api.post("/me/passkeys", async (req, reply) => {
    const { response, name } = body(req);
    const added = await addPasskey(deps, await confirmed(req), { response, name }, clientInfo(req));
    ctx.mailQueued();
    return reply.code(201).send({ id: added.id, name: added.name, synced: added.synced });
  });

  api.delete<{ Params: { id: string } }>("/me/passkeys/:id", async (req, reply) => {
    if (!(await removePasskey(deps, await confirmed(req), req.params.id, clientInfo(req)))) throw errorFor("not_found");
    ctx.mailQueued();
    return reply.code(204).send();
  });

  api.post("/login/passkey/options", async () => authenticationOptions(deps, "login", null));

  api.post("/login/passkey", async (req, reply) => {
    const result = await signInWithPasskey(ctx, req, reply, body(req).response);
    return { user: { confirmed: result.confirmed } };
  });
}
