import type { Kysely } from "kysely";
import type { Dialect } from "./index.ts";
import type { Database } from "./schema.ts";

/**
 * Serialises every change that could leave no admin, so the check that another admin remains
 * and the change itself are one step: two admins demoting each other at once leave one.
 * PostgreSQL locks every admin row (in id order, so two such transactions never deadlock); a
 * transaction blocked here re-reads the rows once the other commits. SQLite needs nothing: its
 * transactions already run one at a time.
 */
export async function lockAdminRows(trx: Kysely<Database>, dialect: Dialect): Promise<void> {
  if (dialect !== "postgres") return;
  await trx.selectFrom("users").select("id").where("admin", "=", 1).orderBy("id").forUpdate().execute();
}
