import { Client, type Response } from "./client.ts";

/**
 * A browser behind a trusted proxy (start the app with TRUST_PROXY=127.0.0.1): every request it
 * sends carries `X-Forwarded-For: ip`, so the app sees it at that client address.
 */
export class ClientAt extends Client {
  constructor(
    baseUrl: string,
    readonly ip: string,
    readonly extraHeaders: Record<string, string> = {},
  ) {
    super(baseUrl);
  }

  override request(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    return super.request(method, path, { ...init, headers: { "x-forwarded-for": this.ip, ...this.extraHeaders, ...init.headers } });
  }
}

let ipCounter = 0;

/** A client address no other caller in this process got (10.0.0.0/8: private, never routed). */
export function freshIp(): string {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}
