import type { Statement } from 'better-sqlite3';
import { comparableHistogramEdge, histogramEdge } from '../../application/batch-histogram.use-case.js';
import { MINUTE_MS } from '../../application/minute-rollup.js';
import {
  type BucketCounts,
  type EntryHistogram,
  type EntryTimeRange,
  HISTOGRAM_LEVELS,
  type MinuteCount,
} from '../../application/ports/entry-histogram.port.js';
import { LINE_SPAN, type SqliteStore } from './sqlite-store.js';

/**
 * {@link EntryHistogram} on the store: per minute from the `entry_minutes` rollup that `putEntries` keeps, which
 * also bounds the time range (its first and last minute, then the exact first and last time within them from the
 * time index). Buckets shorter than a minute are counted on the time indexes, without touching the entry rows: per
 * bucket, the total from the covering `entries_by_time` index and WARN / ERROR / FATAL from the partial
 * `entries_severe_by_time` index (OTHER is the difference). The batch is told apart by the rowid the indexes
 * carry; a store that holds one batch only skips that test.
 */
export class SqliteEntryHistogram implements EntryHistogram {
  private statements?: {
    minutes: Statement;
    minuteRange: Statement;
    first: Statement;
    last: Statement;
    total: Statement;
    totalAll: Statement;
    severe: Statement;
    severeAll: Statement;
    batches: Statement;
  };

  constructor(private readonly store: SqliteStore) {}

  async timeRange(batchId: string): Promise<EntryTimeRange | undefined> {
    const seq = this.store.seqOf(batchId);
    if (seq === undefined) return undefined;
    const statements = this.prepared();
    const bounds = [seq * LINE_SPAN, (seq + 1) * LINE_SPAN];
    const read = this.store.db.transaction(() => {
      const minutes = statements.minuteRange.get(seq) as { first: number | null; last: number | null };
      if (minutes.first === null || minutes.last === null) return undefined;
      const first = statements.first.get(...minuteBounds(minutes.first), ...bounds) as string | undefined;
      const last = statements.last.get(...minuteBounds(minutes.last), ...bounds) as string | undefined;
      return first === undefined || last === undefined ? undefined : { first, last };
    });
    return read();
  }

  async countByMinute(batchId: string): Promise<readonly MinuteCount[]> {
    const seq = this.store.seqOf(batchId);
    if (seq === undefined) return [];
    return this.prepared().minutes.all(seq) as MinuteCount[];
  }

  async countByBucket(batchId: string, given: readonly string[]): Promise<BucketCounts> {
    // Edges past year 9999 as text that sorts after every stored time (`+010000-…` sorts before them).
    const boundaries = given.map(comparableHistogramEdge);
    const buckets = boundaries.length - 1;
    const counts = HISTOGRAM_LEVELS.map(() => new Array<number>(buckets).fill(0));
    const seq = this.store.seqOf(batchId);
    if (seq === undefined) return { counts };
    const statements = this.prepared();
    const onlyBatch = (statements.batches.get() as number) === 1;
    const bounds = [seq * LINE_SPAN, (seq + 1) * LINE_SPAN];
    const read = this.store.db.transaction(() => {
      for (let bucket = 0; bucket < buckets; bucket++) {
        const range = [boundaries[bucket], boundaries[bucket + 1]];
        const total = (onlyBatch ? statements.totalAll.get(...range) : statements.total.get(...range, ...bounds)) as number;
        let severe = 0;
        const rows = (onlyBatch ? statements.severeAll.all(...range) : statements.severe.all(...range, ...bounds)) as Array<{ level: number; n: number }>;
        for (const row of rows) {
          counts[row.level][bucket] += row.n;
          severe += row.n;
        }
        counts[3][bucket] = total - severe;
      }
    });
    // One read transaction: the buckets agree with each other while a run writes.
    read();
    return { counts };
  }

  private prepared() {
    if (this.statements !== undefined) return this.statements;
    const db = this.store.db;
    const level = 'CASE WHEN severity_number >= 21 THEN 0 WHEN severity_number >= 17 THEN 1 ELSE 2 END';
    this.statements = {
      minutes: db.prepare('SELECT minute, level, entries FROM entry_minutes WHERE batch_seq = ? AND entries <> 0'),
      minuteRange: db.prepare('SELECT min(minute) AS first, max(minute) AS last FROM entry_minutes WHERE batch_seq = ? AND entries > 0'),
      first: db.prepare('SELECT time FROM entries INDEXED BY entries_by_time WHERE time >= ? AND time < ? AND id > ? AND id < ? ORDER BY time LIMIT 1').pluck(),
      last: db.prepare('SELECT time FROM entries INDEXED BY entries_by_time WHERE time >= ? AND time < ? AND id > ? AND id < ? ORDER BY time DESC LIMIT 1').pluck(),
      total: db.prepare('SELECT count(*) FROM entries INDEXED BY entries_by_time WHERE time >= ? AND time < ? AND id > ? AND id < ?').pluck(),
      totalAll: db.prepare('SELECT count(*) FROM entries INDEXED BY entries_by_time WHERE time >= ? AND time < ?').pluck(),
      severe: db.prepare(
        `SELECT ${level} AS level, count(*) AS n FROM entries INDEXED BY entries_severe_by_time WHERE time >= ? AND time < ? AND severity_number >= 13 AND id > ? AND id < ? GROUP BY level`,
      ),
      severeAll: db.prepare(
        `SELECT ${level} AS level, count(*) AS n FROM entries INDEXED BY entries_severe_by_time WHERE time >= ? AND time < ? AND severity_number >= 13 GROUP BY level`,
      ),
      batches: db.prepare('SELECT count(*) FROM batches').pluck(),
    };
    return this.statements;
  }
}

/**
 * The ISO 8601 bounds [start, end) of a rollup minute, as the time column stores instants; the end of 9999-12-31's
 * last minute is written so that it sorts after the times in it.
 */
function minuteBounds(minute: number): [string, string] {
  return [histogramEdge(minute * MINUTE_MS), histogramEdge((minute + 1) * MINUTE_MS)];
}
