import type { BucketCounts, EntryHistogram, EntryTimeRange, MinuteCount } from '../../application/ports/entry-histogram.port.js';
import { RepositoryEntryHistogram } from '../../application/repository-entry-histogram.js';
import type { InMemoryLogRepository } from './in-memory-log-repository.js';

/**
 * {@link EntryHistogram} on the memory repository: the per-minute rollup and time range it keeps as entries are
 * written, and a walk over the batch's entries for buckets shorter than a minute.
 */
export class InMemoryEntryHistogram implements EntryHistogram {
  private readonly scan: RepositoryEntryHistogram;

  constructor(private readonly repository: InMemoryLogRepository) {
    this.scan = new RepositoryEntryHistogram(repository);
  }

  timeRange(batchId: string): Promise<EntryTimeRange | undefined> {
    return this.repository.timeRangeOf(batchId);
  }

  countByBucket(batchId: string, boundaries: readonly string[]): Promise<BucketCounts> {
    return this.scan.countByBucket(batchId, boundaries);
  }

  async countByMinute(batchId: string): Promise<readonly MinuteCount[]> {
    return this.repository.minuteCountsOf(batchId);
  }
}
