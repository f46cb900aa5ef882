import { createHmac, randomBytes } from "node:crypto";

/** Standard Webhooks secrets: `whsec_` + base64 of the key (here 32 random bytes). */
const PREFIX = "whsec_";

export function newSecret(): string {
  return PREFIX + randomBytes(32).toString("base64");
}

/**
 * The `webhook-signature` header of Standard Webhooks: `v1,` + base64 HMAC-SHA256 of
 * `id.timestamp.body`, keyed by the base64-decoded part of the secret after `whsec_`.
 * `timestamp` is in seconds, as sent in `webhook-timestamp`.
 */
export function signature(secret: string, webhookId: string, timestamp: number, body: string): string {
  if (!secret.startsWith(PREFIX)) throw new Error("not a whsec_ secret");
  const key = Buffer.from(secret.slice(PREFIX.length), "base64");
  return "v1," + createHmac("sha256", key).update(`${webhookId}.${timestamp}.${body}`).digest("base64");
}
