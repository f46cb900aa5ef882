import { lockAdminRows } from "../db/admins.ts";
import { goodbyeMail } from "../mail/messages/goodbye.tsx";
import { accountChanged, type Actor } from "./account-events.ts";
import type { ClientInfo, Deps, Trx } from "./deps.ts";
import { parseEmail } from "./email-address.ts";
import { AccountError, invalidInput } from "./errors.ts";
import { deleteUserSessions, type Viewer } from "./sessions.ts";
import { killTokens } from "./tokens.ts";
import { recipientLocale } from "./locale.ts";

/**
 * The end of an account's life (SPEC §10): disable, enable, delete, and the purge of accounts
 * never confirmed. Each is one transaction; audit (and webhook event) in account-events.ts.
 */

export interface AccountRow {
  readonly id: string;
  readonly email: string;
  readonly pending_email: string | null;
  readonly confirmed: number;
  readonly admin: number;
  readonly disabled_at: number | null;
}

export async function loadAccount(trx: Trx, userId: string): Promise<AccountRow> {
  const user = await trx
    .selectFrom("users")
    .select(["id", "email", "pending_email", "confirmed", "admin", "disabled_at"])
    .where("id", "=", userId)
    .executeTakeFirst();
  if (!user) throw new AccountError("not_found");
  return user;
}

/** A confirmed, enabled admin: what the last-admin rule protects. */
function isLiveAdmin(u: AccountRow): boolean {
  return u.admin === 1 && u.confirmed === 1 && u.disabled_at === null;
}

/**
 * For a change that would stop `userId` being a live admin (disable, demote, delete): locks the
 * admin rows, reads the account, and refuses (409) when no other live admin would remain. The
 * caller's write follows in the same transaction, so the check cannot go stale.
 */
export async function lockForAdminLoss(deps: Pick<Deps, "db">, trx: Trx, userId: string): Promise<AccountRow> {
  await lockAdminRows(trx, deps.db.dialect);
  const user = await loadAccount(trx, userId);
  if (!isLiveAdmin(user)) return user;
  const others = await trx
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("admin", "=", 1)
    .where("confirmed", "=", 1)
    .where("disabled_at", "is", null)
    .where("id", "<>", userId)
    .executeTakeFirstOrThrow();
  if (Number(others.n) === 0) {
    throw new AccountError("conflict", { message: "This is the last confirmed, enabled admin: make another account an admin first." });
  }
  return user;
}

/** Disabling ends every session and kills every link and code at once (SPEC §3). */
export async function disableAccount(deps: Deps, userId: string, actor: Actor): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    const user = await lockForAdminLoss(deps, trx, userId);
    const changed = await trx.updateTable("users").set({ disabled_at: now }).where("id", "=", userId).where("disabled_at", "is", null).executeTakeFirst();
    await deleteUserSessions(trx, { userId, email: user.email }, now);
    await killTokens(trx, userId, now);
    const done = changed.numUpdatedRows > 0n;
    await accountChanged(trx, { type: "account_disabled", userId, email: user.email, outcome: done ? "ok" : "already_disabled", actor, now });
    return done;
  });
}

/** Restores sign-in only: sessions and links ended by disabling stay ended. */
export async function enableAccount(deps: Deps, userId: string, actor: Actor): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    const user = await loadAccount(trx, userId);
    const changed = await trx.updateTable("users").set({ disabled_at: null }).where("id", "=", userId).where("disabled_at", "is not", null).executeTakeFirst();
    const done = changed.numUpdatedRows > 0n;
    await accountChanged(trx, { type: "account_enabled", userId, email: user.email, outcome: done ? "ok" : "already_enabled", actor, now });
    return done;
  });
}

/**
 * Removes the account and everything of it in the caller's transaction: sessions, tokens,
 * second factors (their rows cascade with the user), and the mail queued to its address (an
 * email-change link queued to its pending address too). Audit rows stay, with the id only.
 */
