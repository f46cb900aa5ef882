import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
  readonly parsed: ParsedMail;
  readonly raw: string;
}

/**
 * A real SMTP server on 127.0.0.1 that keeps what it receives. `stop()` and `start()` again on
 * the same port simulate an outage.
 */
export class SmtpSink {
  readonly mails: ReceivedMail[] = [];
  private server: SMTPServer | undefined;
  port = 0;
  /** When set, every RCPT is answered with this SMTP error (e.g. 550). */
  rejectWith: { code: number; message: string } | undefined;

  async start(port = this.port): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onRcptTo: (_address, _session, callback) => {
        if (!this.rejectWith) return callback();
        const err = Object.assign(new Error(this.rejectWith.message), { responseCode: this.rejectWith.code });
        callback(err);
      },
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", async () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          const parsed = await simpleParser(raw);
          const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
          this.mails.push({
            to: to ?? "",
            subject: parsed.subject ?? "",
            text: parsed.text ?? "",
            html: typeof parsed.html === "string" ? parsed.html : "",
            messageId: parsed.messageId ?? "",
            parsed,
            raw,
          });
          callback();
        });
      },
    });
    server.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      server.listen(port, "127.0.0.1", () => resolve());
      server.once("error", reject);
    });
    this.server = server;
    this.port = (server as unknown as { server: { address(): { port: number } } }).server.address().port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  to(address: string): ReceivedMail[] {
    return this.mails.filter((m) => m.to.toLowerCase() === address.toLowerCase());
  }

  /** Waits until `count` mails have arrived for `address` (default 1); returns the newest. */
  async waitFor(address: string, count = 1, timeoutMs = 10_000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.to(address);
      if (got.length >= count) return got[got.length - 1]!;
      if (Date.now() > deadline) throw new Error(`timed out waiting for mail #${count} to ${address} (have ${got.length})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** The path of the first link to BASE_URL in a mail's text part, e.g. /confirm/abc… */
export function linkPath(mail: ReceivedMail, baseUrl: string, prefix = "/confirm/"): string {
  const escaped = baseUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`${escaped}(${prefix}[A-Za-z0-9_-]+)`).exec(mail.text);
  if (!match) throw new Error(`no ${prefix} link in mail: ${mail.text}`);
  return match[1]!;
}

/** The confirmation code (ABCD-EFGH) in a mail's text part. */
export function confirmationCode(mail: ReceivedMail): string {
  const match = /code[^:]*:\s*([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(mail.text);
  if (!match) throw new Error(`no code in mail: ${mail.text}`);
  return match[1]!;
}
