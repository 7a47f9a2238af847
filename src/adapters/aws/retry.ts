import { setTimeout as delay } from 'node:timers/promises';

/**
 * Bounded exponential backoff with full jitter (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/):
 * the wait before retry `n` (0-based) is a uniform draw from `[0, min(maxDelayMs, baseDelayMs × 2^n))`.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 50,
  maxDelayMs: 5_000,
  random: Math.random,
  sleep: (ms) => delay(ms),
};

/** The policy with some fields replaced; `undefined` fields keep the default. */
export function retryPolicy(overrides?: Partial<RetryPolicy>): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...definedOnly(overrides ?? {}) };
}

/** Wait before retry number `retryIndex` (0 for the first retry). */
export function backoffDelayMs(retryIndex: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return Math.floor(policy.random() * ceiling);
}

const THROTTLING_ERROR_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'KMSThrottlingException',
]);

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * Whether an error from an AWS call is worth retrying: throttling, a 5xx, or a connection that broke.
 * Validation errors, missing resources and failed conditions are not.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as {
    name?: unknown;
    code?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    $fault?: unknown;
    message?: unknown;
  };
  if (candidate.$retryable !== undefined && candidate.$retryable !== null) return true;
  if (typeof candidate.name === 'string' && THROTTLING_ERROR_NAMES.has(candidate.name)) return true;
  if (typeof candidate.code === 'string' && NETWORK_ERROR_CODES.has(candidate.code)) return true;
  const status = candidate.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status === 429 || status >= 500)) return true;
  if (candidate.$fault === 'server') return true;
  return typeof candidate.message === 'string' && /socket hang up|aborted|premature close/i.test(candidate.message);
}

/**
 * Runs `operation` until it succeeds, retrying transient errors (see {@link isTransientAwsError}) with backoff.
 * Rethrows a non-transient error at once, and the last transient one when the attempts run out.
 */
export async function withTransientRetries<T>(operation: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY_POLICY): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransientAwsError(error) || attempt >= policy.maxAttempts) throw error;
      await policy.sleep(backoffDelayMs(attempt - 1, policy));
    }
  }
}

function definedOnly<T extends object>(value: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
