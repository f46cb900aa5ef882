import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import type { Db } from "../db/index.ts";
import type { OutboxRow } from "../db/schema.ts";
import { checkAddress, type CheckedAddress } from "../events/address-guard.ts";
import { endpointForDelivery } from "../events/endpoints.ts";
import { signature } from "../events/signing.ts";

/** SPEC §7: after a failed attempt, the next one comes this long after it; then it is given up. */
export const WEBHOOK_RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] as const;

/** When to try again after `attempts` failed attempts, or null to give up (8 attempts in all). */
export function webhookRetryAt(attempts: number, now: number): number | null {
  const delay = WEBHOOK_RETRY_DELAYS_MS[attempts - 1];
  return delay === undefined ? null : now + delay;
}

/** The whole exchange (connect, send, status line) must fit in this. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** A delivery that cannot succeed by retrying (its endpoint was removed). */
export class WebhookGone extends Error {}

export interface WebhookSender {
  /** POSTs the row's event to its endpoint; resolves on a 2xx, throws otherwise. */
  send(row: OutboxRow, now: number): Promise<void>;
}

/**
 * Standard Webhooks delivery: the stored body, signed at send time (`webhook-timestamp` is the
 * attempt's, so receivers' replay windows hold for retries), the row's fixed `webhook-id`.
 * The host is checked by the SSRF guard again and the connection goes to the address checked;
 * 10 s for the whole exchange; a redirect is a failure, never followed.
 */
export function webhookSender(deps: { db: Db; key: Buffer; allowPrivate: boolean }): WebhookSender {
  return {
    async send(row, now) {
      const endpoint = row.endpoint_id === null ? undefined : await endpointForDelivery(deps.db, deps.key, row.endpoint_id);
      if (!endpoint) throw new WebhookGone("endpoint removed");
      const body = row.payload ?? "";
      const timestamp = Math.floor(now / 1000);
      const headers = {
        "content-type": "application/json",
        "user-agent": "Latchkey-Webhooks/1",
        "webhook-id": row.message_id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signature(endpoint.secret, row.message_id, timestamp, body),
      };
      const target = await checkAddress(endpoint.url, deps.allowPrivate);
      const status = await post(endpoint.url, target, headers, body);
      if (status < 200 || status > 299) throw new Error(`receiver answered ${status}`);
    },
  };
}

/** One POST to `address` (no DNS lookup of our own making: `lookup` hands back the checked address). */
function post(url: URL, target: CheckedAddress, headers: Record<string, string>, body: string): Promise<number> {
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, lookup, agent: false });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`)), WEBHOOK_TIMEOUT_MS);
    req.on("response", (res: IncomingMessage) => {
      clearTimeout(timer);
      res.resume(); // the body is not read; the status is the answer
      res.on("error", () => {});
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}
