import { MinuteTally } from '../../application/minute-rollup.js';
import type { EntryTimeRange, MinuteCount } from '../../application/ports/entry-histogram.port.js';
import type { LogRepository, PutEntriesResult, Page, SplitTotals } from '../../application/ports/log-repository.port.js';
import {
  addStats,
  awaitsCompletion,
  type Batch,
  BatchStatus,
  canSplit,
  type ChunkStats,
  type CompletionDecision,
  type NewBatch,
  newBatch,
  type SplitCheckpoint,
} from '../../domain/batch.js';
import { type BatchFailureCode, BatchNotFoundError } from '../../domain/errors.js';
import type { LogEntry } from '../../domain/log-entry.js';
import { WARN_OR_ABOVE } from '../../domain/severity.js';

export interface InMemoryLogRepositoryOptions {
  /**
   * Keep entries (for read-back). Off, entries are counted and discarded: a local run without `--out` then holds
   * only batch records, whatever the file size. @default true
   */
  readonly retainEntries?: boolean;
  /** Clock for `updatedAt`/`completedAt`. @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Batches, chunk markers and entries in memory, with the same rules as the DynamoDB table: conditional batch
 * creation, a chunk counted once (marker + counters in one step), conditional completion.
 */
export class InMemoryLogRepository implements LogRepository {
  protected readonly batches = new Map<string, Batch>();
  private readonly chunkMarkers = new Set<string>();
  private readonly entries = new Map<string, Map<number, LogEntry>>();
  /** Each batch's entries in line order, kept until the batch's next write, so paging a large batch sorts once. */
  private readonly sortedEntries = new Map<string, LogEntry[]>();
  /** The histogram's rollup of retained entries: batch → minute → entries per level (see {@link MinuteTally}). */
  private readonly minuteCounts = new Map<string, Map<number, number[]>>();
  /** Each batch's first and last timestamp; stale when a rewrite moved the entry that held one of them. */
  private readonly timeRanges = new Map<string, { first: string; last: string; stale: boolean }>();
  private readonly retainEntries: boolean;
  /** Entries' `raw` is kept exactly when entries are. */
  readonly keepsRaw: boolean;
  protected readonly now: () => Date;
  /** Entries written (rewrites included): what a store would have been asked to write. */
  entryWrites = 0;

  constructor(options: InMemoryLogRepositoryOptions = {}) {
    this.retainEntries = options.retainEntries ?? true;
    this.keepsRaw = this.retainEntries;
    this.now = options.now ?? (() => new Date());
  }

  async createBatch(init: NewBatch): Promise<{ batch: Batch; created: boolean }> {
    const existing = this.batches.get(init.batchId);
    if (existing !== undefined) return { batch: existing, created: false };
    const batch = newBatch(init);
    this.batches.set(batch.batchId, batch);
    return { batch, created: true };
  }

  async getBatch(batchId: string): Promise<Batch | undefined> {
    return this.batches.get(batchId);
  }

  async listBatches(options?: { limit?: number }): Promise<Batch[]> {
    const all = [...this.batches.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.batchId.localeCompare(b.batchId));
    return all.slice(0, options?.limit ?? 50);
  }

  async saveCheckpoint(batchId: string, checkpoint: SplitCheckpoint): Promise<void> {
    this.update(batchId, (batch) => ({ ...batch, checkpoint }));
  }

  async finishSplitting(batchId: string, totals: SplitTotals): Promise<Batch> {
    return this.update(batchId, (batch) =>
      canSplit(batch)
        ? {
            ...batch,
            status: BatchStatus.SPLIT,
            totalLines: totals.totalLines,
            totalChunks: totals.totalChunks,
            format: totals.format,
            checkpoint: undefined,
            failureCode: undefined,
            reason: undefined,
            completedAt: undefined,
          }
        : batch,
    );
  }

