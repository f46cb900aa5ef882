import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { LOCALES, type Locale } from "./i18n/index.ts";

/** One frozen, typed view of the environment. Built once in cli.ts / tests, passed down. */
export interface Config {
  readonly nodeEnv: string;
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  /** Origin for every link in an email; never derived from request headers. No trailing slash. */
  readonly baseUrl: string;
  readonly secureCookies: boolean;
  readonly databaseUrl: string;
  readonly secretKey: string;
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly confirmTokenTtl: number;
  readonly resetTokenTtl: number;
  readonly emailChangeTokenTtl: number;
  readonly sessionIdleTtl: number;
  readonly sessionAbsoluteTtl: number;
  readonly passwordMinLength: number;
  readonly trustProxy: string[];
  readonly rateLimits: boolean;
  readonly logLevel: string;
  /** On SIGTERM, in-flight requests and the worker's batch get this many seconds to finish. */
  readonly shutdownGrace: number;
  /** auth_events older than this many days are pruned. */
  readonly auditRetentionDays: number;
  /** How long a worker's claim on a batch of mail lasts; a dead worker's batch is re-sent after this. */
  readonly outboxLeaseSeconds: number;
  /** Seconds after which a never-confirmed account is deleted; 0 never (SPEC §2, §10). */
  readonly unconfirmedAccountTtl: number;
  /** The dev mailbox is on when there is no SMTP server and this is not production. */
  readonly devMailbox: boolean;
  /** FORWARD_AUTH=on: the reverse-proxy verify routes (SPEC §7) answer; else they are 404. */
  readonly forwardAuth: boolean;
  /** REDIRECT_HOSTS: hosts besides BASE_URL's that `next` and protected URLs may name. */
  readonly redirectHosts: readonly RedirectHost[];
  /** COOKIE_DOMAIN: the session cookie's Domain (lower-case, no leading dot), or none (host-only). */
  readonly cookieDomain: string | undefined;
  /** The session cookie's full name, prefix included (`__Host-session`, `__Secure-x`, `session`). */
  readonly sessionCookie: string;
  /** WEBHOOK_ALLOW_PRIVATE=on: webhook URLs may resolve to loopback/private addresses (development, tests). */
  readonly webhookAllowPrivate: boolean;
  /** Seconds a sign-in or re-authentication counts as fresh for sensitive changes (SPEC §9). */
  readonly reauthTtl: number;
  /** Passkey relying party: null when BASE_URL's host is an IP address (passkeys off). */
  readonly webauthnRpId: string | null;
  readonly webauthnRpName: string;
  /** DEFAULT_LOCALE: the language when nothing else names a supported one (SPEC §8). */
  readonly defaultLocale: Locale;
}

/** A REDIRECT_HOSTS entry: `host[:port]`, or `.suffix[:port]` for every subdomain of suffix. */
export interface RedirectHost {
  readonly host: string;
  /** null: only the scheme's default port. */
  readonly port: string | null;
  readonly subdomains: boolean;
}

/** A bad variable: the message is the one line printed at start-up. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`invalid configuration: ${variable} ${problem}`);
  }
}

const ttl = z.coerce.number().int().positive();

const schema = z.object({
  NODE_ENV: z.string().default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, "must be sqlite:PATH, sqlite::memory: or postgres://…")
    .default("sqlite:./data/latchkey.db"),
  SECRET_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_FROM: z.string().min(3).default("Latchkey <no-reply@localhost>"),
  CONFIRM_TOKEN_TTL: ttl.default(86400),
  RESET_TOKEN_TTL: ttl.default(3600),
  EMAIL_CHANGE_TOKEN_TTL: ttl.default(3600),
  SESSION_IDLE_TTL: ttl.default(604800),
  SESSION_ABSOLUTE_TTL: ttl.default(2592000),
  PASSWORD_MIN_LENGTH: z.coerce.number().int().min(1).max(1024).default(8),
  TRUST_PROXY: z.string().optional(),
  RATE_LIMITS: z.enum(["on", "off"]).default("on"),
  AUDIT_RETENTION_DAYS: ttl.default(180),
  SHUTDOWN_GRACE: ttl.default(10),
  OUTBOX_LEASE_SECONDS: ttl.default(60),
  FORWARD_AUTH: z.enum(["on", "off"]).default("off"),
  REDIRECT_HOSTS: z.string().optional(),
  COOKIE_DOMAIN: z.string().optional(),
  SESSION_COOKIE_NAME: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be letters, digits, '_', '-' or '.'").optional(),
  WEBHOOK_ALLOW_PRIVATE: z.enum(["on", "off"]).default("off"),
  REAUTH_TTL: ttl.default(300),
  WEBAUTHN_RP_ID: z.string().min(1).optional(),
  WEBAUTHN_RP_NAME: z.string().min(1).default("Latchkey"),
  UNCONFIRMED_ACCOUNT_TTL: z.coerce.number().int().nonnegative().default(604800),
  DEFAULT_LOCALE: z.enum(LOCALES, { error: `must be one of ${LOCALES.join(", ")}` }).default("en"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Env = Record<string, string | undefined>;

/** Reads `.env` (if present) into process.env without overriding what is already set. */
export function loadDotEnv(path = ".env"): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

