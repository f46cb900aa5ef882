import { randomUUID } from "node:crypto";
import type { Deps } from "./deps.ts";
import { parseEmail } from "./email-address.ts";
import { invalidInput } from "./errors.ts";
import { passwordProblem } from "./passwords.ts";

/**
 * `latchkey create-admin`: promotes an existing account, or creates a confirmed admin (the
 * operator vouches for the address). The password is asked for only when an account is created.
 */
export async function createAdmin(deps: Deps, emailInput: string, askPassword: () => Promise<string>): Promise<"created" | "promoted"> {
  const email = parseEmail(emailInput);
  if (typeof email === "string") throw invalidInput({ email });
  const promoted = await deps.db.kysely
    .updateTable("users")
    .set({ admin: 1 })
    .where("email_canonical", "=", email.canonical)
    .executeTakeFirst();
  if (promoted.numUpdatedRows > 0n) return "promoted";

  const password = await askPassword();
  const problem = passwordProblem(password, deps.config.passwordMinLength, email.address);
  if (problem) throw invalidInput({ password: problem });
  const passwordHash = await deps.hasher.hash(password);
  const now = deps.clock.now();
  await deps.db.kysely
    .insertInto("users")
    .values({
      id: randomUUID(),
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
  return "created";
}
