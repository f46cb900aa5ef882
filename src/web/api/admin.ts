import type { FastifyInstance, FastifyRequest } from "fastify";
import { invalidInput } from "../../accounts/errors.ts";
import { isAdmin, type Viewer } from "../../accounts/sessions.ts";
import { accountDetail } from "../../admin/account.ts";
import { isAdminAction, retryMail, runAdminAction } from "../../admin/actions.ts";
import { listEvents, type AuditEvent } from "../../admin/events.ts";
import { failedMail, mailCounts } from "../../admin/failed-mail.ts";
import { ACCOUNT_STATUSES, searchAccounts, type AccountStatus } from "../../admin/users.ts";
import { clientInfo, viewerOf, type WebContext } from "../http.ts";
import { errorFor } from "./respond.ts";

const PER_PAGE = 50;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function query(req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string") throw invalidInput({ [name]: "Send this parameter once." });
  return v;
}

const event = (e: AuditEvent) => ({ id: e.id, type: e.type, user_id: e.userId, actor_id: e.actorId, outcome: e.outcome, ip: e.ip, user_agent: e.userAgent, at: iso(e.at) });

/** The admin twins of SPEC §5 under /api/v1/admin, inside the /api/v1 plugin (its hooks and errors). */
export function adminApiRoutes(api: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;
  const admin = async (req: FastifyRequest): Promise<Viewer> => {
    const viewer = await viewerOf(req, deps);
    if (!viewer) throw errorFor("unauthenticated");
    if (!isAdmin(viewer)) throw errorFor("forbidden");
    return viewer;
  };
  const actor = (req: FastifyRequest, viewer: Viewer) => ({ id: viewer.userId, client: clientInfo(req) });

  api.get("/admin/users", async (req) => {
    await admin(req);
    const status = query(req, "status");
    if (status !== undefined && !(ACCOUNT_STATUSES as readonly string[]).includes(status)) {
      throw invalidInput({ status: `Send one of ${ACCOUNT_STATUSES.join(", ")}.` });
    }
    const page = await searchAccounts(deps, { q: query(req, "q"), status: status as AccountStatus | undefined, after: query(req, "after"), limit: PER_PAGE });
    return {
      users: page.accounts.map((a) => ({
        id: a.id,
        email: a.email,
        registered_on: iso(a.registeredOn),
        confirmed_on: iso(a.confirmedOn),
        pending_email: a.pendingEmail,
        admin: a.admin,
        disabled_at: iso(a.disabledAt),
        live_sessions: a.liveSessions,
      })),
      next: page.next,
    };
  });

  api.get<{ Params: { id: string } }>("/admin/users/:id", async (req) => {
    await admin(req);
    const a = await accountDetail(deps, req.params.id);
    return {
      user: { id: a.id, email: a.email, registered_on: iso(a.registeredOn), confirmed_on: iso(a.confirmedOn), pending_email: a.pendingEmail, admin: a.admin, disabled_at: iso(a.disabledAt) },
      sessions: a.sessions.map((s) => ({ created_at: iso(s.createdAt), last_seen_at: iso(s.lastSeenAt), ip: s.ip, user_agent: s.userAgent })),
      events: a.events.map(event),
    };
  });

  api.post<{ Params: { id: string; action: string } }>("/admin/users/:id/:action", async (req) => {
    const viewer = await admin(req);
    if (!isAdminAction(req.params.action)) throw errorFor("not_found");
    const message = await runAdminAction(deps, req.params.action, req.params.id, actor(req, viewer));
    ctx.mailQueued();
    return { action: req.params.action, message };
  });

  api.get("/admin/events", async (req) => {
    await admin(req);
    const result = await listEvents(deps, { user: query(req, "user"), type: query(req, "type"), before: query(req, "before"), limit: PER_PAGE });
    return { events: result.events.map(event), next: result.next };
  });

  api.get("/admin/mail", async (req) => {
    await admin(req);
    const [counts, failed] = await Promise.all([mailCounts(deps), failedMail(deps, PER_PAGE)]);
    return { ...counts, failed_mail: failed.map((m) => ({ id: m.id, kind: m.kind, queued_at: iso(m.createdAt), attempts: m.attempts, last_error: m.lastError })) };
  });

  api.post<{ Params: { id: string } }>("/admin/mail/:id/retry", async (req, reply) => {
    const viewer = await admin(req);
    await retryMail(deps, req.params.id, actor(req, viewer));
    ctx.mailQueued();
    return reply.code(202).send({ queued: true });
  });
}

