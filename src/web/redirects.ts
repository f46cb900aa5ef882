import type { Config, RedirectHost } from "../config.ts";

/**
 * The one place that decides whether a `next` may be followed (SPEC §7), and whether a URL a
 * reverse proxy asks about lies on a host Latchkey guards. Every redirect target Latchkey
 * builds from request input goes through `safeNext`.
 */

const NEXT_MAX = 2048;
/** Raw control characters, space, backslash: a browser would silently drop or "fix" them. */
const UNSAFE_CHAR = /[\x00-\x20\x7f\\]/;
/** The same characters percent-encoded (`%09`, `%5C`): one more decoding downstream turns them back. */
const UNSAFE_ENCODED = /%(?:[01][0-9a-f]|7f|5c)/i;
/** An encoded slash in a relative path: `/%2F%2Fevil` becomes `//evil` when decoded once more. */
const ENCODED_SLASH = /%2f/i;
const ABSOLUTE = /^https?:\/\//i;

const DEFAULT_PORT: Record<string, string> = { "http:": "80", "https:": "443" };

/** `next` as given → a same-origin path (`/x?y#z`) or an allowed absolute URL; anything else → `/`. */
export function safeNext(config: Pick<Config, "baseUrl" | "redirectHosts">, next: unknown): string {
  if (typeof next !== "string" || next.length === 0 || next.length > NEXT_MAX) return "/";
  if (UNSAFE_CHAR.test(next) || UNSAFE_ENCODED.test(next)) return "/";
  if (next.startsWith("/")) return relative(next);
  if (!ABSOLUTE.test(next)) return "/"; // javascript:, data:, "evil.test", "http:evil.test", …
  const url = URL.parse(next);
  if (!url || url.protocol !== baseOf(config).protocol || !guardedHost(config, url)) return "/";
  return url.href;
}

/**
 * Whether an absolute URL's `host[:port]` is BASE_URL's or matches REDIRECT_HOSTS, with no
 * userinfo. An entry without a port matches only the scheme's default port; `.example.com`
 * matches every subdomain, never `example.com` itself.
 */
export function guardedHost(config: Pick<Config, "baseUrl" | "redirectHosts">, url: URL): boolean {
  if (url.username || url.password || !DEFAULT_PORT[url.protocol]) return false;
  const port = url.port || DEFAULT_PORT[url.protocol]!;
  const base = baseOf(config);
  if (url.hostname === base.hostname && port === (base.port || DEFAULT_PORT[base.protocol])) return true;
  return config.redirectHosts.some((entry) => matches(entry, url.hostname, port, url.protocol));
}

const bases = new WeakMap<object, URL>();
function baseOf(config: Pick<Config, "baseUrl">): URL {
  let base = bases.get(config);
  if (!base) bases.set(config, (base = new URL(config.baseUrl)));
  return base;
}

function matches(entry: RedirectHost, host: string, port: string, protocol: string): boolean {
  if (port !== (entry.port ?? DEFAULT_PORT[protocol])) return false;
  return entry.subdomains ? host.endsWith(`.${entry.host}`) : host === entry.host;
}

function relative(next: string): string {
  if (next.startsWith("//")) return "/";
  if (ENCODED_SLASH.test(next.split(/[?#]/, 1)[0]!)) return "/";
  const url = URL.parse(next, "http://latchkey.invalid");
  if (!url || url.origin !== "http://latchkey.invalid") return "/";
  // Dot segments can normalise into a protocol-relative URL ("/.//evil" → "//evil"): check the result too.
  if (url.pathname.startsWith("//")) return "/";
  return url.pathname + url.search + url.hash;
}

/** `/login?next=…` (or another page of ours that takes `next`); just the page when next is `/`. */
export function withNext(path: string, next: string): string {
  return next === "/" ? path : `${path}?next=${encodeURIComponent(next)}`;
}
