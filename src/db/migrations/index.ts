import type { Migration } from "kysely";
import { initial } from "./001-initial.ts";
import { rateLimits } from "./002-rate-limits.ts";
import { authEvents } from "./003-auth-events.ts";
import { lifecycle } from "./006-lifecycle.ts";

/** Applied in key order; never edit a migration that has shipped, add the next number. */
export const migrations: Record<string, Migration> = {
  "001-initial": initial,
  "002-rate-limits": rateLimits,
  "003-auth-events": authEvents,
  "006-lifecycle": lifecycle,
};
