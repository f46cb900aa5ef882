import type { Migration } from "kysely";
import { initial } from "./001-initial.ts";
import { rateLimits } from "./002-rate-limits.ts";
import { authEvents } from "./003-auth-events.ts";
import { webhooks } from "./004-webhooks.ts";
import { secondFactors } from "./005-second-factors.ts";
import { lifecycle } from "./006-lifecycle.ts";
import { signupNotices } from "./007-signup-notices.ts";
import { locale } from "./008-locale.ts";
import { addressSearch } from "./009-address-search.ts";

/** Applied in key order; never edit a migration that has shipped, add the next number. */
export const migrations: Record<string, Migration> = {
  "001-initial": initial,
  "002-rate-limits": rateLimits,
  "003-auth-events": authEvents,
  "004-webhooks": webhooks,
  "005-second-factors": secondFactors,
  "006-lifecycle": lifecycle,
  "007-signup-notices": signupNotices,
  "008-locale": locale,
  "009-address-search": addressSearch,
};
