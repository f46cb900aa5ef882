import type { AuthEventType } from "../db/schema.ts";
import { recordEvent } from "./audit.ts";
import type { ClientInfo, Trx } from "./deps.ts";
import { emit } from "../events/emit.ts";
import type { EventType } from "../events/types.ts";

/** Who changed an account: an admin (id), or the account itself / the system (null). */
export interface Actor {
  readonly id: string | null;
  readonly client: ClientInfo;
}

export interface AccountChange {
  readonly type: AuthEventType;
  readonly userId: string;
  /** The account's address at the time (for the webhook payload; never written to the audit log). */
  readonly email: string;
  readonly outcome: string;
  readonly actor: Actor;
  readonly now: number;
}

/**
 * The one place where an operator's or lifecycle change is recorded, in the change's own
 * transaction: the audit row (the admin as actor, the account as user_id) — and the account
 * event for webhooks (SPEC §7: user.disabled, user.enabled, user.deleted) when the change
 * really happened (outcome "ok", or who deleted the account).
 */
export async function accountChanged(trx: Trx, change: AccountChange): Promise<void> {
  await recordEvent(trx, {
    type: change.type,
    userId: change.userId,
    actorId: change.actor.id,
    outcome: change.outcome,
    client: change.actor.client,
    now: change.now,
  });
  const event = WEBHOOK_EVENT[change.type];
  if (event && (change.outcome === "ok" || change.type === "account_deleted" || change.type === "account_purged")) {
    await emit(trx, { type: event, userId: change.userId, email: change.email, at: change.now });
  }
}

const WEBHOOK_EVENT: Partial<Record<AuthEventType, EventType>> = {
  account_disabled: "user.disabled",
  account_enabled: "user.enabled",
  account_deleted: "user.deleted",
  account_purged: "user.deleted",
};
