import nodemailer from "nodemailer";
import type { Mail } from "./message.tsx";

export interface Transport {
  send(mail: Mail, messageId: string): Promise<void>;
  /**
   * The dev mailbox keeps delivered messages (still sealed) so /dev/mail can show them;
   * a real SMTP transport has the body erased once the server accepted it.
   */
  readonly keepsDelivered: boolean;
  close(): void;
}

export interface TransportLog {
  info(obj: object, msg: string): void;
}

/** Pooled SMTP: a handful of kept-open connections, each reused for many messages. */
export function smtpTransport(url: string, from: string): Transport {
  const transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: 5,
    maxMessages: 1000,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    keepsDelivered: false,
    async send(mail, messageId) {
      await transporter.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId });
    },
    close: () => transporter.close(),
  };
}

/**
 * No SMTP configured (development): messages stay readable at /dev/mail. The log says only that
 * one arrived: its links carry live tokens, and logs never do (SPEC §2; issue 18.8).
 */
export function devMailboxTransport(log: TransportLog): Transport {
  return {
    keepsDelivered: true,
    async send(mail) {
      log.info({ kind: mail.kind }, "dev mailbox: message delivered (see /dev/mail)");
    },
    close: () => {},
  };
}

/** SMTP 5xx replies are permanent; connection errors and 4xx are worth retrying. */
export function isPermanentFailure(err: unknown): boolean {
  const code = (err as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === "number" && code >= 500 && code < 600;
}
