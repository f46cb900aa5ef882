import type { Deps } from "../accounts/deps.ts";
import { WebhookRefused } from "./address-guard.ts";
import { addEndpoint, listEndpoints, removeEndpoint } from "./endpoints.ts";

/**
 * `latchkey webhooks add URL [--events a,b] | list | remove ID`: returns what to print, or
 * undefined for a usage error. A refused URL or event name throws WebhookRefused (one line).
 */
export async function webhooksCommand(deps: Deps, args: string[], events: string | undefined): Promise<string | undefined> {
  const [action, arg, ...extra] = args;
  if (extra.length > 0) return undefined;
  if (action === "add" && arg) {
    const now = deps.clock.now();
    const added = await addEndpoint({ db: deps.db, key: deps.keys.webhook, allowPrivate: deps.config.webhookAllowPrivate, now }, { url: arg, events });
    return [
      `added webhook endpoint ${added.id}`,
      `  url:    ${added.url}`,
      `  events: ${added.events?.join(", ") ?? "all"}`,
      `  secret: ${added.secret}`,
      "The secret is shown only this once: give it to the receiver, which verifies each signature with it.",
    ].join("\n");
  }
  if (action === "list" && !arg && events === undefined) {
    const endpoints = await listEndpoints(deps.db);
    if (endpoints.length === 0) return "no webhook endpoints";
    return endpoints.map((e) => `${e.id}  ${e.url}  ${e.events?.join(",") ?? "all events"}  (added ${new Date(e.createdAt).toISOString()})`).join("\n");
  }
  if (action === "remove" && arg && events === undefined) {
    if (!(await removeEndpoint(deps.db, arg))) throw new WebhookRefused(`no webhook endpoint ${arg}`);
    return `removed webhook endpoint ${arg}`;
  }
  return undefined;
}
