/**
 * A lean SMTP server for the bench, in the runner's process (not the server's or the worker's):
 * it counts what arrives and keeps the raw text only of mail to the addresses it was asked to
 * watch (test/helpers' SmtpSink parses every message, which would cost CPU under load).
 */
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export class BenchSink {
  count = 0;
  firstAt = 0;
  lastAt = 0;
  port = 0;
  private readonly watched = new Map<string, string[]>();
  private server: SMTPServer | undefined;

  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      // Above smtp-server's default of 100 parallel connections, which a 50-connection flood exceeds.
      maxClients: 1000,
      onData: (stream, session, callback) => {
        const watched = session.envelope.rcptTo.map((r) => this.watched.get(r.address.toLowerCase())).find((w) => w);
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => {
          if (watched) chunks.push(c);
        });
        stream.on("end", () => {
          if (watched) watched.push(Buffer.concat(chunks).toString("utf8"));
          const now = performance.now();
          if (this.count === 0) this.firstAt = now;
          this.lastAt = now;
          this.count++;
          callback();
        });
      },
    });
    server.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      server.listen(0, "127.0.0.1", () => resolve());
      server.once("error", reject);
    });
    this.server = server;
    this.port = (server as unknown as { server: { address(): { port: number } } }).server.address().port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  watch(address: string): void {
    this.watched.set(address.toLowerCase(), []);
  }

  reset(): void {
    this.count = 0;
    this.firstAt = 0;
    this.lastAt = 0;
  }

  /** The text part of the newest mail to a watched address, waiting for it if need be. */
  async textTo(address: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const raw = this.watched.get(address.toLowerCase())?.at(-1);
      if (raw) return (await simpleParser(raw)).text ?? "";
      if (Date.now() > deadline) throw new Error(`no mail to ${address} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async waitForCount(n: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.count < n) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
