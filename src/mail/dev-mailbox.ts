import MailComposer from "nodemailer/lib/mail-composer/index.js";
import type { Db } from "../db/index.ts";
import type { OutboxStatus } from "../db/schema.ts";
import type { Mail } from "./message.tsx";
import type { Outbox } from "./outbox.ts";

/** How many messages the dev mailbox lists (newest first). */
export const DEV_MAILBOX_SHOWN = 200;

export interface DevMessage {
  readonly id: string;
  readonly messageId: string;
  readonly status: OutboxStatus;
  readonly createdAt: number;
  readonly mail: Mail;
}

interface Deps {
  readonly db: Db;
  readonly outbox: Outbox;
}

/**
 * The development mailbox (no SMTP_URL, not production) reads the outbox: the dev transport
 * keeps delivered bodies sealed there instead of erasing them. Only rows that open as an email
 * count (the outbox may carry other kinds of delivery).
 */
export async function listDevMail(deps: Deps, to?: string): Promise<DevMessage[]> {
  const rows = await deps.db.kysely
    .selectFrom("outbox")
    .select(["id", "message_id", "payload", "status", "created_at"])
    .where("payload", "is not", null)
    .where("endpoint_id", "is", null) // webhook deliveries share the outbox; they are not mail
    .orderBy("created_at", "desc")
    .orderBy("id")
    .limit(DEV_MAILBOX_SHOWN)
    .execute();
  const wanted = to?.toLowerCase();
  return rows
    .map((row) => asMessage(deps, row))
    .filter((m): m is DevMessage => m !== null && (wanted === undefined || m.mail.to.toLowerCase() === wanted));
}

export async function findDevMail(deps: Deps, id: string): Promise<DevMessage | null> {
  const row = await deps.db.kysely
    .selectFrom("outbox")
    .select(["id", "message_id", "payload", "status", "created_at"])
    .where("id", "=", id)
    .where("payload", "is not", null)
    .where("endpoint_id", "is", null)
    .executeTakeFirst();
  return row ? asMessage(deps, row) : null;
}

/** "Delete all": the emails only; anything else queued in the outbox stays. */
export async function deleteAllDevMail(deps: Deps): Promise<number> {
  const ids = (await listDevMail(deps)).map((m) => m.id);
  if (ids.length === 0) return 0;
  const result = await deps.db.kysely.deleteFrom("outbox").where("id", "in", ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The message as SMTP would carry it (RFC 5322, multipart/alternative), built by nodemailer. */
export async function rawMessage(message: DevMessage, from: string): Promise<Buffer> {
  const { mail } = message;
  return new MailComposer({
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: message.messageId,
    date: new Date(message.createdAt),
  })
    .compile()
    .build();
}

/** The top-level header lines of a raw message, unfolded. */
export function headerLines(raw: Buffer): Array<[string, string]> {
  const text = raw.toString("utf8");
  const end = text.indexOf("\r\n\r\n");
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r\n[ \t]+/g, " ");
  return head.split("\r\n").flatMap((line): Array<[string, string]> => {
    const colon = line.indexOf(":");
    return colon > 0 ? [[line.slice(0, colon), line.slice(colon + 1).trim()]] : [];
  });
}

function asMessage(
  deps: Deps,
  row: { id: string; message_id: string; payload: string | null; status: OutboxStatus; created_at: number },
): DevMessage | null {
  let mail: Partial<Mail>;
  try {
    mail = deps.outbox.open(row.payload!) as Partial<Mail>;
  } catch {
    return null;
  }
  if (typeof mail.to !== "string" || typeof mail.subject !== "string" || typeof mail.text !== "string") return null;
  return { id: row.id, messageId: row.message_id, status: row.status, createdAt: row.created_at, mail: mail as Mail };
}
