import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/argon2";
import { dictionary } from "@zxcvbn-ts/language-common";
import { HashQueue } from "./hash-queue.ts";

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

/** Password hashing behind a HashQueue, so hashes never take every libuv thread nor queue without end. */
export interface Hasher {
  /** `gone` aborts when the client has left: a hash still waiting for a slot is then dropped. */
  hash(password: string, gone?: AbortSignal): Promise<string>;
  verify(hash: string, password: string, gone?: AbortSignal): Promise<boolean>;
  needsRehash(hash: string): boolean;
  /** Burns one verify's worth of time, for unknown accounts (no timing oracle). */
  verifyDummy(password: string, gone?: AbortSignal): Promise<false>;
}

export interface HasherOptions {
  /** Hashes at once; default: the number of cores. */
  readonly concurrency?: number;
  /** The longest expected wait for a slot that is still admitted (ms); default 2 s. */
  readonly waitBudgetMs?: number;
  /** Waiting hashes admitted whatever their expected wait; default 8 per slot. */
  readonly alwaysAdmitted?: number;
  /** Share a queue (tests hold a slot of it). */
  readonly queue?: HashQueue;
}

export function createHasher(opts: HasherOptions = {}): Hasher {
  // Bounded by time: under a flood, hash work that could not start within the budget is refused
  // (503) instead of queueing without end; work of clients that left is dropped (hash-queue.ts).
  const queue =
    opts.queue ??
    new HashQueue(opts.concurrency ?? Math.max(1, availableParallelism()), opts.waitBudgetMs, { alwaysAdmitted: opts.alwaysAdmitted });
  let dummy: Promise<string> | undefined;
  const hasher: Hasher = {
    hash: (password, gone) => queue.run(() => hash(normalisePassword(password), ARGON2_PARAMS), gone),
    verify: (h, password, gone) =>
      queue.run(async () => {
        try {
          return await verify(h, normalisePassword(password));
        } catch {
          return false;
        }
      }, gone),
    needsRehash: (h) => {
      const { memoryCost, timeCost, parallelism } = ARGON2_PARAMS;
      return !h.startsWith(`$argon2id$v=19$m=${memoryCost},t=${timeCost},p=${parallelism}$`);
    },
    verifyDummy: async (password, gone) => {
      // Not cached when refused (full queue): a rejected promise would 503 every unknown email.
      dummy ??= hasher.hash("latchkey dummy password for timing").catch((err: unknown) => {
        dummy = undefined;
        throw err;
      });
      await hasher.verify(await dummy, password, gone);
      return false;
    },
  };
  return hasher;
}
