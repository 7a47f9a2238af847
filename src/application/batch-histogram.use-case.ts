import { LogBatchError } from '../domain/errors.js';
import { isoFromMillis } from '../domain/parsing/timestamp.js';
import type { Batch } from '../domain/batch.js';
import { type BucketCounts, type EntryHistogram, HISTOGRAM_LEVELS, type HistogramLevel } from './ports/entry-histogram.port.js';
import type { LogRepository } from './ports/log-repository.port.js';
import { binMinutes, MINUTE_MS } from './minute-rollup.js';

export class InvalidHistogramError extends LogBatchError {
  readonly code = 'INVALID_HISTOGRAM';
}

export class BatchNotFoundForHistogramError extends LogBatchError {
  readonly code = 'BATCH_NOT_FOUND';
}

/** Entries of a batch over time, stacked by severity. */
export interface Histogram {
  readonly batchId: string;
  readonly levels: readonly HistogramLevel[];
  /** Start of each bucket, epoch milliseconds; every bucket is `bucketMs` wide. */
  readonly starts: readonly number[];
  readonly bucketMs: number;
  /** `counts[level][bucket]`, levels in {@link levels} order. */
  readonly counts: readonly (readonly number[])[];
  /** Entries counted in the buckets. */
  readonly total: number;
  readonly itemsRead?: number;
  readonly partial?: boolean;
}

export const DEFAULT_HISTOGRAM_BUCKETS = 60;
export const MAX_HISTOGRAM_BUCKETS = 500;

/** Bucket widths a person reads at a glance: 1 s … 1 week. */
const NICE_WIDTHS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000,
  60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000,
  86_400_000, 172_800_000, 604_800_000,
];

/**
 * The batch page's histogram (`GET /api/batches/:id/histogram`): picks a readable bucket width so that at most
 * `buckets` buckets cover the batch's time range, then asks the backend's {@link EntryHistogram} to count: from its
 * per-minute rollup when the buckets are whole minutes and it keeps one (O(minutes), whatever the entries), from
 * the entries otherwise (a batch spanning under about an hour at 60 buckets). A batch
 * whose record has not changed since the last call is answered from memory: a finished batch is counted once.
 */
export class BatchHistogram {
  private readonly cache = new Map<string, Histogram>();

  constructor(
    private readonly repository: LogRepository,
    private readonly histogram: EntryHistogram,
  ) {}

  async of(batchId: string, options: { buckets?: number } = {}): Promise<Histogram> {
    const buckets = options.buckets ?? DEFAULT_HISTOGRAM_BUCKETS;
    if (!Number.isSafeInteger(buckets) || buckets < 1 || buckets > MAX_HISTOGRAM_BUCKETS) {
      throw new InvalidHistogramError(`buckets must be an integer between 1 and ${MAX_HISTOGRAM_BUCKETS}`);
    }
    const batch = await this.repository.getBatch(batchId);
    if (batch === undefined) throw new BatchNotFoundForHistogramError(`no batch ${batchId}`);
    const key = `${batchId}\u0000${buckets}`;
    const cached = this.cache.get(key);
    if (cached !== undefined && this.cacheStamp.get(key) === stampOf(batch)) return cached;
    const result = await this.compute(batch, buckets);
    this.cache.set(key, result);
    this.cacheStamp.set(key, stampOf(batch));
    return result;
  }

  private readonly cacheStamp = new Map<string, string>();

  private async compute(batch: Batch, buckets: number): Promise<Histogram> {
    const empty: Histogram = { batchId: batch.batchId, levels: HISTOGRAM_LEVELS, starts: [], bucketMs: 0, counts: HISTOGRAM_LEVELS.map(() => []), total: 0 };
    const range = await this.histogram.timeRange(batch.batchId);
    if (range === undefined) return empty;
    const first = Date.parse(range.first);
    const last = Date.parse(range.last);
    const { start, bucketMs } = bucketing(first, last, buckets);
    const count = Math.max(1, Math.ceil((last - start + 1) / bucketMs));
    const starts = Array.from({ length: count }, (_, index) => start + index * bucketMs);
    const boundaries = [...starts, start + count * bucketMs].map(histogramEdge);
    const counted = (await this.fromMinutes(batch.batchId, start, bucketMs, count)) ?? (await this.histogram.countByBucket(batch.batchId, boundaries));
    const total = counted.counts.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
    return {
      batchId: batch.batchId,
      levels: HISTOGRAM_LEVELS,
      starts,
      bucketMs,
      counts: counted.counts,
      total,
      ...(counted.itemsRead === undefined ? {} : { itemsRead: counted.itemsRead }),
      ...(counted.partial === true ? { partial: true } : {}),
    };
  }

  /** Buckets of whole minutes from the backend's rollup, when it keeps one; undefined to count the entries instead. */
  private async fromMinutes(batchId: string, start: number, bucketMs: number, buckets: number): Promise<BucketCounts | undefined> {
    if (this.histogram.countByMinute === undefined || bucketMs % MINUTE_MS !== 0) return undefined;
    const counts = binMinutes(await this.histogram.countByMinute(batchId), start, bucketMs, buckets, HISTOGRAM_LEVELS.length);
    return counts === undefined ? undefined : { counts };
  }
}

const WEEK_MS = 604_800_000;

/**
 * The buckets' width and the first one's start: the narrowest readable width whose buckets, each starting at a
 * multiple of it, number at most `buckets`. Past a week, a whole number of weeks from the start of the first entry's
 * week: aligning to a multiple of a several-week width instead could take one bucket more than asked. Whole weeks are
 * whole minutes, so the rollup still counts them.
 */
function bucketing(first: number, last: number, buckets: number): { start: number; bucketMs: number } {
  for (const width of NICE_WIDTHS_MS) {
    const start = alignDown(first, width);
    if (Math.ceil((last - start + 1) / width) <= buckets) return { start, bucketMs: width };
  }
  const start = alignDown(first, WEEK_MS);
  return { start, bucketMs: Math.ceil((last - start + 1) / (buckets * WEEK_MS)) * WEEK_MS };
}

/** `9999-12-31T24:00:00.000Z`: year 10000's first instant as ISO 8601 writes it with a four-digit year. */
const END_OF_YEAR_9999 = '9999-12-31T24:00:00.000Z';
const START_OF_YEAR_0 = '0000-01-01T00:00:00.000Z';

/**
 * A bucket edge (epoch ms) as text that compares with stored timestamps as the instants do. Stored times have
 * four-digit years (a later time is no timestamp), but `toISOString()` writes an edge past 9999-12-31 as
 * `+010000-…`, which sorts before every `1xxx`–`9xxx` time: such an edge is written as the end of 9999-12-31
 * instead (`T24:00`), after every stored time; an edge before year 0 as year 0's start, at or before every one.
 */
export function histogramEdge(ms: number): string {
  return isoFromMillis(ms) ?? (ms > 0 ? END_OF_YEAR_9999 : START_OF_YEAR_0);
}

/** An edge given as ISO 8601 text, expanded years (`+010000-…`) included, as {@link histogramEdge} writes it. */
export function comparableHistogramEdge(text: string): string {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : histogramEdge(ms);
}

function alignDown(ms: number, width: number): number {
  return Math.floor(ms / width) * width;
}

function stampOf(batch: Batch): string {
  return `${batch.updatedAt}\u0000${batch.processedChunks}\u0000${batch.stats.entries}`;
}
