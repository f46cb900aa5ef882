import { randomUUID } from "node:crypto";
import { emit } from "../events/emit.ts";
import { recordEvent } from "./audit.ts";
import type { Deps } from "./deps.ts";

const CLI = { ip: null, userAgent: "latchkey create-admin" };
import { parseEmail } from "./email-address.ts";
import { invalidInput } from "./errors.ts";
import { passwordProblem } from "./passwords.ts";
import { killTokens } from "./tokens.ts";

/**
 * `latchkey create-admin`: promotes an existing confirmed account, or creates a confirmed admin
 * (the operator vouches for the address), taking over an unconfirmed one. The password is asked
 * for only when no confirmed account exists.
 */
export async function createAdmin(deps: Deps, emailInput: string, askPassword: () => Promise<string>): Promise<"created" | "promoted"> {
  const email = parseEmail(emailInput);
  if (typeof email === "string") throw invalidInput({ email });
  // Only a confirmed account is promoted as it stands: an unconfirmed one may have been
  // registered by anyone who typed this address, with a password they know.
  const promoted = await deps.db.kysely.transaction().execute(async (trx) => {
    const user = await trx
      .updateTable("users")
      .set({ admin: 1 })
      .where("email_canonical", "=", email.canonical)
      .where("confirmed", "=", 1)
      .returning("id")
      .executeTakeFirst();
    if (user) await recordEvent(trx, { type: "admin_promoted", userId: user.id, outcome: "ok", client: CLI, now: deps.clock.now() });
    return user !== undefined;
  });
  if (promoted) return "promoted";

  const password = await askPassword();
  const problem = passwordProblem(password, deps.config.passwordMinLength, email.address, deps.config.baseUrl);
  if (problem) throw invalidInput({ password: problem });
  const passwordHash = await deps.hasher.hash(password);
  const now = deps.clock.now();
  return deps.db.kysely.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom("users").select(["id", "confirmed"]).where("email_canonical", "=", email.canonical).executeTakeFirst();
    if (existing?.confirmed === 1) {
      await trx.updateTable("users").set({ admin: 1 }).where("id", "=", existing.id).execute();
      await recordEvent(trx, { type: "admin_promoted", userId: existing.id, outcome: "ok", client: CLI, now });
      return "promoted";
    }
    if (existing) {
      // The operator vouches for the address, so the unconfirmed account becomes theirs: their
      // password, confirmed; whoever signed up with it loses every session and link.
      await trx
        .updateTable("users")
        .set({ password_hash: passwordHash, confirmed: 1, confirmed_on: now, admin: 1 })
        .where("id", "=", existing.id)
        .execute();
      await trx.deleteFrom("sessions").where("user_id", "=", existing.id).execute();
      await killTokens(trx, existing.id, now);
      await recordEvent(trx, { type: "admin_promoted", userId: existing.id, outcome: "took_over_unconfirmed", client: CLI, now });
      return "promoted";
    }
    const id = randomUUID();
    await recordEvent(trx, { type: "admin_created", userId: id, outcome: "ok", client: CLI, now });
    await trx
      .insertInto("users")
      .values({
        id,
        email: email.address,
        email_canonical: email.canonical,
        password_hash: passwordHash,
        registered_on: now,
        confirmed: 1,
        confirmed_on: now,
        admin: 1,
        confirmation_sent_at: null,
      })
      .execute();
    await emit(trx, { type: "user.created", userId: id, email: email.address, at: now });
    return "created";
  });
}
