import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * A soft bound on a long local run's resident memory. A run turns its whole input into short-lived garbage, and the
 * largest pieces (256 KiB chunk bodies that outlive a scavenge) wait in V8's large-object space until a full
 * collection. V8 schedules that collection by its heap-growing heuristics, not by the process's size, so the peak
 * RSS of a run was a saw-tooth whose highest tooth grew with the file (164–373 MB at 2M lines for the same command;
 * docs/performance.md, "Memory").
 *
 * The governor looks at RSS every `intervalMs` and, above the budget, asks for a full collection. V8 hands freed pages
 * back to the system a moment after the collection, not during it, so its effect is judged `settleMs` later: when RSS
 * is still above the budget then (the live set itself is that large: a big store cache, a huge event), the budget
 * moves up to that RSS plus `slackBytes`, so live memory is never fought with collection after collection (and it
 * stays up for the rest of the run). Measured cost: 2–13 collections of 10–15 ms each for 2M–6M lines
 * (docs/performance.md).
 */
export interface MemoryGovernorOptions {
  readonly budgetBytes: number;
  /** @default 50 */
  readonly intervalMs?: number;
  /** Room left above what a collection could not free, when the budget has to move. @default 48 MiB */
  readonly slackBytes?: number;
  /** How long after a collection its effect on RSS is judged. @default 250 */
  readonly settleMs?: number;
  /** Milliseconds clock. @default performance.now */
  readonly now?: () => number;
  /** Resident set size now. @default process.memoryUsage.rss */
  readonly rss?: () => number;
  /** A full garbage collection. @default V8's own (`gc`, exposed for this process), or none when it cannot be had */
  readonly collect?: () => void;
}

export interface MemoryGovernor {
  /** Looks at RSS once, as the timer does. */
  check(): void;
  stop(): void;
  /** Collections asked for so far. */
  readonly collections: number;
  /** The budget now (it moves up when the live set needs it). */
  readonly budgetBytes: number;
}

/**
 * The resident memory `logbatch run` keeps a run near: a run's live set is ~100–130 MB (the reading floor alone peaks
 * at 85–150 MB), and the goal is under 200 MB whatever the file's size (docs/performance.md, "Memory").
 */
export const DEFAULT_MEMORY_BUDGET_MB = 160;

const DEFAULT_SLACK = 48 * 1024 * 1024;

/** Starts a governor; returns undefined when no full collection can be had in this process. */
export function startMemoryGovernor(options: MemoryGovernorOptions): MemoryGovernor | undefined {
  const collect = options.collect ?? v8Collector();
  if (collect === undefined) return undefined;
  const rss = options.rss ?? (() => process.memoryUsage.rss());
  const slack = options.slackBytes ?? DEFAULT_SLACK;
  const settleMs = options.settleMs ?? 250;
  const now = options.now ?? (() => performance.now());
  let budget = options.budgetBytes;
  let collections = 0;
  /** When the last collection ran, while its effect is not judged yet. */
  let collectedAt: number | undefined;
  const check = () => {
    const resident = rss();
    if (collectedAt !== undefined) {
      if (now() - collectedAt < settleMs) return;
      collectedAt = undefined;
      // Settled and still over: what is left is live, not garbage.
      if (resident > budget) budget = resident + slack;
      return;
    }
    if (resident <= budget) return;
    collect();
    collections++;
    collectedAt = now();
  };
  const timer = setInterval(check, options.intervalMs ?? 50);
  // Never what keeps the process alive.
  timer.unref();
  return {
    check,
    stop: () => clearInterval(timer),
    get collections() {
      return collections;
    },
    get budgetBytes() {
      return budget;
    },
  };
}

let exposed: (() => void) | null | undefined;

/**
 * V8's full collection, for this process: `--expose-gc` set at run time puts `gc` on the global object of contexts
 * made after it, so one new context hands it over. The flag is set once and the function kept.
 */
function v8Collector(): (() => void) | undefined {
  if (exposed === undefined) {
    try {
      const existing = (globalThis as { gc?: () => void }).gc;
      if (typeof existing === 'function') {
        exposed = existing;
      } else {
        v8.setFlagsFromString('--expose-gc');
        const gc = vm.runInNewContext('gc') as unknown;
        exposed = typeof gc === 'function' ? (gc as () => void) : null;
      }
    } catch {
      exposed = null;
    }
  }
  return exposed ?? undefined;
}
