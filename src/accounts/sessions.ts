import { randomUUID } from "node:crypto";
import { sql, type Kysely, type RawBuilder } from "kysely";
import { lookupByKey, prepared } from "../db/prepared.ts";
import type { Database } from "../db/schema.ts";
import { emit } from "../events/emit.ts";
import { randomToken, sha256, TOKEN_PATTERN } from "../secrets.ts";
import { recordEvent } from "./audit.ts";
import type { ClientInfo, Deps, Trx } from "./deps.ts";

/** A pending second-factor sign-in must be finished within 5 minutes. */
export const MFA_PENDING_TTL_MS = 300_000;

/**
 * Last-seen is written at most this often, so a signed-in page view is a read, not a write;
 * with a short idle timeout, a quarter of it, so an active session is never cut early (issue 18.5).
 */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

function lastSeenResolutionMs(idleTtlSeconds: number): number {
  return Math.min(LAST_SEEN_RESOLUTION_MS, idleTtlSeconds * 250);
}

const USER_AGENT_MAX = 512;

/** Who is behind a session cookie, as the pages need it. */
export interface Viewer {
  readonly userId: string;
  readonly email: string;
  readonly confirmed: boolean;
  readonly admin: boolean;
  /** Stored hash of the cookie value: identifies this session for logout and rotation. */
  readonly sessionHash: string;
  /** The session's public id (what /sessions shows and the identity assertion calls `sid`). */
  readonly sessionId: string;
  /** Milliseconds: when this session was created, and its absolute expiry. */
  readonly sessionCreatedAt: number;
  readonly sessionExpiresAt: number;
  /**
   * A sign-up attempt with an address that already has an account (SPEC §3): the visitor
   * sees the same "check your inbox" page as a new sign-up, and nothing else of the account.
   */
  readonly signupAttempt: boolean;
  /** Milliseconds; for a sign-up attempt, when its placeholder session was created. */
  readonly registeredOn: number;
  readonly confirmedOn: number | null;
  /** An address change waiting for its confirmation link. */
  readonly pendingEmail: string | null;
  /** Last sign-in or re-authentication (ms); freshness (SPEC §9) is measured from it. */
  readonly authenticatedAt: number | null;
  /** How the session was authenticated, e.g. ["pwd","otp"]. */
  readonly amr: readonly string[];
  /** The account's stored language (null: none stored); a sign-up attempt has none of the owner's. */
  readonly locale: string | null;
}

/** Admin pages and API: a confirmed account with the admin flag (create-admin). */
export function isAdmin(viewer: Viewer): boolean {
  return viewer.admin && viewer.confirmed;
}

type SessionDeps = Pick<Deps, "db" | "clock" | "config">;

/** What a placeholder session remembers of the sign-up attempt it stands for. */
export interface SignupAttempt {
  readonly email: string;
  readonly passwordHash: string;
}

/**
 * Creates a session row in the caller's transaction; returns the cookie value (never stored).
 * An account's session (`email`: its address) is announced as `session.created`; a sign-up
 * attempt's placeholder is nobody's session and is not.
 */
export async function createSession(
  trx: Trx,
  deps: Pick<Deps, "config">,
  opts: {
    userId: string;
    now: number;
    client: ClientInfo;
    /** How the user proved who they are (SPEC §7 `amr`); default a password. */
    amr?: readonly string[];
    /** A sign-in that still owes its second factor: lives MFA_PENDING_TTL_MS, opens only /login/2fa. */
    pending?: boolean;
  } & ({ email: string } | { placeholder: SignupAttempt }),
): Promise<string> {
  const id = randomToken();
  const publicId = randomUUID();
  const placeholder = "placeholder" in opts ? opts.placeholder : undefined;
  const lifetime = opts.pending ? MFA_PENDING_TTL_MS : deps.config.sessionAbsoluteTtl * 1000;
  await trx
    .insertInto("sessions")
    .values({
      id_hash: sha256(id),
      public_id: publicId,
      user_id: opts.userId,
      created_at: opts.now,
      last_seen_at: opts.now,
      expires_at: opts.now + lifetime,
      ip: opts.client.ip,
      user_agent: opts.client.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
      signup_email: placeholder?.email ?? null,
      signup_password_hash: placeholder?.passwordHash ?? null,
      authenticated_at: placeholder ? null : opts.now,
      amr: JSON.stringify(opts.amr ?? ["pwd"]),
      mfa_pending: opts.pending ? 1 : 0,
    })
    .execute();
  // A pending sign-in is not a session yet: session.created comes when its second factor is given.
  if ("email" in opts && !opts.pending) await emit(trx, { type: "session.created", userId: opts.userId, email: opts.email, sessionId: publicId, at: opts.now });
  return id;
}

