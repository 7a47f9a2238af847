import { setTimeout as delay } from 'node:timers/promises';
import type { Context } from 'aws-lambda';
import type { RetryPolicy } from '../adapters/aws/retry.js';
import { TransientFailureError } from '../domain/errors.js';

/** Share of the worker's timeout kept back: no chunk starts with less than this (plus the longest chunk) left. */
const RESERVE_SHARE = 0.2;
const MIN_RESERVE_MS = 1_000;
const MAX_RESERVE_MS = 60_000;
/** Share of the timeout in which no retry wait may end: the time to answer with the batch item failures. */
const FINAL_GUARD_SHARE = 0.05;
const MIN_FINAL_GUARD_MS = 250;
const MAX_FINAL_GUARD_MS = 10_000;
/** The adapters' own defaults (`DEFAULT_RETRY_POLICY`), which a long enough timeout keeps. */
const BASE_DELAY_MS = 50;
const MAX_DELAY_MS = 5_000;
const MAX_ATTEMPTS = 8;

/** How the worker keeps within its timeout, computed from it ({@link workerTimeBudget}). */
export interface WorkerTimeBudget {
  readonly timeoutMs: number;
  /** A chunk is started only with at least this much time left, plus the longest chunk seen in the invocation. */
  readonly reserveMs: number;
  /** A retry wait that would end with less than this left is not made: the call fails, the chunk is returned. */
  readonly finalGuardMs: number;
  /** The adapters' retry policy: the waits of one call add up to at most half the reserve. */
  readonly retry: Pick<RetryPolicy, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>;
  /** The most one call can wait between its attempts under `retry`. */
  readonly worstCaseRetryWaitMs: number;
}

/** The longest a call can wait in all with this policy: the ceiling of each backoff before its last attempt. */
export function worstCaseRetryWaitMs(retry: Pick<RetryPolicy, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>): number {
  let total = 0;
  for (let retryIndex = 0; retryIndex < retry.maxAttempts - 1; retryIndex += 1) {
    total += Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** retryIndex);
  }
  return total;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/**
 * The worker's time budget for a function timeout of `timeoutMs`: a fifth of it (1 to 60 s, at most half) is kept
 * back so chunks are not started that cannot finish, and the retry policy is cut (fewer attempts, shorter waits)
 * until one call's waits fit in half that reserve. With the default 120 s timeout that is a 24 s reserve and the
 * adapters' usual 8 attempts with waits up to 5 s (6.35 s at most in all).
 */
export function workerTimeBudget(timeoutMs: number): WorkerTimeBudget {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
  const reserveMs = Math.floor(Math.min(timeoutMs / 2, clamp(timeoutMs * RESERVE_SHARE, MIN_RESERVE_MS, MAX_RESERVE_MS)));
  const finalGuardMs = Math.floor(Math.min(reserveMs / 2, clamp(timeoutMs * FINAL_GUARD_SHARE, MIN_FINAL_GUARD_MS, MAX_FINAL_GUARD_MS)));
  const maxDelayMs = Math.max(BASE_DELAY_MS, Math.min(MAX_DELAY_MS, Math.floor(reserveMs / 4)));
  let maxAttempts = MAX_ATTEMPTS;
  while (maxAttempts > 1 && worstCaseRetryWaitMs({ maxAttempts, baseDelayMs: BASE_DELAY_MS, maxDelayMs }) > reserveMs / 2) maxAttempts -= 1;
  const retry = { maxAttempts, baseDelayMs: BASE_DELAY_MS, maxDelayMs };
  return { timeoutMs, reserveMs, finalGuardMs, retry, worstCaseRetryWaitMs: worstCaseRetryWaitMs(retry) };
}

/**
 * The current invocation's deadline, shared by the handler (which sets it as each invocation starts) and the
 * adapters' retry waits (which are refused when they would end inside the final guard). Lambda runs one
 * invocation at a time per execution environment, so one instance per cold start is enough.
 */
export class InvocationDeadline {
  private remaining: (() => number) | undefined;

  constructor(
    private readonly finalGuardMs: number,
    private readonly wait: (ms: number) => Promise<unknown> = (ms) => delay(ms),
  ) {}

  /** Starts tracking an invocation (no context: no deadline, as locally). */
  begin(context: Pick<Context, 'getRemainingTimeInMillis'> | undefined): void {
    this.remaining = context === undefined ? undefined : () => context.getRemainingTimeInMillis();
  }

  /** Milliseconds left in the invocation, or `Infinity` without one. */
  remainingMs(): number {
    return this.remaining === undefined ? Number.POSITIVE_INFINITY : this.remaining();
  }

  /** A retry wait: made only if it ends before the final guard; otherwise the call fails as transient. */
  async sleep(ms: number): Promise<void> {
    const left = this.remainingMs() - this.finalGuardMs;
    if (ms > left) {
      throw new TransientFailureError(`a retry wait of ${ms} ms would run into the end of the invocation (${Math.max(0, Math.floor(left))} ms left before it)`);
    }
    await this.wait(ms);
  }
}
