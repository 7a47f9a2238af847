import { inject, injectable } from 'inversify';
import { TOKENS } from '../di/tokens.js';
import { type Batch, decideCompletion } from '../domain/batch.js';
import { peekChunkIdentity } from '../domain/chunk.js';
import type { LogRepository } from './ports/log-repository.port.js';
import type { DeadLetteredMessage, QueueConsumer } from './ports/queue-consumer.port.js';

export interface DeadLetterReport extends DeadLetteredMessage {
  readonly batchId?: string;
  readonly chunk?: number;
  /** The batch's status after reconciliation, when the message names a batch that exists. */
  readonly batchStatus?: string;
}

/**
 * The operator's view of the DLQ. Listing also reconciles: a chunk SQS moved on its own (its worker died on the
 * last receive, so nobody recorded it) is recorded in its batch, and a batch that is now settled is completed.
 * So after `logbatch dlq list` the batches and the DLQ agree, whatever crashed in between.
 */
@injectable()
export class DeadLetters {
  constructor(
    @inject(TOKENS.QueueConsumer) private readonly queue: QueueConsumer,
    @inject(TOKENS.LogRepository) private readonly repository: LogRepository,
  ) {}

  async list(options?: { limit?: number }): Promise<DeadLetterReport[]> {
    const messages = await this.queue.listDeadLetters(options);
    const reports: DeadLetterReport[] = [];
    for (const message of messages) {
      const { batchId, chunk } = peekChunkIdentity(message.body);
      let batch: Batch | undefined;
      if (batchId !== undefined && chunk !== undefined) {
        batch = await this.repository.recordChunkDeadLettered(batchId, chunk, message.reason);
        if (batch !== undefined) batch = await this.completeIfSettled(batch);
      }
      reports.push({ ...message, batchId, chunk, batchStatus: batch?.status });
    }
    return reports;
  }

  /** Moves every dead letter back to the chunk queue; their batches complete as the chunks succeed. */
  async redrive(): Promise<number> {
    return this.queue.redriveDeadLetters();
  }

  private async completeIfSettled(batch: Batch): Promise<Batch> {
    const decision = decideCompletion(batch);
    if (decision === undefined) return batch;
    await this.repository.completeBatch(batch, decision);
    return (await this.repository.getBatch(batch.batchId)) ?? batch;
  }
}