/** The session and its account: one indexed read behind every signed-in request. */
const sessionColumns = (kysely: Kysely<Database>) =>
  kysely
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select([
      "sessions.id_hash",
      "sessions.public_id",
      "sessions.created_at",
      "sessions.last_seen_at",
      "sessions.expires_at",
      "sessions.signup_email",
      "sessions.authenticated_at",
      "sessions.amr",
      "sessions.mfa_pending",
      "users.id",
      "users.email",
      "users.confirmed",
      "users.admin",
      "users.registered_on",
      "users.confirmed_on",
      "users.pending_email",
      "users.disabled_at",
      "users.locale",
    ]);

/** Answered a turn of the event loop at a time: batched on PostgreSQL, reused between commits on SQLite (lookupByKey; decisions 016, 017). */
const sessionByHash = lookupByKey(
  prepared((kysely, idHash: string) => sessionColumns(kysely).where("sessions.id_hash", "=", idHash)),
  prepared((kysely, idHashes: string[]) => sessionColumns(kysely).where("sessions.id_hash", "=", sql<string>`any(${idHashes})`)),
  (row) => row.id_hash,
);

/**
 * One indexed lookup of sha256(cookie). Expired sessions (idle or absolute) are deleted and
 * count as none. Last-seen moves at most once a minute (or a quarter of the idle timeout).
 * A sign-in still owing its second factor is not signed in: it counts as none here (see
 * lookupPendingSession).
 */
export async function lookupSession(deps: SessionDeps, cookieValue: string | undefined): Promise<Viewer | null> {
  const viewer = await lookupAnySession(deps, cookieValue);
  return viewer && !viewer.mfaPending ? viewer : null;
}

/** The session behind the cookie only if it is a sign-in waiting for its second factor. */
export async function lookupPendingSession(deps: SessionDeps, cookieValue: string | undefined): Promise<Viewer | null> {
  const viewer = await lookupAnySession(deps, cookieValue);
  return viewer?.mfaPending ? viewer : null;
}

type AnyViewer = Viewer & { mfaPending: boolean };
type SessionRow = Awaited<ReturnType<typeof sessionByHash>>[number];

async function lookupAnySession(deps: SessionDeps, cookieValue: string | undefined): Promise<AnyViewer | null> {
  if (!cookieValue || !TOKEN_PATTERN.test(cookieValue)) return null;
  const { kysely } = deps.db;
  const idHash = sha256(cookieValue);
  const [row] = await sessionByHash(deps.db, idHash);
  if (!row) return null;
  const now = deps.clock.now();
  if (now >= row.expires_at || now - row.last_seen_at >= deps.config.sessionIdleTtl * 1000) {
    await kysely.deleteFrom("sessions").where("id_hash", "=", idHash).execute();
    return null;
  }
  // Disabling deletes every session; this also refuses one created by a sign-in in flight then.
  if (row.disabled_at !== null && row.signup_email === null) return null;
  if (now - row.last_seen_at >= lastSeenResolutionMs(deps.config.sessionIdleTtl)) {
    await kysely.updateTable("sessions").set({ last_seen_at: now }).where("id_hash", "=", idHash).execute();
  }
  return viewerOfRow(row, idHash);
}

function viewerOfRow(row: SessionRow, idHash: string): AnyViewer {
  if (row.signup_email !== null) {
    // Nothing of the existing account: what a brand-new unconfirmed account would show.
    return {
      userId: row.id,
      email: row.signup_email,
      confirmed: false,
      admin: false,
      sessionHash: idHash,
      sessionId: row.public_id,
      sessionCreatedAt: row.created_at,
      sessionExpiresAt: row.expires_at,
      signupAttempt: true,
      registeredOn: row.created_at,
      confirmedOn: null,
      pendingEmail: null,
      authenticatedAt: null,
      amr: [],
      locale: null,
      mfaPending: false,
    };
  }
  return {
    userId: row.id,
    email: row.email,
    confirmed: row.confirmed === 1,
    admin: row.admin === 1,
    sessionHash: idHash,
    sessionId: row.public_id,
    sessionCreatedAt: row.created_at,
    sessionExpiresAt: row.expires_at,
    signupAttempt: false,
    registeredOn: row.registered_on,
    confirmedOn: row.confirmed_on,
    pendingEmail: row.pending_email,
    authenticatedAt: row.authenticated_at === null ? null : Number(row.authenticated_at),
    amr: row.amr ? (JSON.parse(row.amr) as string[]) : [],
    locale: row.locale,
    mfaPending: row.mfa_pending === 1,
  };
}

