import type { FastifyInstance } from "fastify";
import pino from "pino";
import { systemClock, type Clock, type Deps } from "./accounts/deps.ts";
import { pruneEvents } from "./accounts/audit.ts";
import { createHasher, type Hasher } from "./accounts/passwords.ts";
import { purgeUnconfirmed } from "./accounts/lifecycle.ts";
import { deleteExpiredSessions } from "./accounts/sessions.ts";
import type { Config } from "./config.ts";
import { migrate, openDb } from "./db/index.ts";
import { releaseMemoryWhenIdle } from "./idle-memory.ts";
import { createOutbox } from "./mail/outbox.ts";
import { devMailboxTransport, smtpTransport, type Transport } from "./mail/transport.ts";
import { webhookSender } from "./mail/webhook-delivery.ts";
import { startWorker, type Worker, type WorkerOptions } from "./mail/worker.ts";
import { deriveKeys } from "./secrets.ts";
import { buildApp, redactUrl } from "./web/app.tsx";

/** JSON logs on stdout. Request URLs are logged with link tokens redacted; no headers, no bodies. */
export function createLogger(config: Config): pino.Logger {
  return pino({
    level: config.logLevel,
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), ip: req.ip }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  });
}

export interface ServiceOptions {
  readonly clock?: Clock;
  readonly worker?: boolean;
  readonly workerOptions?: WorkerOptions;
  /** Tests pass a quiet logger. */
  readonly logger?: pino.Logger;
  /** Tests pass one whose queue they can watch. */
  readonly hasher?: Hasher;
}

/** The wired-up parts shared by `serve` and `worker`. */
export interface Core {
  readonly deps: Deps;
  readonly log: pino.Logger;
  makeTransport(): Transport;
}

export async function openCore(config: Config, clock: Clock = systemClock, logger?: pino.Logger, hasher = createHasher()): Promise<Core> {
  const log = logger ?? createLogger(config);
  const db = openDb(config.databaseUrl);
  await migrate(db);
  const keys = deriveKeys(config.secretKey);
  const domain = /@([^>\s]+)/.exec(config.mailFrom)?.[1] ?? new URL(config.baseUrl).hostname;
  const outbox = createOutbox({ key: keys.outbox, messageIdDomain: domain });
  const deps: Deps = { db, clock, hasher, outbox, config, keys };
  return {
    deps,
    log,
    makeTransport: () => (config.smtpUrl ? smtpTransport(config.smtpUrl, config.mailFrom) : devMailboxTransport(log)),
  };
}

export interface RunningWorker {
  readonly worker: Worker;
  stop(): Promise<void>;
}

const PRUNE_EVERY_MS = 3600_000;

/** The mail worker, plus the hourly pruning of old audit events and expired sessions. */
export function runWorker(core: Core, options?: WorkerOptions): RunningWorker {
  const transport = core.makeTransport();
  const worker = startWorker(
    {
      db: core.deps.db,
      clock: core.deps.clock,
      outbox: core.deps.outbox,
      transport,
      webhooks: webhookSender({ db: core.deps.db, key: core.deps.keys.webhook, allowPrivate: core.deps.config.webhookAllowPrivate }),
      log: core.log,
    },
    { leaseMs: core.deps.config.outboxLeaseSeconds * 1000, ...options },
  );
  const prune = () =>
    Promise.all([pruneEvents(core.deps, core.deps.config.auditRetentionDays), deleteExpiredSessions(core.deps)]).catch((err: unknown) =>
      core.log.warn({ err }, "hourly pruning failed"),
    );
  void prune();
  const timer = setInterval(prune, PRUNE_EVERY_MS).unref();
  const purgeTimer = startPurge(core);
  return {
    worker,
    async stop() {
      clearInterval(timer);
      if (purgeTimer) clearInterval(purgeTimer);
      await worker.stop();
      transport.close();
    },
  };
}

/**
 * The sweep of never-confirmed accounts (SPEC §10): every quarter of UNCONFIRMED_ACCOUNT_TTL,
 * at least every second and at most every minute, so an account goes at most a minute late.
 * One indexed query (users_confirmed_newest) when nothing is due.
 */
function startPurge(core: Core): NodeJS.Timeout | undefined {
  const ttl = core.deps.config.unconfirmedAccountTtl;
  if (ttl === 0) return undefined;
  const every = Math.min(60_000, Math.max(1000, (ttl * 1000) / 4));
  let running = false;
  const purge = () => {
    if (running) return;
    running = true;
    purgeUnconfirmed(core.deps)
      .then(
        (n) => n > 0 && core.log.info({ purged: n }, "never-confirmed accounts deleted"),
        (err: unknown) => core.log.warn({ err }, "purge of never-confirmed accounts failed"),
      )
      .finally(() => (running = false));
  };
  return setInterval(purge, every).unref();
}

export interface Service {
  readonly app: FastifyInstance;
  readonly deps: Deps;
  readonly worker: Worker | undefined;
  /** Stops accepting, finishes in-flight requests, stops the worker, closes the database. */
  close(): Promise<void>;
}

/** Config → database → flows → web (+ the in-process mail worker unless told otherwise). */
export async function createService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const core = await openCore(config, options.clock, options.logger, options.hasher);
  if (config.webauthnRpId === null) {
    core.log.warn(`passkeys are off: BASE_URL's host ${new URL(config.baseUrl).hostname} is an IP address, which cannot be a WebAuthn relying party (set BASE_URL or WEBAUTHN_RP_ID to a domain name)`);
  }
  const running = options.worker === false ? undefined : runWorker(core, options.workerOptions);
  const app = await buildApp({
    deps: core.deps,
    mailQueued: () => running?.worker.wake(),
    logger: core.log,
  });
  const stopReleasingMemory = releaseMemoryWhenIdle();
  return {
    app,
    deps: core.deps,
    worker: running?.worker,
    async close() {
      stopReleasingMemory();
      await app.close();
      await running?.stop();
      await core.deps.db.close();
    },
  };
}
