import { hkdfSync, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import { hmac, seal, unseal } from "../secrets.ts";
import type { Mail } from "./message.tsx";

/**
 * The persistent outbox. Flows call `enqueue` inside their own transaction, so a row and the
 * email it causes commit together. Bodies are sealed (AES-256-GCM) at rest.
 */
export interface Outbox {
  enqueue(trx: Kysely<Database>, mail: Mail, now: number): Promise<void>;
  open(payload: string): Mail;
  /**
   * The keyed hash stored in outbox.recipient for mail to `address` (any case): deleting an
   * account deletes the mail queued to it without opening a sealed body.
   */
  recipientKey(address: string): string;
}

export function createOutbox(opts: { key: Buffer; messageIdDomain: string }): Outbox {
  const recipientHmacKey = Buffer.from(hkdfSync("sha256", opts.key, "", "outbox recipient v1", 32));
  const recipientKey = (address: string) => hmac(recipientHmacKey, address.trim().normalize("NFKC").toLowerCase());
  return {
    recipientKey,
    async enqueue(trx, mail, now) {
      await trx
        .insertInto("outbox")
        .values({
          id: randomUUID(),
          message_id: `<${randomUUID()}@${opts.messageIdDomain}>`,
          kind: mail.kind,
          payload: seal(opts.key, JSON.stringify(mail)),
          status: "pending",
          created_at: now,
          next_attempt_at: now,
          locked_until: null,
          sent_at: null,
          last_error: null,
          recipient: recipientKey(mail.to),
        })
        .execute();
    },
    open(payload) {
      return JSON.parse(unseal(opts.key, payload)) as Mail;
    },
  };
}
