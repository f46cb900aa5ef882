import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Db } from "./index.ts";

/**
 * A counter store for one rate-limit rule. One node (SQLite): in memory, no writes per request.
 * PostgreSQL: a shared table, so every instance sees the same counts.
 */
export function createLimiterStore(db: Db, opts: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract {
  if (db.pgPool) {
    return new RateLimiterPostgres({ ...opts, storeClient: db.pgPool, storeType: "pool", tableName: "rate_limits", tableCreated: true });
  }
  return new RateLimiterMemory(opts);
}
