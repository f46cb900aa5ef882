import { accountChanged, type Actor } from "../accounts/account-events.ts";
import type { Deps, Trx } from "../accounts/deps.ts";
import { recordEvent } from "../accounts/audit.ts";
import { AccountError } from "../accounts/errors.ts";
import { deleteAccount, disableAccount, enableAccount, loadAccount, lockForAdminLoss, type AccountRow } from "../accounts/lifecycle.ts";
import { queueReset } from "../accounts/recovery.ts";
import { queueConfirmation } from "../accounts/registration.ts";
import type { AuthEventType } from "../db/schema.ts";
import { deleteUserSessions } from "../accounts/sessions.ts";
import { killTokens } from "../accounts/tokens.ts";
import { retryFailedMail } from "./failed-mail.ts";
import { removeSecondFactors } from "../accounts/second-factor/enrolment.ts";
import { addEndpoint, removeEndpoint, type Endpoint } from "../events/endpoints.ts";

/** What an admin can do to an account (SPEC §3, `POST /admin/users/:id/ACTION`). */
export const ADMIN_ACTIONS = [
  "resend-confirmation",
  "confirm",
  "disable",
  "enable",
  "revoke-sessions",
  "send-reset",
  "reset-2fa",
  "grant-admin",
  "revoke-admin",
  "delete",
] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

export function isAdminAction(s: string): s is AdminAction {
  return (ADMIN_ACTIONS as readonly string[]).includes(s);
}

const conflict = (message: string) => new AccountError("conflict", { message });

interface Step {
  readonly type: AuthEventType;
  readonly outcome: string;
  /** The flash message on the account page. */
  readonly message: string;
}

/** The audit event type of each action. */
const EVENT_OF: Record<AdminAction, AuthEventType> = {
  "resend-confirmation": "confirmation_resent",
  confirm: "confirmed_by_admin",
  disable: "account_disabled",
  enable: "account_enabled",
  "revoke-sessions": "sessions_revoked",
  "send-reset": "reset_sent",
  "reset-2fa": "mfa_reset",
  "grant-admin": "admin_granted",
  "revoke-admin": "admin_revoked",
  delete: "account_deleted",
};

/**
 * Runs one action as the admin `actor`; returns the message for the account page. Audited with
 * the admin as actor and the account as user_id — a refusal (409) too, outside the rolled-back
 * transaction.
 */
export async function runAdminAction(deps: Deps, action: AdminAction, targetId: string, actor: Actor & { id: string }): Promise<string> {
  try {
    return await perform(deps, action, targetId, actor);
  } catch (err) {
    if (err instanceof AccountError && err.code === "conflict") {
      await recordEvent(deps.db.kysely, { type: EVENT_OF[action], userId: targetId, actorId: actor.id, outcome: "refused", client: actor.client, now: deps.clock.now() });
    }
    throw err;
  }
}

/** `POST /admin/mail/:id/retry`: a failed mail queued again; audited with the admin as actor. */
export async function retryMail(deps: Deps, outboxId: string, actor: Actor & { id: string }): Promise<void> {
  const now = deps.clock.now();
  await deps.db.kysely.transaction().execute(async (trx) => {
    if (!(await retryFailedMail(deps, trx, outboxId))) throw new AccountError("not_found", { message: "There is no failed mail with this id whose body is still kept." });
    await recordEvent(trx, { type: "mail_retried", userId: null, actorId: actor.id, outcome: outboxId, client: actor.client, now });
  });
}

/**
 * `POST /admin/webhooks`: adds the endpoint (SSRF check, closed event list: WebhookRefused
 * otherwise) and, in its transaction, the audit row with the admin as actor. The result carries
 * the `whsec_…` secret, to be shown this once.
 */
export async function addWebhook(deps: Deps, input: { url: string; events: string }, actor: Actor & { id: string }): Promise<Endpoint & { secret: string }> {
  const now = deps.clock.now();
  return addEndpoint({ db: deps.db, key: deps.keys.webhook, allowPrivate: deps.config.webhookAllowPrivate, now }, input, (trx, endpointId) =>
    recordEvent(trx, { type: "webhook_added", userId: null, actorId: actor.id, outcome: endpointId, client: actor.client, now }),
  );
}

/** `POST /admin/webhooks/:id/delete`: the endpoint and its deliveries not yet made; audited. 404 for an unknown id. */
export async function removeWebhook(deps: Deps, id: string, actor: Actor & { id: string }): Promise<void> {
  const now = deps.clock.now();
  const removed = await removeEndpoint(deps.db, id, (trx, endpointId) =>
    recordEvent(trx, { type: "webhook_removed", userId: null, actorId: actor.id, outcome: endpointId, client: actor.client, now }),
  );
  if (!removed) throw new AccountError("not_found");
}

