import { createHash } from 'node:crypto';
import type { BatchFailureCode } from './errors.js';
import type { ObjectRef } from './chunk.js';

export const BatchStatus = {
  SPLITTING: 'SPLITTING',
  SPLIT: 'SPLIT',
  COMPLETED: 'COMPLETED',
  COMPLETED_WITH_ERRORS: 'COMPLETED_WITH_ERRORS',
  FAILED: 'FAILED',
} as const;
export type BatchStatus = (typeof BatchStatus)[keyof typeof BatchStatus];

export interface BatchSource extends ObjectRef {
  readonly size?: number;
}

/** Where a split stopped, so a continuation can carry on from there (see docs/architecture.md). */
export interface SplitCheckpoint {
  /** Byte offset in the (decompressed) content where the next line starts. */
  readonly byteOffset: number;
  readonly nextLineNumber: number;
  readonly nextChunkIndex: number;
}

/** Counters one processed chunk adds to its batch. */
export interface ChunkStats {
  /** Physical lines the chunk covers (entries' lines + blanks + continuations + filtered). */
  readonly lines: number;
  readonly entries: number;
  readonly unparsed: number;
  readonly blank: number;
  readonly continuation: number;
  readonly truncated: number;
  /** Physical lines of events a filter dropped (include/exclude/min-severity): `entries + blank + continuation + filtered = lines`. */
  readonly filtered: number;
  /** Entries stored with at least one redaction (each entry's `redactions` counts them by kind). */
  readonly redacted: number;
}

export const EMPTY_CHUNK_STATS: ChunkStats = {
  lines: 0,
  entries: 0,
  unparsed: 0,
  blank: 0,
  continuation: 0,
  truncated: 0,
  filtered: 0,
  redacted: 0,
};

/** The per-file tracking record: one per uploaded object version. */
export interface Batch {
  readonly batchId: string;
  readonly source: BatchSource;
  readonly format?: string;
  readonly status: BatchStatus;
  readonly failureCode?: BatchFailureCode;
  readonly reason?: string;
  /** Known once splitting ends. */
  readonly totalLines?: number;
  readonly totalChunks?: number;
  readonly processedChunks: number;
  /** Sum of the processed chunks' {@link ChunkStats}. */
  readonly stats: ChunkStats;
  /** Chunks that exhausted their receives and sit in the DLQ, ascending. */
  readonly deadLetteredChunks: readonly number[];
  readonly checkpoint?: SplitCheckpoint;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly completedAt?: string;
}

export interface NewBatch {
  readonly batchId: string;
  readonly source: BatchSource;
  readonly format?: string;
  readonly createdAt: string;
}

/**
 * Derives the batch id from the object's identity, so a duplicate S3 event for the same object version finds
 * the same batch, and a new upload under the same key gets a new one. A reprocess (`backfill --reprocess`) names
 * its request: the same object version then gets a new batch per request, and a redelivered request finds its own.
 */
export function deriveBatchId(source: ObjectRef, reprocessId?: string): string {
  // S3 events carry the ETag bare, HeadObject wraps it in quotes: both must name the same batch.
  const etag = source.etag.replace(/"/g, '');
  const identity = `${source.bucket}\u0000${source.key}\u0000${etag}`;
  return createHash('sha256')
    .update(reprocessId === undefined ? identity : `${identity}\u0000reprocess\u0000${reprocessId}`)
    .digest('hex')
    .slice(0, 24);
}

export function newBatch(init: NewBatch): Batch {
  return {
    batchId: init.batchId,
    source: init.source,
    format: init.format,
    status: BatchStatus.SPLITTING,
    processedChunks: 0,
    stats: EMPTY_CHUNK_STATS,
    deadLetteredChunks: [],
    createdAt: init.createdAt,
    updatedAt: init.createdAt,
  };
}

export function addStats(a: ChunkStats, b: ChunkStats): ChunkStats {
  return {
    lines: a.lines + b.lines,
    entries: a.entries + b.entries,
    unparsed: a.unparsed + b.unparsed,
    blank: a.blank + b.blank,
    continuation: a.continuation + b.continuation,
    truncated: a.truncated + b.truncated,
    filtered: a.filtered + b.filtered,
    redacted: a.redacted + b.redacted,
  };
}

/**
 * Failures a retried invocation may recover from (the queue was unavailable, an unexpected error): the batch says
 * FAILED with the reason, and a retry of the same event splits it again.
 */
export const RETRYABLE_SPLIT_FAILURES: readonly BatchFailureCode[] = ['QUEUE_UNAVAILABLE', 'SPLIT_FAILED'];

/** True while a split may (still, or again) run and end in SPLIT. */
export function canSplit(batch: Batch): boolean {
  return (
    batch.status === BatchStatus.SPLITTING ||
    (batch.status === BatchStatus.FAILED && batch.failureCode !== undefined && RETRYABLE_SPLIT_FAILURES.includes(batch.failureCode))
  );
}

/** A batch's status can still move to a completed state only from here. */
export function awaitsCompletion(batch: Batch): boolean {
  return (
    batch.status === BatchStatus.SPLIT ||
    (batch.status === BatchStatus.FAILED && batch.failureCode === 'DEAD_LETTERED_CHUNKS')
  );
}

export interface CompletionDecision {
  readonly status: BatchStatus;
  readonly failureCode?: BatchFailureCode;
  readonly reason?: string;
}

/**
 * Decides the final status once splitting has ended and every chunk is accounted for, or undefined while work
 * is outstanding. Chunks in the DLQ fail the batch; redriving them and processing them completes it.
 */
export function decideCompletion(batch: Batch): CompletionDecision | undefined {
  if (!awaitsCompletion(batch) || batch.totalChunks === undefined) return undefined;
  const settled = batch.processedChunks + batch.deadLetteredChunks.length;
  if (settled < batch.totalChunks) return undefined;
  if (batch.deadLetteredChunks.length > 0) {
    const reason = deadLetteredReason(batch.deadLetteredChunks);
    // A failed batch whose redriven chunks succeeded in part keeps failing, with the reason naming what is left.
    if (batch.status === BatchStatus.FAILED && batch.reason === reason) return undefined;
    return { status: BatchStatus.FAILED, failureCode: 'DEAD_LETTERED_CHUNKS', reason };
  }
  return { status: batch.stats.unparsed > 0 ? BatchStatus.COMPLETED_WITH_ERRORS : BatchStatus.COMPLETED };
}

/** The chunks named, the first {@link REASON_CHUNKS} of them: a file of 10,000 failed chunks keeps a short reason. */
const REASON_CHUNKS = 20;

function deadLetteredReason(chunks: readonly number[]): string {
  const named = chunks.slice(0, REASON_CHUNKS).join(', ');
  return `${chunks.length} chunk(s) dead-lettered: ${chunks.length > REASON_CHUNKS ? `${named}, … (${chunks.length - REASON_CHUNKS} more)` : named}`;
}

export function isTerminal(status: BatchStatus): boolean {
  return status === BatchStatus.COMPLETED || status === BatchStatus.COMPLETED_WITH_ERRORS || status === BatchStatus.FAILED;
}
