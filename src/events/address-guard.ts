import { lookup } from "node:dns/promises";
import { BlockList, isIPv4, isIPv6 } from "node:net";

/**
 * The SSRF guard of webhook URLs (SPEC §7): the host is resolved and every address it resolves
 * to must be public, unless WEBHOOK_ALLOW_PRIVATE=on. The caller connects to the returned
 * address (never resolving again), so a DNS answer that changes between check and connect
 * (rebinding) cannot reach an internal service.
 */

/**
 * A webhook URL or subscription that is not accepted; the message is one line for the operator,
 * `reason` what a page says in its reader's language.
 */
export class WebhookRefused extends Error {
  constructor(
    message: string,
    readonly reason: "invalid" | "unresolvable" | "private" = "invalid",
  ) {
    super(message);
  }
}

export interface CheckedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

const v4 = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local (cloud metadata lives here)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  v4.addSubnet(net, bits, "ipv4");
}

const v6 = new BlockList();
for (const [net, bits] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
] as const) {
  v6.addSubnet(net, bits, "ipv6");
}

/** The eight 16-bit groups of an IPv6 address (handles `::` and a dotted IPv4 tail). */
function groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split(".").map(Number) as [number, number, number, number];
    text = text.slice(0, -dotted[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (s: string | undefined) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const h = parse(head);
  const t = parse(tail);
  return tail === undefined ? h : [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible or NAT64 (64:ff9b::) one. */
function embeddedV4(address: string): string | undefined {
  const g = groups(address);
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  const mapped = zeros(5) && (g[5] === 0xffff || g[5] === 0);
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if (!mapped && !nat64) return undefined;
  return [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join(".");
}

/** Why an address may not be a webhook target, or undefined when it is public. */
export function privateAddressReason(address: string): string | undefined {
  if (isIPv4(address)) return v4.check(address, "ipv4") ? `${address} is a loopback, private or link-local address` : undefined;
  if (!isIPv6(address)) return `${address} is not an IP address`;
  if (v6.check(address, "ipv6")) return `${address} is a loopback, private or link-local address`;
  const inner = embeddedV4(address);
  if (inner === undefined || privateAddressReason(inner) === undefined) return undefined;
  return `${address} maps to ${inner}, a loopback, private or link-local address`;
}

/** Scheme and form of a webhook URL; throws WebhookRefused with a one-line reason. */
export function parseWebhookUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new WebhookRefused(`"${input}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new WebhookRefused("a webhook URL must start with https:// or http://");
  if (url.username || url.password) throw new WebhookRefused("a webhook URL may not carry credentials (receivers verify the signature instead)");
  return url;
}

/**
 * Resolves the URL's host; every address must pass (a mix of public and private answers is
 * refused), and the first is returned for the connection.
 */
export async function checkAddress(url: URL, allowPrivate: boolean): Promise<CheckedAddress> {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let answers: { address: string; family: number }[];
  try {
    answers = await lookup(host, { all: true, verbatim: true });
  } catch (err) {
    throw new WebhookRefused(`${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? "error"})`, "unresolvable");
  }
  if (answers.length === 0) throw new WebhookRefused(`${host} does not resolve`, "unresolvable");
  if (!allowPrivate) {
    for (const a of answers) {
      const reason = privateAddressReason(a.address);
      if (reason) throw new WebhookRefused(`${host === a.address ? "" : `${host}: `}${reason} (set WEBHOOK_ALLOW_PRIVATE=on to allow it)`, "private");
    }
  }
  const first = answers[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