async function perform(deps: Deps, action: AdminAction, targetId: string, actor: Actor & { id: string }): Promise<string> {
  switch (action) {
    case "disable":
      return (await disableAccount(deps, targetId, actor))
        ? "The account is disabled: every session ended, every link and code is dead."
        : "The account was already disabled.";
    case "enable":
      return (await enableAccount(deps, targetId, actor)) ? "The account is enabled: it can sign in again." : "The account was already enabled.";
    case "delete":
      await deleteAccount(deps, targetId, actor, "admin");
      return "The account and everything of it were deleted.";
    default:
      return inTransaction(deps, targetId, actor, (trx, user, now) => STEPS[action](deps, trx, user, now, actor));
  }
}

type StepFn = (deps: Deps, trx: Trx, user: AccountRow, now: number, actor: Actor) => Promise<Step>;

const STEPS: Record<Exclude<AdminAction, "disable" | "enable" | "delete">, StepFn> = {
  async "resend-confirmation"(deps, trx, user, now) {
    if (user.confirmed === 1) throw conflict("The address is already confirmed.");
    if (user.disabled_at !== null) throw conflict("The account is disabled: enable it first.");
    await trx.updateTable("users").set({ confirmation_sent_at: now }).where("id", "=", user.id).execute();
    await queueConfirmation(deps, trx, user.id, user.email, now);
    return { type: "confirmation_resent", outcome: "ok", message: `A new confirmation email is on its way to ${user.email}.` };
  },
  async confirm(_deps, trx, user, now) {
    if (user.confirmed === 1) return { type: "confirmed_by_admin", outcome: "already_confirmed", message: "The address was already confirmed." };
    await trx
      .updateTable("users")
      .set((eb) => ({ confirmed: 1, confirmed_on: eb.fn.coalesce("confirmed_on", eb.val(now)) }))
      .where("id", "=", user.id)
      .execute();
    await killTokens(trx, user.id, now, "confirm");
    return { type: "confirmed_by_admin", outcome: "ok", message: "The address is confirmed." };
  },
  async "revoke-sessions"(_deps, trx, user, now) {
    const n = await trx.selectFrom("sessions").select((eb) => eb.fn.countAll<number>().as("n")).where("user_id", "=", user.id).executeTakeFirstOrThrow();
    await deleteUserSessions(trx, { userId: user.id, email: user.email }, now);
    return { type: "sessions_revoked", outcome: `${Number(n.n)} ended`, message: "Every session of the account has ended." };
  },
  async "send-reset"(deps, trx, user, now, actor) {
    if (user.disabled_at !== null) throw conflict("The account is disabled: enable it first.");
    await queueReset(deps, trx, user, now, actor.client);
    return { type: "reset_sent", outcome: "ok", message: `A password reset link is on its way to ${user.email}.` };
  },
  async "reset-2fa"(deps, trx, user, now, actor) {
    const result = await removeSecondFactors(trx, deps, user, actor.client, now);
    return { type: "mfa_reset", outcome: result ? "ok" : "none", message: result ? "Every second factor was removed." : "The account had no second factor." };
  },
  async "grant-admin"(_deps, trx, user) {
    const changed = await trx.updateTable("users").set({ admin: 1 }).where("id", "=", user.id).where("admin", "=", 0).executeTakeFirst();
    const done = changed.numUpdatedRows > 0n;
    return { type: "admin_granted", outcome: done ? "ok" : "already_admin", message: done ? "The account is now an admin." : "The account was already an admin." };
  },
  async "revoke-admin"(deps, trx, user) {
    await lockForAdminLoss(deps, trx, user.id);
    const changed = await trx.updateTable("users").set({ admin: 0 }).where("id", "=", user.id).where("admin", "=", 1).executeTakeFirst();
    const done = changed.numUpdatedRows > 0n;
    return { type: "admin_revoked", outcome: done ? "ok" : "not_admin", message: done ? "The account is no longer an admin." : "The account was not an admin." };
  },
};

async function inTransaction(deps: Deps, targetId: string, actor: Actor, step: (trx: Trx, user: AccountRow, now: number) => Promise<Step>): Promise<string> {
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    const user = await loadAccount(trx, targetId);
    const done = await step(trx, user, now);
    await accountChanged(trx, { type: done.type, userId: user.id, email: user.email, outcome: done.outcome, actor, now });
    return done.message;
  });
}
