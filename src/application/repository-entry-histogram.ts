import { comparableHistogramEdge } from './batch-histogram.use-case.js';
import { histogramLevelIndex } from './minute-rollup.js';
import { type BucketCounts, type EntryHistogram, type EntryTimeRange, HISTOGRAM_LEVELS } from './ports/entry-histogram.port.js';
import type { LogRepository } from './ports/log-repository.port.js';

const READ_PAGE = 1000;

/**
 * {@link EntryHistogram} over a repository's entry pages: reads the batch's entries in line order and counts them.
 * In memory that is a walk over an array; on DynamoDB every entry is a read, so `maxItems` bounds it and the answer
 * says it is partial.
 */
export class RepositoryEntryHistogram implements EntryHistogram {
  constructor(
    private readonly repository: LogRepository,
    private readonly options: { readonly maxItems?: number } = {},
  ) {}

  async timeRange(batchId: string): Promise<EntryTimeRange | undefined> {
    let first: string | undefined;
    let last: string | undefined;
    await this.walk(batchId, (timestamp) => {
      if (first === undefined || timestamp < first) first = timestamp;
      if (last === undefined || timestamp > last) last = timestamp;
    });
    return first === undefined || last === undefined ? undefined : { first, last };
  }

  async countByBucket(batchId: string, given: readonly string[]): Promise<BucketCounts> {
    // Edges past year 9999 as text that sorts after every stored time (`+010000-…` sorts before them).
    const boundaries = given.map(comparableHistogramEdge);
    const buckets = boundaries.length - 1;
    const counts = HISTOGRAM_LEVELS.map(() => new Array<number>(buckets).fill(0));
    const { itemsRead, partial } = await this.walk(batchId, (timestamp, severityNumber) => {
      // ISO 8601 UTC strings of one shape order as their instants: a binary search by string comparison.
      if (timestamp < boundaries[0] || timestamp >= boundaries[buckets]) return;
      let low = 0;
      let high = buckets - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if (boundaries[middle] <= timestamp) low = middle;
        else high = middle - 1;
      }
      counts[histogramLevelIndex(severityNumber)][low]++;
    });
    // Reads are worth reporting where they are paid for (a read budget is set: DynamoDB).
    return { counts, ...(this.options.maxItems === undefined ? {} : { itemsRead }), ...(partial ? { partial } : {}) };
  }

  private async walk(batchId: string, visit: (timestamp: string, severityNumber: number | undefined) => void): Promise<{ itemsRead: number; partial: boolean }> {
    const maxItems = this.options.maxItems ?? Number.POSITIVE_INFINITY;
    let cursor: string | undefined;
    let itemsRead = 0;
    do {
      const page = await this.repository.listEntries(batchId, { limit: READ_PAGE, cursor });
      for (const entry of page.items) if (entry.timestamp !== undefined) visit(entry.timestamp, entry.severityNumber);
      itemsRead += page.items.length;
      cursor = page.cursor;
      if (itemsRead >= maxItems && cursor !== undefined) return { itemsRead, partial: true };
    } while (cursor !== undefined);
    return { itemsRead, partial: false };
  }
}
