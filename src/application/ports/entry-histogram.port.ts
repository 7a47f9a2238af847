/** The severity stacks of a histogram, most severe first; OTHER is INFO and below, and entries without a severity. */
export const HISTOGRAM_LEVELS = ['FATAL', 'ERROR', 'WARN', 'OTHER'] as const;
export type HistogramLevel = (typeof HISTOGRAM_LEVELS)[number];

/** First and last timestamp of a batch's entries, ISO 8601 UTC as stored. */
export interface EntryTimeRange {
  readonly first: string;
  readonly last: string;
}

export interface BucketCounts {
  /** `counts[level][bucket]`, levels in {@link HISTOGRAM_LEVELS} order. */
  readonly counts: readonly (readonly number[])[];
  /** Entries read to count them, when the backend counts client-side. */
  readonly itemsRead?: number;
  /** The backend stopped reading at its budget: the counts cover the first entries only. */
  readonly partial?: boolean;
}

/** Entries of one batch in one minute (`Math.floor(epochMs / 60000)`) at one level (index into {@link HISTOGRAM_LEVELS}). */
export interface MinuteCount {
  readonly minute: number;
  readonly level: number;
  readonly entries: number;
}

/**
 * Counting a batch's entries by time and severity, for the page's histogram. The SQLite store and the memory
 * repository keep a rollup per (batch, minute, level) as they write entries, which answers in O(minutes); every
 * backend can also count the entries themselves (SQLite on its time indexes, memory and DynamoDB over the
 * repository's entry pages, DynamoDB with a read budget).
 */
export interface EntryHistogram {
  /** Undefined when no entry of the batch has a timestamp. */
  timeRange(batchId: string): Promise<EntryTimeRange | undefined>;
  /**
   * Counts entries with `boundaries[i] <= timestamp < boundaries[i + 1]` (ISO 8601 UTC, ascending), so there are
   * `boundaries.length - 1` buckets per level.
   */
  countByBucket(batchId: string, boundaries: readonly string[]): Promise<BucketCounts>;
  /**
   * The batch's entries with a timestamp, counted per minute and level as they were written; absent where the
   * backend keeps no such rollup. Rows may carry zero entries.
   */
  countByMinute?(batchId: string): Promise<readonly MinuteCount[]>;
}
