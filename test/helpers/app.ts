import { randomBytes } from "node:crypto";
import pino from "pino";
import type { Clock } from "../../src/accounts/deps.ts";
import type { Hasher } from "../../src/accounts/passwords.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { createService, type Service } from "../../src/server.ts";
import { Client } from "./client.ts";
import { createTestDatabase, type TestDatabase, type TestDialect } from "./databases.ts";
import { SmtpSink } from "./smtp-sink.ts";

/** Emailed links start with this origin (never the Host the test connects to). */
export const TEST_BASE_URL = "http://latchkey.test";

/** A clock the test moves instead of sleeping (DESIGN rule 3). */
export class TestClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export interface TestApp {
  readonly url: string;
  readonly service: Service;
  readonly config: Config;
  readonly sink: SmtpSink | undefined;
  readonly clock: TestClock;
  readonly database: TestDatabase;
  client(): Client;
  close(): Promise<void>;
}

export interface TestAppOptions {
  readonly dialect?: TestDialect;
  /** Listen address (default 127.0.0.1); "0.0.0.0" lets a test call from a non-loopback address. */
  readonly host?: string;
  /** Extra environment; SMTP_URL is set to the sink unless `smtp: false`. */
  readonly env?: Record<string, string>;
  /** false: no SMTP (dev mailbox). A sink: use it (it may be stopped). Default: a new sink. */
  readonly smtp?: false | SmtpSink;
  readonly worker?: boolean;
  /** Reuse a database (a restart) instead of a fresh one. */
  readonly database?: TestDatabase;
  /** The service's logger (default: silent, or TEST_LOG_LEVEL). */
  readonly logger?: pino.Logger;
  /** A hasher of the test's own (e.g. over a queue it watches). */
  readonly hasher?: Hasher;
}

/** The real server on 127.0.0.1:0 with a fresh database and a real SMTP sink. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase(options.dialect ?? "sqlite"));
  const sink = options.smtp === false ? undefined : (options.smtp ?? (await new SmtpSink().start()));
  const config = loadConfig({
    NODE_ENV: "test",
    BASE_URL: TEST_BASE_URL,
    DATABASE_URL: database.url,
    SECRET_KEY: randomBytes(32).toString("base64url"),
    LOG_LEVEL: "silent",
    // Flow tests send many requests from 127.0.0.1; the rate-limit tests pass RATE_LIMITS=on
    // (the default of a real deployment) themselves.
    RATE_LIMITS: "off",
    ...(sink ? { SMTP_URL: sink.url } : {}),
    ...options.env,
  });
  const clock = new TestClock();
  const service = await createService(config, {
    clock,
    worker: options.worker ?? true,
    workerOptions: { pollMs: 50, backoffBaseMs: 100, maxBackoffMs: 500 },
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    ...(options.hasher ? { hasher: options.hasher } : {}),
  });
  const listening = await service.app.listen({ port: 0, host: options.host ?? "127.0.0.1" });
  const address = listening.replace("//0.0.0.0:", "//127.0.0.1:");
  return {
    url: address,
    service,
    config,
    sink,
    clock,
    database,
    client: () => new Client(address),
    async close() {
      await service.close();
      if (!options.smtp) await sink?.stop();
      if (!options.database) await database.drop();
    },
  };
}
