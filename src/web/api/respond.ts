import type { FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../../accounts/deps.ts";
import { AccountError, messageOf, type ErrorCode, type FieldErrors } from "../../accounts/errors.ts";
import { applyErrorHeaders } from "../http.ts";
import { apiCatalogue } from "../locale.ts";

export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; fields?: FieldErrors; methods?: readonly string[] };
}

export function sendError(reply: FastifyReply, err: AccountError, status = err.status): FastifyReply {
  applyErrorHeaders(reply, err);
  // The message follows Accept-Language (SPEC §5, §8); the code never changes.
  const t = apiCatalogue(reply.request, reply.server.defaultLocale);
  const fields = err.fields && Object.fromEntries(Object.entries(err.fields).map(([name, text]) => [name, t.flowMessage(text)]));
  const body: ApiErrorBody = { error: { code: err.code, message: messageOf(err, t), ...(fields ? { fields } : {}), ...(err.methods ? { methods: err.methods } : {}) } };
  return reply.code(status).type("application/json; charset=utf-8").send(body);
}

export function errorFor(code: ErrorCode): AccountError {
  return new AccountError(code);
}

/**
 * JSON calls carry no CSRF field; a cross-site request is refused by what browsers add to it
 * (SPEC §5): `Sec-Fetch-Site` other than same-origin/none, or an `Origin` that is neither
 * BASE_URL's nor the one the request was sent to. Non-browser clients send neither.
 */
export function crossSite(req: FastifyRequest, deps: Deps): boolean {
  const site = req.headers["sec-fetch-site"];
  if (typeof site === "string" && site !== "same-origin" && site !== "none") return true;
  const origin = req.headers.origin;
  if (typeof origin !== "string") return false;
  const own = new URL(deps.config.baseUrl).origin;
  return origin !== own && origin !== `${req.protocol}://${req.host}`;
}
