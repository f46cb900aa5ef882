import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/argon2";
import { dictionary } from "@zxcvbn-ts/language-common";
import { AccountError } from "./errors.ts";

export const PASSWORD_MAX_LENGTH = 1024;

/** OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane (5.9 ms per hash on the 2-core machine). */
export const ARGON2_PARAMS = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

// ~49k most common passwords from zxcvbn-ts, compared case-insensitively.
const COMMON = new Set((dictionary["passwords-common"] as string[]).map((p) => p.toLowerCase()));

/** NFKC so that the same password typed on different keyboards hashes the same. */
export function normalisePassword(password: string): string {
  return password.normalize("NFKC");
}

/** The product's name: the first word anyone guessing at a Latchkey password tries. */
const PRODUCT_NAME = "latchkey";

/** Letters and digits only, without trailing digits: "Latchkey2026!" → "latchkey". */
function stem(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, "").replace(/\p{N}+$/u, "");
}

/**
 * Context-specific words (ASVS 6.2.11): the product name, the labels of BASE_URL's host and the
 * address's local part. A password that is one of them (any case, give or take digits and
 * symbols around it) is refused; a passphrase that merely contains one is fine.
 */
export function contextWords(email?: string, baseUrl?: string): string[] {
  const words = [PRODUCT_NAME];
  if (baseUrl && URL.canParse(baseUrl)) words.push(...new URL(baseUrl).hostname.split("."));
  if (email) {
    const at = email.lastIndexOf("@");
    words.push(at > 0 ? email.slice(0, at) : email);
  }
  return words.map(stem).filter((w) => /\p{L}/u.test(w) && w.length >= 3);
}

/**
 * Returns the problem with a new password, or undefined when it is acceptable. `baseUrl` (the
 * service's) adds its host's labels to the context-specific words refused.
 */
export function passwordProblem(password: string, minLength: number, email?: string, baseUrl?: string): string | undefined {
  if (typeof password !== "string" || password.length === 0) return "Choose a password.";
  if (!password.isWellFormed()) return "The password contains invalid characters.";
  const p = normalisePassword(password);
  const length = [...p].length;
  if (length < minLength) return `Use at least ${minLength} characters.`;
  if (length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
  const lower = p.toLowerCase();
  if (COMMON.has(lower)) return "That password is too common; choose another.";
  if (email && lower === email.toLowerCase()) return "Do not use your email address as the password.";
  if (contextWords(email, baseUrl).includes(stem(p))) return "That password is too easy to guess here (the service's or your own name); choose another.";
  return undefined;
}

/** Password hashing behind a small semaphore, so hashes never take every libuv thread. */
export interface Hasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  needsRehash(hash: string): boolean;
  /** Burns one verify's worth of time, for unknown accounts (no timing oracle). */
  verifyDummy(password: string): Promise<false>;
}

export function createHasher(opts: { concurrency?: number; maxQueue?: number } = {}): Hasher {
  const concurrency = opts.concurrency ?? Math.max(1, availableParallelism());
  // Bounded: under a flood, excess hash work is refused (503) instead of queueing without end.
  const limit = new Semaphore(concurrency, opts.maxQueue ?? concurrency * 32);
  let dummy: Promise<string> | undefined;
  const run = <T>(fn: () => Promise<T>) => limit.run(fn);
  const hasher: Hasher = {
    hash: (password) => run(() => hash(normalisePassword(password), ARGON2_PARAMS)),
    verify: (h, password) =>
      run(async () => {
        try {
          return await verify(h, normalisePassword(password));
        } catch {
          return false;
        }
      }),
    needsRehash: (h) => {
      const { memoryCost, timeCost, parallelism } = ARGON2_PARAMS;
      return !h.startsWith(`$argon2id$v=19$m=${memoryCost},t=${timeCost},p=${parallelism}$`);
    },
    verifyDummy: async (password) => {
      // Not cached when refused (full queue): a rejected promise would 503 every unknown email.
      dummy ??= hasher.hash("latchkey dummy password for timing").catch((err: unknown) => {
        dummy = undefined;
        throw err;
      });
      await hasher.verify(await dummy, password);
      return false;
    },
  };
  return hasher;
}

export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(
    private readonly max: number,
    private readonly maxQueue = Infinity,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) {
      if (this.waiting.length >= this.maxQueue) throw new AccountError("unavailable", { retryAfter: 1 });
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