  async failBatch(batchId: string, failureCode: BatchFailureCode, reason: string, totals?: Partial<SplitTotals>): Promise<void> {
    this.update(batchId, (batch) => ({
      ...batch,
      status: BatchStatus.FAILED,
      failureCode,
      reason,
      totalLines: totals?.totalLines ?? batch.totalLines,
      totalChunks: totals?.totalChunks ?? batch.totalChunks,
      format: totals?.format ?? batch.format,
      completedAt: this.now().toISOString(),
    }));
  }

  async putEntries(entries: readonly LogEntry[]): Promise<PutEntriesResult | void> {
    this.entryWrites += entries.length;
    return this.storeEntries(entries);
  }

  /** Where entries go; subclasses store them elsewhere (and say how many they could only keep unparsed). */
  protected async storeEntries(entries: readonly LogEntry[]): Promise<PutEntriesResult | void> {
    if (!this.retainEntries) return;
    const minutes = new MinuteTally<string>();
    for (const entry of entries) {
      let byLine = this.entries.get(entry.batchId);
      if (byLine === undefined) {
        byLine = new Map();
        this.entries.set(entry.batchId, byLine);
      }
      const before = byLine.get(entry.lineNumber);
      if (before !== undefined) minutes.add(entry.batchId, before.timestamp, before.severityNumber, -1);
      byLine.set(entry.lineNumber, entry);
      minutes.add(entry.batchId, entry.timestamp, entry.severityNumber, 1);
      this.widenTimeRange(entry.batchId, entry.timestamp, before?.timestamp);
      this.sortedEntries.delete(entry.batchId);
    }
    for (const change of minutes.changes()) {
      let byMinute = this.minuteCounts.get(change.batch);
      if (byMinute === undefined) {
        byMinute = new Map();
        this.minuteCounts.set(change.batch, byMinute);
      }
      let levels = byMinute.get(change.minute);
      if (levels === undefined) {
        levels = [0, 0, 0, 0];
        byMinute.set(change.minute, levels);
      }
      levels[change.level] += change.entries;
    }
  }

  /** The batch's retained entries with a timestamp, per minute and histogram level, as they were written. */
  minuteCountsOf(batchId: string): MinuteCount[] {
    const rows: MinuteCount[] = [];
    for (const [minute, levels] of this.minuteCounts.get(batchId) ?? []) {
      levels.forEach((entries, level) => {
        if (entries !== 0) rows.push({ minute, level, entries });
      });
    }
    return rows;
  }

  /** First and last timestamp of the batch's retained entries, undefined when none has one. */
  async timeRangeOf(batchId: string): Promise<EntryTimeRange | undefined> {
    const range = this.timeRanges.get(batchId);
    if (range === undefined || !range.stale) return range === undefined ? undefined : { first: range.first, last: range.last };
    this.timeRanges.delete(batchId);
    for (const entry of await this.entriesOf(batchId)) this.widenTimeRange(batchId, entry.timestamp, undefined);
    return this.timeRangeOf(batchId);
  }

  private widenTimeRange(batchId: string, timestamp: string | undefined, replaced: string | undefined): void {
    const range = this.timeRanges.get(batchId);
    if (range !== undefined && replaced !== undefined && replaced !== timestamp && (replaced === range.first || replaced === range.last)) range.stale = true;
    if (timestamp === undefined) return;
    if (range === undefined) this.timeRanges.set(batchId, { first: timestamp, last: timestamp, stale: false });
    else {
      if (timestamp < range.first) range.first = timestamp;
      if (timestamp > range.last) range.last = timestamp;
    }
  }

  async recordChunkProcessed(batchId: string, chunk: number, stats: ChunkStats): Promise<{ applied: boolean; batch: Batch }> {
    const batch = this.batches.get(batchId);
    if (batch === undefined) throw new BatchNotFoundError(`no batch ${batchId}`);
    const marker = `${batchId}#${chunk}`;
    if (this.chunkMarkers.has(marker)) return { applied: false, batch };
    this.chunkMarkers.add(marker);
    const updated = this.update(batchId, (current) => ({
      ...current,
      processedChunks: current.processedChunks + 1,
      stats: addStats(current.stats, stats),
      deadLetteredChunks: current.deadLetteredChunks.filter((index) => index !== chunk),
    }));
    return { applied: true, batch: updated };
  }

