import { secondFactorMail, type SecondFactorNotice } from "../../mail/messages/second-factor.tsx";
import { recordEvent } from "../audit.ts";
import type { ClientInfo, Deps, Trx } from "../deps.ts";
import { emit } from "../../events/emit.ts";
import { recipientLocale } from "../locale.ts";

/** Changes of an account's second factors; each is a `user.mfa_changed` event (SPEC §7, §9). */
export type MfaChange = Extract<
  SecondFactorNotice,
  "totp_enabled" | "totp_disabled" | "recovery_codes_regenerated" | "passkey_added" | "passkey_removed" | "mfa_reset"
>;

/**
 * Audit + mail + event, in the caller's transaction: the one place a change of second factors
 * is announced. The `user.mfa_changed` webhook (issue 11) is emitted here too, with
 * `{ user_id, email, change }` as its data.
 */
export async function mfaChanged(
  trx: Trx,
  deps: Pick<Deps, "outbox" | "config">,
  e: { userId: string; email: string; change: MfaChange; client: ClientInfo; now: number },
): Promise<void> {
  await recordEvent(trx, { type: "mfa_changed", userId: e.userId, outcome: e.change, client: e.client, now: e.now });
  await notifyOwner(trx, deps, { userId: e.userId, email: e.email, notice: e.change, client: e.client, now: e.now });
  await emit(trx, { type: "user.mfa_changed", userId: e.userId, email: e.email, at: e.now });
}

/** A security notice to the account's owner (also used for events that change nothing). */
export async function notifyOwner(
  trx: Trx,
  deps: Pick<Deps, "outbox" | "config">,
  e: { userId: string; email: string; notice: SecondFactorNotice; client: ClientInfo; now: number },
): Promise<void> {
  const locale = await recipientLocale(trx, deps, e.userId);
  const mail = secondFactorMail({ locale, to: e.email, notice: e.notice, at: e.now, resetUrl: `${deps.config.baseUrl}/forgot`, ...e.client });
  await deps.outbox.enqueue(trx, mail, e.now);
}