export function loadConfig(env: Env = process.env): Config {
  // Empty strings count as unset, so `SMTP_URL=` in a .env file means "no SMTP".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0]), `is invalid: ${issue.message}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === "production";
  const baseUrl = (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "");
  const trustProxy = (e.TRUST_PROXY ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (e.SESSION_IDLE_TTL > e.SESSION_ABSOLUTE_TTL) {
    throw new ConfigError("SESSION_IDLE_TTL", "must not exceed SESSION_ABSOLUTE_TTL");
  }
  const cookieDomain = parseCookieDomain(e.COOKIE_DOMAIN, baseUrl);
  const secureCookies = baseUrl.startsWith("https:");
  const sessionName = e.SESSION_COOKIE_NAME ?? "session";
  if (/^__(host|secure)-/i.test(sessionName)) throw new ConfigError("SESSION_COOKIE_NAME", "must not carry a __Host-/__Secure- prefix (it is added on https)");
  let secretKey = e.SECRET_KEY;
  if (!secretKey) {
    if (production) throw new ConfigError("SECRET_KEY", "is required when NODE_ENV=production");
    secretKey = devSecretKey(e.DATABASE_URL);
  }
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    production,
    port: e.PORT,
    host: e.HOST,
    baseUrl,
    secureCookies,
    databaseUrl: e.DATABASE_URL,
    secretKey,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    confirmTokenTtl: e.CONFIRM_TOKEN_TTL,
    resetTokenTtl: e.RESET_TOKEN_TTL,
    emailChangeTokenTtl: e.EMAIL_CHANGE_TOKEN_TTL,
    sessionIdleTtl: e.SESSION_IDLE_TTL,
    sessionAbsoluteTtl: e.SESSION_ABSOLUTE_TTL,
    passwordMinLength: e.PASSWORD_MIN_LENGTH,
    trustProxy,
    rateLimits: e.RATE_LIMITS === "on",
    logLevel: e.LOG_LEVEL,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    shutdownGrace: e.SHUTDOWN_GRACE,
    outboxLeaseSeconds: e.OUTBOX_LEASE_SECONDS,
    unconfirmedAccountTtl: e.UNCONFIRMED_ACCOUNT_TTL,
    devMailbox: !e.SMTP_URL && !production,
    forwardAuth: e.FORWARD_AUTH === "on",
    redirectHosts: Object.freeze((e.REDIRECT_HOSTS ?? "").split(",").map((s) => s.trim()).filter(Boolean).map(parseRedirectHost)),
    cookieDomain,
    // A cookie with a Domain cannot be __Host- (that prefix forbids Domain): __Secure- then.
    sessionCookie: secureCookies ? `${cookieDomain ? "__Secure-" : "__Host-"}${sessionName}` : sessionName,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE === "on",
    reauthTtl: e.REAUTH_TTL,
    webauthnRpId: rpId(e.WEBAUTHN_RP_ID, baseUrl),
    webauthnRpName: e.WEBAUTHN_RP_NAME,
    defaultLocale: e.DEFAULT_LOCALE,
  });
}

/** `app.example.com`, `.example.com` (subdomains only), `localhost:8080`: lower-cased, IDNA-encoded. */
function parseRedirectHost(entry: string): RedirectHost {
  const subdomains = entry.startsWith(".");
  const url = URL.parse(`http://${subdomains ? entry.slice(1) : entry}`);
  const port = /:(\d+)$/.exec(entry)?.[1] ?? null;
  if (!url || url.username || url.password || url.pathname !== "/" || url.search || url.hash || !url.hostname || entry.endsWith(":")) {
    throw new ConfigError("REDIRECT_HOSTS", `has an entry that is not host[:port] or .domain[:port]: ${JSON.stringify(entry)}`);
  }
  return { host: url.hostname, port: port === null ? null : String(Number(port)), subdomains };
}

/** The host of BASE_URL or a parent of it; never an IP address (a browser would not share it). */
function parseCookieDomain(value: string | undefined, baseUrl: string): string | undefined {
  if (value === undefined) return undefined;
  const domain = value.trim().toLowerCase().replace(/^\./, "");
  const host = new URL(baseUrl).hostname;
  if (!domain || isIP(domain.replace(/^\[|\]$/g, "")) || isIP(host.replace(/^\[|\]$/g, "")) || !/^[a-z0-9.-]+$/.test(domain) || !domain.includes(".") && domain !== host) {
    throw new ConfigError("COOKIE_DOMAIN", "must be a domain name (never an IP address) that is BASE_URL's host or a parent of it");
  }
  if (host !== domain && !host.endsWith(`.${domain}`)) {
    throw new ConfigError("COOKIE_DOMAIN", `must be BASE_URL's host (${host}) or a parent of it`);
  }
  return domain;
}

/**
 * The passkey relying party: WEBAUTHN_RP_ID, else BASE_URL's host. An IP address cannot be one
 * (browsers refuse it), so then passkeys are off (null) and server.ts logs one warning. An RP ID
 * that is not BASE_URL's host or a parent of it could never work: that stops start-up.
 */
function rpId(configured: string | undefined, baseUrl: string): string | null {
  const host = new URL(baseUrl).hostname;
  const id = (configured ?? host).toLowerCase();
  if (/^[\d.]+$/.test(id) || id.includes(":") || id.startsWith("[")) return null;
  if (host !== id && !host.endsWith(`.${id}`)) throw new ConfigError("WEBAUTHN_RP_ID", `must be the host of BASE_URL (${host}) or a parent domain of it`);
  return id;
}

/**
 * Development only: a key generated once and kept beside the SQLite file (or in ./data),
 * so sessions and queued mail survive restarts without any set-up.
 */
function devSecretKey(databaseUrl: string): string {
  const sqlitePath = databaseUrl.startsWith("sqlite:") ? databaseUrl.slice("sqlite:".length) : "";
  const dir = sqlitePath && sqlitePath !== ":memory:" ? dirname(resolve(sqlitePath)) : resolve("data");
  const file = join(dir, "secret-key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dir, { recursive: true });
  const key = randomBytes(32).toString("base64url");
  writeFileSync(file, key + "\n", { mode: 0o600, flag: "wx" });
  return key;
}
