import type { MinuteCount } from './ports/entry-histogram.port.js';

/** One minute, the rollup's time unit; rollup rows are keyed by `Math.floor(epochMs / MINUTE_MS)`. */
export const MINUTE_MS = 60_000;

/** Length of `Date.prototype.toISOString()` for years 0–9999, whose first 16 characters name the minute. */
const ISO_LENGTH = 24;
const MINUTE_PREFIX = 16;

/**
 * Changes to a rollup of entries per (batch, minute, histogram level), gathered over one write call so the store
 * applies a few rows per call instead of one per entry. A store adds an entry it newly stored (+1) and, for an
 * entry it rewrote, takes the old one out (-1) and adds the new one: redelivered entries are never counted twice.
 * Entries without a timestamp are not in any histogram and are not counted.
 */
export class MinuteTally<BatchKey> {
  private readonly byBatch = new Map<BatchKey, Map<number, number[]>>();
  private lastBatch: BatchKey | undefined;
  private lastMinutes: Map<number, number[]> | undefined;
  private lastPrefix = '';
  private lastMinute = 0;

  add(batch: BatchKey, timestamp: string | undefined, severityNumber: number | undefined, delta: 1 | -1): void {
    if (timestamp === undefined || timestamp === '') return;
    const minute = this.minuteOf(timestamp);
    if (Number.isNaN(minute)) return;
    if (batch !== this.lastBatch || this.lastMinutes === undefined) {
      this.lastBatch = batch;
      this.lastMinutes = this.byBatch.get(batch);
      if (this.lastMinutes === undefined) {
        this.lastMinutes = new Map();
        this.byBatch.set(batch, this.lastMinutes);
      }
    }
    let levels = this.lastMinutes.get(minute);
    if (levels === undefined) {
      levels = [0, 0, 0, 0];
      this.lastMinutes.set(minute, levels);
    }
    levels[histogramLevelIndex(severityNumber)] += delta;
  }

  /** The non-zero changes: batch, minute, level, change in entries. */
  *changes(): Iterable<MinuteChange<BatchKey>> {
    for (const [batch, minutes] of this.byBatch) {
      for (const [minute, levels] of minutes) {
        for (let level = 0; level < levels.length; level++) {
          if (levels[level] !== 0) yield { batch, minute, level, entries: levels[level] };
        }
      }
    }
  }

  /** Entries of one log file mostly share their minute with the previous one: parse only when the minute changes. */
  private minuteOf(timestamp: string): number {
    if (timestamp.length === ISO_LENGTH && this.lastPrefix !== '' && timestamp.startsWith(this.lastPrefix)) return this.lastMinute;
    const minute = Math.floor(Date.parse(timestamp) / MINUTE_MS);
    if (timestamp.length === ISO_LENGTH && !Number.isNaN(minute)) {
      this.lastPrefix = timestamp.slice(0, MINUTE_PREFIX);
      this.lastMinute = minute;
    }
    return minute;
  }
}

export interface MinuteChange<BatchKey> extends MinuteCount {
  readonly batch: BatchKey;
}

/**
 * Adds minute rows into buckets of `bucketMs` starting at `start` (epoch ms), or returns undefined when the buckets
 * do not fall on minute boundaries (then only the entries themselves can be counted).
 */
export function binMinutes(rows: Iterable<MinuteCount>, start: number, bucketMs: number, buckets: number, levels: number): number[][] | undefined {
  if (bucketMs % MINUTE_MS !== 0 || start % MINUTE_MS !== 0) return undefined;
  const counts = Array.from({ length: levels }, () => new Array<number>(buckets).fill(0));
  for (const row of rows) {
    const bucket = Math.floor((row.minute * MINUTE_MS - start) / bucketMs);
    if (bucket >= 0 && bucket < buckets && row.entries !== 0) counts[row.level][bucket] += row.entries;
  }
  return counts;
}

/** Which stack of the histogram an entry's severity number falls in (index into `HISTOGRAM_LEVELS`). */
export function histogramLevelIndex(severityNumber: number | undefined): number {
  if (severityNumber === undefined || severityNumber < 13) return 3;
  if (severityNumber >= 21) return 0;
  if (severityNumber >= 17) return 1;
  return 2;
}
