import type { Batch, BatchSource, ChunkStats, CompletionDecision, NewBatch, SplitCheckpoint } from '../../domain/batch.js';
import type { BatchFailureCode } from '../../domain/errors.js';
import type { LogEntry } from '../../domain/log-entry.js';

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  readonly cursor?: string;
}

/** What a store did with entries beyond writing them. */
export interface PutEntriesResult {
  /** Entries that parsed but could only be stored unparsed (see `putEntries`). */
  readonly storedUnparsed: number;
}

export interface SplitTotals {
  readonly totalLines: number;
  readonly totalChunks: number;
  readonly format: string;
}

/**
 * Where entries and batch records live (DynamoDB, memory, a JSONL file). Every write is idempotent under
 * redelivery: entries are keyed by (batchId, lineNumber) and a chunk's progress is counted once.
 */
export interface LogRepository {
  /**
   * False when the store leaves out entries' `raw` text (the `--out` JSON Lines file, a run that keeps no entries):
   * the worker then does not build it. @default true
   */
  readonly keepsRaw?: boolean;
  /** Creates the batch unless it exists; a duplicate S3 event gets the existing batch and `created: false`. */
  createBatch(init: NewBatch): Promise<{ batch: Batch; created: boolean }>;
  getBatch(batchId: string): Promise<Batch | undefined>;
  /** Most recently created first. */
  listBatches(options?: { limit?: number }): Promise<Batch[]>;
  /** Records where a split stopped, for its continuation. */
  saveCheckpoint(batchId: string, checkpoint: SplitCheckpoint): Promise<void>;
  /**
   * SPLITTING (or FAILED with a retryable code, see `canSplit`) → SPLIT with the totals, clearing the failure;
   * a repeat is a no-op.
   */
  finishSplitting(batchId: string, totals: SplitTotals): Promise<Batch>;
  /** Marks the batch FAILED with a reason (keeps what was already counted). */
  failBatch(batchId: string, failureCode: BatchFailureCode, reason: string, totals?: Partial<SplitTotals>): Promise<void>;

  /**
   * Writes entries; rewriting an entry with the same (batchId, lineNumber) replaces it. An entry the store cannot
   * hold as it is (DynamoDB refuses it, JSON cannot express it) is stored unparsed instead — its body, no
   * attributes, `parseError` saying why — never dropped, and counted in the result so the batch counts it unparsed.
   */
  putEntries(entries: readonly LogEntry[]): Promise<PutEntriesResult | void>;
  /**
   * Counts a processed chunk into its batch, atomically with a per-chunk marker, so it counts once however often
   * it is delivered. Clears the chunk from the dead-lettered list if it was there. `applied` is false for a repeat.
   */
  recordChunkProcessed(batchId: string, chunk: number, stats: ChunkStats): Promise<{ applied: boolean; batch: Batch }>;
  /** Records that a chunk exhausted its receives and went to the DLQ (idempotent). */
  recordChunkDeadLettered(batchId: string, chunk: number, reason: string): Promise<Batch | undefined>;
  /**
   * Applies a completion decision if the batch still is in the state it was decided on (a conditional update),
   * so the splitter and the last worker can both try and exactly one succeeds. Returns whether this call applied it.
   */
  completeBatch(batch: Batch, decision: CompletionDecision): Promise<boolean>;

  /** Entries of a batch in line order. */
  listEntries(batchId: string, options?: { limit?: number; cursor?: string }): Promise<Page<LogEntry>>;
  /** Entries at `minSeverityNumber` (default WARN) and above with a timestamp in [from, to), oldest first. */
  listSevereEntries(options: {
    from: string;
    to: string;
    minSeverityNumber?: number;
    limit?: number;
    cursor?: string;
  }): Promise<Page<LogEntry>>;
}

export type { BatchSource };