async function removeAccount(deps: Deps, trx: Trx, user: AccountRow, now: number): Promise<void> {
  await deleteUserSessions(trx, { userId: user.id, email: user.email }, now);
  await trx.deleteFrom("tokens").where("user_id", "=", user.id).execute();
  await trx.deleteFrom("outbox").where("recipient", "=", deps.outbox.recipientKey(user.email)).execute();
  if (user.pending_email !== null) {
    // Only the link sent there: the pending address may belong to someone else's account.
    await trx.deleteFrom("outbox").where("recipient", "=", deps.outbox.recipientKey(user.pending_email)).where("kind", "=", "email_change").execute();
  }
  await trx.deleteFrom("users").where("id", "=", user.id).execute();
}

/** Deletion by an admin (or the account itself, below). A confirmed address gets a goodbye email. */
export async function deleteAccount(deps: Deps, userId: string, actor: Actor, by: "self" | "admin" = "admin"): Promise<void> {
  const now = deps.clock.now();
  await deps.db.kysely.transaction().execute(async (trx) => {
    const user = await lockForAdminLoss(deps, trx, userId);
    // Read before the row goes: the goodbye is in the account's language, not the admin's.
    const locale = await recipientLocale(trx, deps, userId);
    await removeAccount(deps, trx, user, now);
    if (user.confirmed === 1) {
      await deps.outbox.enqueue(trx, goodbyeMail({ locale, to: user.email, at: now, by, registerUrl: `${deps.config.baseUrl}/register` }), now);
    }
    await accountChanged(trx, { type: "account_deleted", userId, email: user.email, outcome: by, actor, now });
  });
}

/** `POST /profile/delete`: the address typed again must be the account's (any case); else 422, nothing changes. */
export async function deleteOwnAccount(deps: Deps, viewer: Viewer, typedEmail: string, client: ClientInfo): Promise<void> {
  const typed = parseEmail(typedEmail);
  const own = parseEmail(viewer.email);
  if (typeof typed === "string" || typeof own === "string" || typed.canonical !== own.canonical) {
    throw invalidInput({ email: "Type this account's email address to confirm." });
  }
  await deleteAccount(deps, viewer.userId, { id: null, client }, "self");
}

const PURGE_BATCH = 100;
const SYSTEM: Actor = { id: null, client: { ip: null, userAgent: "latchkey worker" } };

/**
 * Deletes accounts never confirmed within UNCONFIRMED_ACCOUNT_TTL (0: never), without a goodbye
 * email, so a squatter's sign-up cannot hold an address. The delete re-checks "still
 * unconfirmed" in its own statement: a confirmation racing the sweep wins or loses whole.
 * Returns how many were deleted.
 */
export async function purgeUnconfirmed(deps: Deps): Promise<number> {
  const ttl = deps.config.unconfirmedAccountTtl;
  if (ttl === 0) return 0;
  let purged = 0;
  for (;;) {
    const now = deps.clock.now();
    const cutoff = now - ttl * 1000;
    const due = await deps.db.kysely
      .selectFrom("users")
      .select(["id", "email", "pending_email", "confirmed", "admin", "disabled_at"])
      .where("confirmed", "=", 0)
      .where("registered_on", "<", cutoff)
      .limit(PURGE_BATCH)
      .execute();
    for (const user of due) {
      const gone = await deps.db.kysely.transaction().execute(async (trx) => {
        const removed = await trx.deleteFrom("users").where("id", "=", user.id).where("confirmed", "=", 0).where("registered_on", "<", cutoff).executeTakeFirst();
        if (removed.numDeletedRows === 0n) return false;
        await removeAccount(deps, trx, user, now);
        await accountChanged(trx, { type: "account_purged", userId: user.id, email: user.email, outcome: "never_confirmed", actor: SYSTEM, now });
        return true;
      });
      if (gone) purged++;
    }
    if (due.length < PURGE_BATCH) return purged;
  }
}
