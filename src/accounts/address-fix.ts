import { randomUUID } from "node:crypto";
import { emit } from "../events/emit.ts";
import { recordEvent } from "./audit.ts";
import type { ClientInfo, Deps } from "./deps.ts";
import { parseEmail } from "./email-address.ts";
import { invalidInput } from "./errors.ts";
import { claimResendSlot, cooldownError, queueConfirmation, queueSignupAttemptNotice } from "./registration.ts";
import type { Viewer } from "./sessions.ts";
import { killTokens } from "./tokens.ts";

const WRONG_PASSWORD = { current_password: "That is not the password you signed up with." };

/**
 * "Wrong address?" on /unconfirmed: the signed-in, unconfirmed visitor corrects a mistyped
 * address. Earlier confirmation links die and a fresh confirmation goes to the new address,
 * under the same no-enumeration rule as sign-up: when the corrected address belongs to another
 * account, the visitor sees the same thing and that account's owner is told instead.
 *
 * A placeholder session (a sign-up attempt with a taken address) is treated as the sign-up it
 * stands for: corrected to a free address, it becomes that new account.
 */
export async function fixUnconfirmedAddress(
  deps: Deps,
  viewer: Viewer,
  input: { email: string; current_password: string },
  client: ClientInfo,
): Promise<void> {
  if (viewer.confirmed) return;
  const email = parseEmail(input.email);
  if (typeof email === "string") throw invalidInput({ email });
  if (email.canonical === viewer.email.toLowerCase()) throw invalidInput({ email: "That is the address we already have." });

  const { kysely } = deps.db;
  const session = await kysely
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select(["sessions.signup_password_hash", "users.password_hash"])
    .where("sessions.id_hash", "=", viewer.sessionHash)
    .executeTakeFirstOrThrow();
  const passwordHash = viewer.signupAttempt ? session.signup_password_hash : session.password_hash;
  if (!passwordHash || !input.current_password || !(await deps.hasher.verify(passwordHash, input.current_password))) {
    throw invalidInput(WRONG_PASSWORD);
  }

  const now = deps.clock.now();
  await kysely.transaction().execute(async (trx) => {
    // A fix mails like a resend and shares its cooldown (issue 18.1: alternating two addresses
    // was a mail cannon); only the first fix after sign-up goes at once, and whichever way the
    // address turns out (free or taken) the answer is the same.
    if (!(await claimResendSlot(trx, viewer, now, true))) throw await cooldownError(trx, viewer, now);
    const owner = await trx.selectFrom("users").select(["id", "email"]).where("email_canonical", "=", email.canonical).executeTakeFirst();
    await recordEvent(trx, { type: "address_fixed", userId: viewer.userId, outcome: owner ? "existing_account" : "ok", client, now });
    if (!viewer.signupAttempt) await killTokens(trx, viewer.userId, now, "confirm");
    const session = trx.updateTable("sessions").where("id_hash", "=", viewer.sessionHash);
    if (owner) {
      // Taken: this browser now stands for a sign-up attempt at that address.
      await session.set({ user_id: owner.id, signup_email: email.address, signup_password_hash: passwordHash }).execute();
      await queueSignupAttemptNotice(deps, trx, owner, now, client);
    } else if (viewer.signupAttempt) {
      const userId = randomUUID();
      await trx
        .insertInto("users")
        .values({ id: userId, email: email.address, email_canonical: email.canonical, password_hash: passwordHash, registered_on: now, confirmation_sent_at: now })
        .execute();
      await session.set({ user_id: userId, signup_email: null, signup_password_hash: null }).execute();
      await queueConfirmation(deps, trx, userId, email.address, now);
      await emit(trx, { type: "user.created", userId, email: email.address, at: now });
    } else {
      await trx
        .updateTable("users")
        .set({ email: email.address, email_canonical: email.canonical, confirmation_sent_at: now })
        .where("id", "=", viewer.userId)
        .execute();
      await queueConfirmation(deps, trx, viewer.userId, email.address, now);
      await emit(trx, { type: "user.email_changed", userId: viewer.userId, email: email.address, at: now });
    }
  });
}
