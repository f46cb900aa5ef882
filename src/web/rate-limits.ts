import { createHash } from "node:crypto";
import type { RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";
import { parseEmail } from "../accounts/email-address.ts";
import { AccountError } from "../accounts/errors.ts";
import type { Db } from "../db/index.ts";
import { createLimiterStore } from "../db/rate-limit-store.ts";

/** Points per window (seconds). Checked before any password hash: a refused request is cheap. */
export const DEFAULT_RULES = {
  login_ip_account: { points: 10, duration: 60 },
  login_ip: { points: 30, duration: 60 },
  register_ip: { points: 10, duration: 3600 },
  forgot_account: { points: 5, duration: 3600 },
  forgot_ip: { points: 20, duration: 3600 },
  resend_account: { points: 5, duration: 86400 },
  code_ip: { points: 30, duration: 3600 },
  /** Email-change requests per account, and links to one address from any account (issue 18). */
  email_change_account: { points: 5, duration: 86400 },
  mail_target: { points: 5, duration: 86400 },
} as const;

export type Rule = keyof typeof DEFAULT_RULES;
export type Rules = Record<Rule, { points: number; duration: number }>;

/** Failed sign-ins per account before back-off starts; the back-off doubles up to the cap. */
export const FAILURES_BEFORE_BACKOFF = 5;
export const MAX_BACKOFF_SECONDS = 15 * 60;

export interface RateLimits {
  /** Takes one point from each (rule, key); over any limit → rate_limited with Retry-After. */
  hit(checks: ReadonlyArray<readonly [Rule, string]>): Promise<void>;
  /** Like hit, but only looks: for limits that count successes, not attempts. */
  check(rule: Rule, key: string): Promise<void>;
  /** Throws rate_limited while the account is backing off after failed sign-ins. */
  assertNotBackingOff(account: string): Promise<void>;
  signInFailed(account: string): Promise<void>;
  /** A successful sign-in or password reset clears the account's failures. */
  signInSucceeded(account: string): Promise<void>;
}

/** Keys for an address as typed: its canonical form when it parses, else the trimmed lower-case text. */
export function accountKey(emailInput: string): string {
  const email = parseEmail(emailInput);
  return typeof email === "string" ? emailInput.trim().toLowerCase().slice(0, 320) : email.canonical;
}

/**
 * Counter keys stay short: the PostgreSQL store keeps them in a varchar(255) (an address of 254
 * characters plus prefix and IP would fail the query → 500). Long keys become their SHA-256.
 */
function boundedKey(key: string): string {
  return key.length <= 160 ? key : `sha256:${createHash("sha256").update(key).digest("base64url")}`;
}

const isLimiterRes = (x: unknown): x is RateLimiterRes => typeof x === "object" && x !== null && "msBeforeNext" in x && !(x instanceof Error);

function limited(ms: number): AccountError {
  return new AccountError("rate_limited", { retryAfter: Math.max(1, Math.ceil(ms / 1000)) });
}

export const NO_LIMITS: RateLimits = {
  hit: async () => {},
  check: async () => {},
  assertNotBackingOff: async () => {},
  signInFailed: async () => {},
  signInSucceeded: async () => {},
};

export function createRateLimits(db: Db, rules: Rules = DEFAULT_RULES): RateLimits {
  const limiters = Object.fromEntries(
    Object.entries(rules).map(([name, r]) => [name, createLimiterStore(db, { keyPrefix: `rl_${name}`, ...r })]),
  ) as Record<Rule, RateLimiterAbstract>;
  const failures = createLimiterStore(db, { keyPrefix: "rl_signin_failures", points: 1_000_000, duration: 24 * 3600 });
  const backoff = createLimiterStore(db, { keyPrefix: "rl_signin_backoff", points: 1, duration: MAX_BACKOFF_SECONDS });

  return {
    async hit(checks) {
      let wait = 0;
      for (const [rule, key] of checks) {
        try {
          await limiters[rule].consume(boundedKey(key));
        } catch (err) {
          if (!isLimiterRes(err)) throw err;
          wait = Math.max(wait, err.msBeforeNext);
        }
      }
      if (wait > 0) throw limited(wait);
    },
    async check(rule, key) {
      const res = await limiters[rule].get(boundedKey(key));
      if (res && res.consumedPoints >= rules[rule].points) throw limited(res.msBeforeNext);
    },
    async assertNotBackingOff(account) {
      const res = await backoff.get(boundedKey(account));
      if (res && res.consumedPoints > 1 && res.msBeforeNext > 0) throw limited(res.msBeforeNext);
    },
    async signInFailed(account) {
      const key = boundedKey(account);
      const res = await failures.penalty(key);
      const over = res.consumedPoints - FAILURES_BEFORE_BACKOFF;
      if (over >= 0) await backoff.block(key, Math.min(MAX_BACKOFF_SECONDS, 2 ** over));
    },
    async signInSucceeded(account) {
      await Promise.all([failures.delete(boundedKey(account)), backoff.delete(boundedKey(account))]);
    },
  };
}
