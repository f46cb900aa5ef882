import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

export interface Delivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, string>;
}

/**
 * A real HTTP receiver on 127.0.0.1:0 (or a given port) that records every POST and answers
 * with `status()` (200 unless told otherwise).
 */
export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  status: (delivery: Delivery) => number = () => 200;
  /** Sent as `Location` with every answer (for redirect tests). */
  location: string | undefined;
  private server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        let parsed: { type?: string; data?: Record<string, string> } = {};
        try {
          parsed = JSON.parse(body) as typeof parsed;
        } catch {}
        const d = { headers: req.headers, body, id: String(req.headers["webhook-id"]), type: parsed.type ?? "", data: parsed.data ?? {} };
        this.deliveries.push(d);
        res.writeHead(this.status(d), this.location ? { location: this.location } : {}).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  types(): string[] {
    return this.deliveries.map((d) => d.type);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * Standard Webhooks verification written out independently of src/: HMAC-SHA256 over
 * `id.timestamp.body`, keyed by the base64 after `whsec_`, compared with every `v1,` entry.
 */
export function signatureValid(secret: string, d: Delivery): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${d.headers["webhook-id"]}.${d.headers["webhook-timestamp"]}.${d.body}`).digest("base64");
  return String(d.headers["webhook-signature"]).split(" ").includes(`v1,${expected}`);
}

export async function until(check: () => boolean | Promise<boolean>, what: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