  async recordChunkDeadLettered(batchId: string, chunk: number): Promise<Batch | undefined> {
    const batch = this.batches.get(batchId);
    if (batch === undefined) return undefined;
    if (this.chunkMarkers.has(`${batchId}#${chunk}`) || batch.deadLetteredChunks.includes(chunk)) return batch;
    return this.update(batchId, (current) => ({
      ...current,
      deadLetteredChunks: [...current.deadLetteredChunks, chunk].sort((a, b) => a - b),
    }));
  }

  async completeBatch(batch: Batch, decision: CompletionDecision): Promise<boolean> {
    const current = this.batches.get(batch.batchId);
    if (
      current === undefined ||
      !awaitsCompletion(current) ||
      current.status !== batch.status ||
      current.processedChunks !== batch.processedChunks ||
      current.deadLetteredChunks.length !== batch.deadLetteredChunks.length
    ) {
      return false;
    }
    this.update(batch.batchId, (latest) => ({
      ...latest,
      status: decision.status,
      failureCode: decision.failureCode,
      reason: decision.reason,
      completedAt: this.now().toISOString(),
    }));
    return true;
  }

  async listEntries(batchId: string, options?: { limit?: number; cursor?: string }): Promise<Page<LogEntry>> {
    const sorted = await this.entriesOf(batchId);
    return paginate(sorted, options);
  }

  async listSevereEntries(options: {
    from: string;
    to: string;
    minSeverityNumber?: number;
    limit?: number;
    cursor?: string;
  }): Promise<Page<LogEntry>> {
    const minimum = options.minSeverityNumber ?? WARN_OR_ABOVE;
    const matching: LogEntry[] = [];
    for (const batchId of this.batches.keys()) {
      for (const entry of await this.entriesOf(batchId)) {
        if (
          entry.timestamp !== undefined &&
          (entry.severityNumber ?? 0) >= minimum &&
          entry.timestamp >= options.from &&
          entry.timestamp < options.to
        ) {
          matching.push(entry);
        }
      }
    }
    matching.sort((a, b) => a.timestamp!.localeCompare(b.timestamp!) || a.batchId.localeCompare(b.batchId) || a.lineNumber - b.lineNumber);
    return paginate(matching, options);
  }

  /** Entries of a batch in line order; subclasses read them from where they stored them. */
  protected async entriesOf(batchId: string): Promise<LogEntry[]> {
    const byLine = this.entries.get(batchId);
    if (byLine === undefined) return [];
    let sorted = this.sortedEntries.get(batchId);
    if (sorted === undefined) {
      sorted = [...byLine.values()].sort((a, b) => a.lineNumber - b.lineNumber);
      this.sortedEntries.set(batchId, sorted);
    }
    return sorted;
  }

  protected update(batchId: string, change: (batch: Batch) => Batch): Batch {
    const batch = this.batches.get(batchId);
    if (batch === undefined) throw new BatchNotFoundError(`no batch ${batchId}`);
    const updated = { ...change(batch), updatedAt: this.now().toISOString() };
    this.batches.set(batchId, updated);
    return updated;
  }
}

/** Offset-based pages; the cursor is the index of the next item. */
function paginate<T>(items: readonly T[], options?: { limit?: number; cursor?: string }): Page<T> {
  const start = options?.cursor === undefined ? 0 : Number(options.cursor);
  const limit = options?.limit ?? 1000;
  const page = items.slice(start, start + limit);
  const next = start + page.length;
  return next < items.length ? { items: page, cursor: String(next) } : { items: page };
}