/** Housekeeping: sessions past their absolute or idle expiry (they already count as none). */
export async function deleteExpiredSessions(deps: SessionDeps): Promise<number> {
  const now = deps.clock.now();
  const result = await deps.db.kysely
    .deleteFrom("sessions")
    .where((w) => w.or([w("expires_at", "<=", now), w("last_seen_at", "<=", now - deps.config.sessionIdleTtl * 1000)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Gives a session a new id (re-authentication, a factor turned on): the old cookie stops
 * working, the row (its public id, its device) stays. Returns the new cookie value.
 */
export async function rotateSession(trx: Trx, sessionHash: string, set: { authenticatedAt?: number; amr?: readonly string[] } = {}): Promise<string> {
  const id = randomToken();
  await trx
    .updateTable("sessions")
    .set({
      id_hash: sha256(id),
      ...(set.authenticatedAt !== undefined ? { authenticated_at: set.authenticatedAt } : {}),
      ...(set.amr ? { amr: JSON.stringify(set.amr) } : {}),
    })
    .where("id_hash", "=", sessionHash)
    .execute();
  return id;
}

/** Ends the viewer's session (sign-out, or a sign-in replacing it); an account's is announced as `session.revoked`. */
export async function deleteSession(trx: Trx, viewer: Viewer, now: number): Promise<void> {
  const gone = await trx.deleteFrom("sessions").where("id_hash", "=", viewer.sessionHash).returning("public_id").executeTakeFirst();
  if (gone && !viewer.signupAttempt) await emitRevoked(trx, viewer, gone.public_id, now);
}

/** Ends a sign-in that never became a session (it still owed its second factor): nothing to announce. */
export async function dropPendingSession(trx: Trx, sessionHash: string): Promise<void> {
  await trx.deleteFrom("sessions").where("id_hash", "=", sessionHash).where("mfa_pending", "=", 1).execute();
}

/** Ends every session of the user, placeholder sessions included; the account's own are announced as `session.revoked`. */
export async function deleteUserSessions(trx: Trx, user: { userId: string; email: string }, now: number): Promise<void> {
  const gone = await trx.deleteFrom("sessions").where("user_id", "=", user.userId).returning(["public_id", "signup_email"]).execute();
  for (const s of gone) if (s.signup_email === null) await emitRevoked(trx, user, s.public_id, now);
}

export function emitRevoked(trx: Trx, user: { userId: string; email: string }, sessionId: string, now: number): Promise<void> {
  return emit(trx, { type: "session.revoked", userId: user.userId, email: user.email, sessionId, at: now });
}

export interface SessionSummary {
  readonly publicId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly current: boolean;
}

/** The user's own sessions, newest activity first (placeholder sessions are not theirs). */
/**
 * The user's own sessions that still count, by the same rules as lookupSession (not past their
 * absolute or idle expiry; sign-up attempts' placeholders are not theirs). `userId` may be a
 * column of an outer query (`sql.ref("users.id")`).
 */
export function liveSessions(deps: SessionDeps, userId: string | RawBuilder<string>) {
  const now = deps.clock.now();
  return deps.db.kysely
    .selectFrom("sessions")
    .where("sessions.user_id", "=", userId)
    .where("sessions.signup_email", "is", null)
    .where("sessions.mfa_pending", "=", 0)
    .where("sessions.expires_at", ">", now)
    .where("sessions.last_seen_at", ">", now - deps.config.sessionIdleTtl * 1000);
}

export async function listSessions(deps: SessionDeps, viewer: Viewer): Promise<SessionSummary[]> {
  const rows = await liveSessions(deps, viewer.userId)
    .select(["id_hash", "public_id", "created_at", "last_seen_at", "ip", "user_agent"])
    .orderBy("last_seen_at", "desc")
    .execute();
  return rows.map((r) => ({
    publicId: r.public_id,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    ip: r.ip,
    userAgent: r.user_agent,
    current: r.id_hash === viewer.sessionHash,
  }));
}

/** Ends one of the user's own sessions at once. Returns false when there was none by that id. */
export async function revokeSession(deps: SessionDeps, viewer: Viewer, publicId: string, client: ClientInfo): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    const result = await trx
      .deleteFrom("sessions")
      .where("public_id", "=", publicId)
      .where("user_id", "=", viewer.userId)
      .where("signup_email", "is", null)
      .executeTakeFirst();
    if (result.numDeletedRows === 0n) return false;
    await recordEvent(trx, { type: "session_revoked", userId: viewer.userId, outcome: "ok", client, now });
    await emitRevoked(trx, viewer, publicId, now);
    return true;
  });
}
