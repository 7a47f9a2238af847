import type { Batch } from '../domain/batch.js';
import type { LambdaCostAssumptions } from '../adapters/aws/lambda-cost.js';

export interface RunTotals {
  readonly files: number;
  readonly lines: number;
  readonly entries: number;
  readonly unparsed: number;
  readonly blank: number;
  readonly continuation: number;
  readonly truncated: number;
  /** Lines a filter dropped (`entries + blank + continuation + filtered = lines`). */
  readonly filtered: number;
  /** Entries stored with at least one redaction. */
  readonly redacted: number;
  readonly chunks: number;
  readonly deadLettered: number;
}

export interface BatchSummary {
  readonly batchId: string;
  readonly source: string;
  readonly status: string;
  readonly reason?: string;
  readonly format?: string;
  readonly totalLines: number;
  readonly entries: number;
  readonly unparsed: number;
  readonly blank: number;
  readonly continuation: number;
  readonly truncated: number;
  readonly filtered: number;
  readonly redacted: number;
  readonly chunks: number;
  readonly processedChunks: number;
  readonly deadLetteredChunks: readonly number[];
}

/** An argument that named a file given earlier in the same run (same device and inode): it was run once. */
export interface DuplicateInput {
  /** The later argument, as an absolute path (not resolved through symlinks). */
  readonly file: string;
  /** The first argument naming the same file: the `source` of its batch. */
  readonly sameAs: string;
}

/** What `logbatch run` reports (`--json` prints it as is). */
export interface RunSummary {
  readonly backend: string;
  readonly totals: RunTotals;
  readonly batches: readonly BatchSummary[];
  readonly elapsedMs: number;
  readonly linesPerSecond: number;
  readonly bytesRead: number;
  readonly requests: Readonly<Record<string, number>>;
  /** With `--backend emulator`: every number behind the Lambda part of `requests.estimatedCostUsd`. */
  readonly costAssumptions?: LambdaCostAssumptions;
  /** Arguments that named a file already given; each file is run and reported once. `logbatch run` always sets it. */
  readonly duplicateInputs?: readonly DuplicateInput[];
  /**
   * With a store: files whose batch another process created first (two runs of the same files at once). This run may
   * have helped it along, but the batch and its counts are the other run's, so they are not in `batches` or `totals`.
   */
  readonly createdElsewhere?: readonly BatchSummary[];
}

export function summarizeBatch(batch: Batch, source: string): BatchSummary {
  return {
    batchId: batch.batchId,
    source,
    status: batch.status,
    ...(batch.reason === undefined ? {} : { reason: batch.reason }),
    ...(batch.format === undefined ? {} : { format: batch.format }),
    totalLines: batch.totalLines ?? batch.stats.lines,
    entries: batch.stats.entries,
    unparsed: batch.stats.unparsed,
    blank: batch.stats.blank,
    continuation: batch.stats.continuation,
    truncated: batch.stats.truncated,
    filtered: batch.stats.filtered,
    redacted: batch.stats.redacted,
    chunks: batch.totalChunks ?? batch.processedChunks,
    processedChunks: batch.processedChunks,
    deadLetteredChunks: batch.deadLetteredChunks,
  };
}

export function totalsOf(batches: readonly BatchSummary[], deadLettered: number): RunTotals {
  const sum = (pick: (batch: BatchSummary) => number) => batches.reduce((total, batch) => total + pick(batch), 0);
  return {
    files: batches.length,
    lines: sum((b) => b.totalLines),
    entries: sum((b) => b.entries),
    unparsed: sum((b) => b.unparsed),
    blank: sum((b) => b.blank),
    continuation: sum((b) => b.continuation),
    truncated: sum((b) => b.truncated),
    filtered: sum((b) => b.filtered),
    redacted: sum((b) => b.redacted),
    chunks: sum((b) => b.chunks),
    deadLettered,
  };
}
