import type { Statement } from 'better-sqlite3';
import { type BucketCounts, type EntryHistogram, type EntryTimeRange, HISTOGRAM_LEVELS } from '../../application/ports/entry-histogram.port.js';
import { LINE_SPAN, type SqliteStore } from './sqlite-store.js';

/**
 * {@link EntryHistogram} on the store's time indexes, without touching the entry rows: per bucket, the total from
 * the covering `entries_by_time` index and WARN / ERROR / FATAL from the partial `entries_severe_by_time` index
 * (OTHER is the difference). The batch is told apart by the rowid the indexes carry; a store that holds one batch
 * only skips that test.
 */
export class SqliteEntryHistogram implements EntryHistogram {
  private statements?: {
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
    const first = statements.first.get(...bounds) as string | undefined;
    const last = statements.last.get(...bounds) as string | undefined;
    return first === undefined || last === undefined ? undefined : { first, last };
  }

  async countByBucket(batchId: string, boundaries: readonly string[]): Promise<BucketCounts> {
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
      first: db.prepare("SELECT time FROM entries INDEXED BY entries_by_time WHERE time <> '' AND id > ? AND id < ? ORDER BY time LIMIT 1").pluck(),
      last: db.prepare("SELECT time FROM entries INDEXED BY entries_by_time WHERE time <> '' AND id > ? AND id < ? ORDER BY time DESC LIMIT 1").pluck(),
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
