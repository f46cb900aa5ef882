/**
 * CPU time per request, read from /proc around a load run: far steadier than throughput on a
 * shared machine, and it says where the time goes (the event loop vs the hashing threads).
 */
import { postgresCpu, threadCpu } from "./processes.ts";
import type { WrkResult } from "./wrk.ts";

export interface CpuPerRequest {
  /** ms of the server's main thread (the event loop) per request. */
  readonly main: number;
  /** ms of its other threads (libuv's pool: argon2; GC helpers) per request. */
  readonly others: number;
  /** ms of the local PostgreSQL server's processes per request (0 on SQLite): the same two cores. */
  readonly database: number;
}

export async function withCpu(pid: number, run: () => Promise<WrkResult>): Promise<WrkResult & { cpu: CpuPerRequest }> {
  const before = threadCpu(pid);
  const pgBefore = postgresCpu();
  const result = await run();
  const after = threadCpu(pid);
  const pgAfter = postgresCpu();
  const per = (s: number) => (s * 1000) / Math.max(1, result.requests);
  return { ...result, cpu: { main: per(after.main - before.main), others: per(after.others - before.others), database: per(pgAfter - pgBefore) } };
}
