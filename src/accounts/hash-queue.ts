import { AccountError } from "./errors.ts";

/** How long a hash may wait for a slot before it is refused (503), unless configured otherwise. */
export const DEFAULT_WAIT_BUDGET_MS = 2000;
/** Until the first hash is measured: argon2id here takes 6–20 ms; a high guess admits fewer. */
const FIRST_ESTIMATE_MS = 50;
/**
 * Waiting jobs per slot that are always admitted, whatever the estimate: a handful of sign-ups at
 * once is never refused, even on a machine so busy that each hash takes a few hundred ms.
 */
const ALWAYS_ADMITTED_PER_SLOT = 8;
/** Weight of the newest measurement in the running estimate. */
const SMOOTHING = 0.2;

interface Waiter {
  readonly start: () => void;
  readonly onGone?: () => void;
}

/**
 * At most `concurrency` hashes at once (the libuv pool must keep threads for everything else);
 * the rest wait in order. A request is admitted when its expected wait — the hashes ahead of it
 * times the measured time of one, spread over the slots — fits the budget, or while only a few
 * wait (8 per slot); otherwise it gets a 503 whose Retry-After is that wait. A waiting job whose client has gone (`gone` aborted: the
 * request was closed) leaves the queue at once: it never runs and no longer counts.
 */
export class HashQueue {
  private active = 0;
  private readonly waiting: Waiter[] = [];
  private estimateMs = FIRST_ESTIMATE_MS;

  private readonly alwaysAdmitted: number;
  private readonly now: () => number;

  constructor(
    private readonly concurrency: number,
    private readonly budgetMs = DEFAULT_WAIT_BUDGET_MS,
    options: { alwaysAdmitted?: number; now?: () => number } = {},
  ) {
    this.alwaysAdmitted = options.alwaysAdmitted ?? concurrency * ALWAYS_ADMITTED_PER_SLOT;
    this.now = options.now ?? (() => performance.now());
  }

  /** Jobs waiting for a slot (gone clients' jobs are not among them). */
  get queued(): number {
    return this.waiting.length;
  }

  /** What a job arriving now would wait before it starts, in ms. */
  expectedWaitMs(): number {
    if (this.active < this.concurrency) return 0;
    return ((this.waiting.length + 1) * this.estimateMs) / this.concurrency;
  }

  async run<T>(fn: () => Promise<T>, gone?: AbortSignal): Promise<T> {
    if (gone?.aborted) throw goneError();
    if (this.active < this.concurrency) this.active++;
    else {
      const wait = this.expectedWaitMs();
      if (wait > this.budgetMs && this.waiting.length >= this.alwaysAdmitted) throw new AccountError("unavailable", { retryAfter: Math.ceil(wait / 1000) });
      await this.enqueue(gone); // the slot is handed over by release(); `active` is unchanged
    }
    const started = this.now();
    try {
      return await fn();
    } finally {
      const took = this.now() - started;
      this.estimateMs += SMOOTHING * (took - this.estimateMs);
      this.release();
    }
  }

  private enqueue(gone: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!gone) {
        this.waiting.push({ start: resolve });
        return;
      }
      const waiter: Waiter = {
        start: () => {
          gone.removeEventListener("abort", waiter.onGone!);
          resolve();
        },
        onGone: () => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(goneError());
        },
      };
      gone.addEventListener("abort", waiter.onGone!, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.active--;
  }
}

/** Nobody will read the answer; a 503 ends the request quietly like any refused one. */
function goneError(): AccountError {
  return new AccountError("unavailable", { retryAfter: 1 });
}
