import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import { seal, unseal } from "../secrets.ts";
import type { Mail } from "./message.tsx";

/**
 * The persistent outbox. Flows call `enqueue` inside their own transaction, so a row and the
 * email it causes commit together. Bodies are sealed (AES-256-GCM) at rest.
 */
export interface Outbox {
  enqueue(trx: Kysely<Database>, mail: Mail, now: number): Promise<void>;
  open(payload: string): Mail;
}

export function createOutbox(opts: { key: Buffer; messageIdDomain: string }): Outbox {
  return {
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
        })
        .execute();
    },
    open(payload) {
      return JSON.parse(unseal(opts.key, payload)) as Mail;
    },
  };
}
