import { inject, injectable } from 'inversify';
import { TOKENS } from '../di/tokens.js';
import { type Batch, type ChunkStats, decideCompletion } from '../domain/batch.js';
import { decodeChunk, peekChunkIdentity } from '../domain/chunk.js';
import { buildEntries, type EntryPolicy } from '../domain/entry-builder.js';
import { compileEventFilter } from '../domain/filtering/event-filter.js';
import { Redactor } from '../domain/redaction/redactor.js';
import { BatchNotFoundError, describeError, MalformedChunkError } from '../domain/errors.js';
import type { PipelineSettings } from './pipeline-settings.js';
import type { ChunkQueue } from './ports/chunk-queue.port.js';
import type { Clock } from './ports/clock.port.js';
import type { LogRepository } from './ports/log-repository.port.js';

/** One delivery of a queue message, as the event source hands it over. */
export interface ChunkDelivery {
  readonly body: string;
  /** 1 on the first delivery (SQS `ApproximateReceiveCount`). */
  readonly receiveCount: number;
}

export type DeliveryOutcome =
  | { readonly kind: 'processed'; readonly outcome: ChunkOutcome }
  /** Sent to the DLQ with a reason (malformed, or failed on its last allowed receive); delete it from the queue. */
  | { readonly kind: 'dead-lettered'; readonly reason: string }
  /** Failed, with receives left: report it as a batch item failure so it comes back. */
  | { readonly kind: 'retry'; readonly reason: string; readonly error: unknown };

export interface ChunkOutcome {
  readonly batchId: string;
  readonly chunk: number;
  readonly stats: ChunkStats;
  /** False when the chunk had been counted before (a redelivery): entries were rewritten, counters untouched. */
  readonly counted: boolean;
  readonly batch: Batch;
}

/**
 * Processes one chunk message: validates it, parses every event into an entry, stores the entries (idempotently)
 * and counts the chunk into its batch exactly once, then completes the batch if this was the last piece of work.
 */
@injectable()
export class ProcessChunk {
  /** Filters and redactor compiled once (regular expressions, detector selection), not per chunk. */
  private readonly policy: EntryPolicy;

  constructor(
    @inject(TOKENS.LogRepository) private readonly repository: LogRepository,
    @inject(TOKENS.ChunkQueue) private readonly queue: ChunkQueue,
    @inject(TOKENS.PipelineSettings) private readonly settings: PipelineSettings,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {
    this.policy = {
      filter: compileEventFilter(settings.filters),
      redactor: Redactor.compile(settings.redaction),
      keepRaw: repository.keepsRaw !== false,
    };
  }

  /**
   * Handles one delivery with the queue's redrive rule made explicit: a malformed message goes to the DLQ at once
   * with its reason; a failure on the last allowed receive goes there too and is recorded in the batch; any other
   * failure is retried.
   */
  async handleDelivery(delivery: ChunkDelivery): Promise<DeliveryOutcome> {
    try {
      return { kind: 'processed', outcome: await this.execute(delivery.body) };
    } catch (error) {
      const reason = describeError(error);
      const lastReceive = delivery.receiveCount >= this.settings.maxReceiveCount;
      if (!(error instanceof MalformedChunkError) && !lastReceive) return { kind: 'retry', reason, error };
      const dlqReason = error instanceof MalformedChunkError ? reason : `failed ${delivery.receiveCount} time(s), last: ${reason}`;
      return this.deadLetter(delivery.body, dlqReason, delivery.receiveCount);
    }
  }

  /**
   * A delivery the worker gives back without starting it (its invocation is near its deadline): retried, unless this
   * was its last allowed receive. Given back then, SQS would move it to the DLQ on its next receive with no reason and
   * no record in its batch, which would wait in SPLIT for a chunk nobody processes; it goes to the DLQ here instead,
   * with the reason, and its batch learns of it (`dlq redrive` processes it).
   */
  async handleUnstarted(delivery: ChunkDelivery, reason: string): Promise<Exclude<DeliveryOutcome, { kind: 'processed' }>> {
    if (delivery.receiveCount < this.settings.maxReceiveCount) return { kind: 'retry', reason, error: undefined };
    return this.deadLetter(delivery.body, `not started on its last allowed receive (${delivery.receiveCount}): ${reason}`, delivery.receiveCount);
  }

  private async deadLetter(body: string, reason: string, receiveCount: number): Promise<{ readonly kind: 'dead-lettered'; readonly reason: string }> {
    // The batch learns of the dead letter before the DLQ gets it: if the worker dies in between, SQS still moves
    // the message on its next receive, so the DLQ and the batch agree either way.
    const identity = peekChunkIdentity(body);
    if (identity.batchId !== undefined && identity.chunk !== undefined) {
      await this.recordDeadLetter(identity.batchId, identity.chunk, reason);
    }
    await this.queue.deadLetter(body, reason, receiveCount);
    return { kind: 'dead-lettered', reason };
  }

  /** Throws {@link MalformedChunkError} for a message that can never succeed (it belongs on the DLQ). */
  async execute(body: string): Promise<ChunkOutcome> {
    const message = decodeChunk(body);
    const built = buildEntries(message, this.clock.now(), this.policy);
    const written = await this.repository.putEntries(built.entries);
    // Entries the store could hold only unparsed count as unparsed, so the batch ends COMPLETED_WITH_ERRORS.
    const storedUnparsed = written?.storedUnparsed ?? 0;
    const stats = storedUnparsed === 0 ? built.stats : { ...built.stats, unparsed: built.stats.unparsed + storedUnparsed };
    let recorded: { applied: boolean; batch: Batch };
    try {
      recorded = await this.repository.recordChunkProcessed(message.batchId, message.chunk, stats);
    } catch (error) {
      if (error instanceof BatchNotFoundError) {
        throw new MalformedChunkError(`chunk ${message.chunk} names batch ${message.batchId}, which does not exist`, { cause: error });
      }
      throw error;
    }
    const batch = await this.completeIfDone(recorded.batch);
    return { batchId: message.batchId, chunk: message.chunk, stats, counted: recorded.applied, batch };
  }

  private async recordDeadLetter(batchId: string, chunk: number, reason: string): Promise<void> {
    const batch = await this.repository.recordChunkDeadLettered(batchId, chunk, reason);
    if (batch !== undefined) await this.completeIfDone(batch);
  }

  private async completeIfDone(batch: Batch): Promise<Batch> {
    const decision = decideCompletion(batch);
    if (decision === undefined) return batch;
    await this.repository.completeBatch(batch, decision);
    return (await this.repository.getBatch(batch.batchId)) ?? batch;
  }
}
