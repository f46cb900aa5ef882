import type { Kysely } from "kysely";
import type { Config } from "../config.ts";
import type { Db } from "../db/index.ts";
import type { Database } from "../db/schema.ts";
import type { Outbox } from "../mail/outbox.ts";
import type { Keys } from "../secrets.ts";
import type { Hasher } from "./passwords.ts";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** What every flow receives, wired once in server.ts (DESIGN rule 10). */
export interface Deps {
  readonly db: Db;
  readonly clock: Clock;
  readonly hasher: Hasher;
  readonly outbox: Outbox;
  readonly config: Config;
  readonly keys: Keys;
}

/** Where a request came from, recorded on sessions and shown in notices. */
export interface ClientInfo {
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** Aborts once the request is over (answered, or its client gone): waiting hash work is dropped. */
  readonly gone?: AbortSignal;
}

export type Trx = Kysely<Database>;
