import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SendMessageBatchRequestEntry,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { inject, injectable } from 'inversify';
import type { ChunkQueue, EncodedChunk } from '../../application/ports/chunk-queue.port.js';
import type { DeadLetteredMessage, QueueConsumer, QueueDepth, ReceivedMessage, ReceiveOptions } from '../../application/ports/queue-consumer.port.js';
import { DEFAULT_PIPELINE_SETTINGS } from '../../application/pipeline-settings.js';
import type { AwsConfig } from '../../config/config.js';
import { AWS_TOKENS } from '../../di/aws.tokens.js';
import { MAX_MESSAGE_BYTES, MAX_MESSAGES_PER_SEND } from '../../domain/chunk.js';
import { LogBatchError, TransientFailureError } from '../../domain/errors.js';
import { deadLetterAttributes, MAX_REASON_LENGTH, messageBytes, missingReason, REASON_ATTRIBUTE } from '../dead-letter-message.js';
import { backoffDelayMs, isTransientAwsError, type RetryPolicy, retryPolicy, withTransientRetries } from './retry.js';

export { DEAD_LETTERED_AT_ATTRIBUTE, REASON_ATTRIBUTE } from '../dead-letter-message.js';
/** SQS caps `ReceiveMessage` at 10 messages and long polling at 20 seconds. */
const MAX_RECEIVE_BATCH = 10;
const MAX_WAIT_SECONDS = 20;
/** How long messages stay hidden while the DLQ is listed or redriven; listing shows them again at once after. */
const DLQ_HANDLING_VISIBILITY_SECONDS = 30;
/** Empty DLQ receives in a row after which a redrive stops, whatever the approximate count still says. */
const MAX_EMPTY_DLQ_POLLS = 3;

/** SQS refused chunks outright (the sender's fault, e.g. a body with characters SQS does not accept). */
export class ChunkRejectedError extends LogBatchError {
  readonly code = 'CHUNK_REJECTED';
}

/** The SQS queues the adapter works on, as {@link AwsConfig} names them. */
export type SqsQueueConfig = Pick<AwsConfig, 'queueUrl' | 'deadLetterQueueUrl'> & { readonly pipeline?: AwsConfig['pipeline'] };

/**
 * {@link ChunkQueue} and {@link QueueConsumer} on Amazon SQS (a standard queue with a redrive policy to a DLQ).
 *
 * `sendBatch` is one `SendMessageBatch` per call; entries that fail in a partially failed batch, and whole calls
 * that are throttled or fail with a 5xx, are retried with bounded exponential backoff and full jitter; when the
 * retries run out it throws ({@link TransientFailureError}) naming the chunks — a chunk is never lost silently.
 *
 * Listing the DLQ receives its messages with a short visibility timeout and makes them visible again at once
 * (SQS has no peek). Redriving receives, re-sends to the chunk queue (in batches within SQS's 10 messages and 1 MiB)
 * and deletes what was sent; unlike `StartMessageMoveTask`
 * (which drops message attributes such as `reason` on real AWS) this works the same on SQS and on emulators.
 */
@injectable()
export class SqsChunkQueue implements ChunkQueue, QueueConsumer {
  private readonly retry: RetryPolicy;
  private readonly maxReceiveCount: number;

  constructor(
    @inject(AWS_TOKENS.SqsClient) private readonly sqs: SQSClient,
    @inject(AWS_TOKENS.AwsConfig) private readonly queues: SqsQueueConfig,
    @inject(AWS_TOKENS.RetryPolicy) retry: Partial<RetryPolicy> = {},
  ) {
    this.retry = retryPolicy(retry);
    this.maxReceiveCount = queues.pipeline?.maxReceiveCount ?? DEFAULT_PIPELINE_SETTINGS.maxReceiveCount;
  }

  async sendBatch(chunks: readonly EncodedChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    if (chunks.length > MAX_MESSAGES_PER_SEND) {
      throw new RangeError(`a batch holds at most ${MAX_MESSAGES_PER_SEND} messages, got ${chunks.length}`);
    }
    const totalBytes = chunks.reduce((sum, chunk) => sum + chunk.bytes, 0);
    if (totalBytes > MAX_MESSAGE_BYTES) throw new RangeError(`a batch carries at most ${MAX_MESSAGE_BYTES} bytes, got ${totalBytes}`);
    const entries = chunks.map((chunk) => ({ Id: `c${chunk.chunk}`, MessageBody: chunk.body }));
    if (new Set(entries.map((entry) => entry.Id)).size !== entries.length) {
      throw new RangeError(`chunk indexes in one batch must be distinct: ${entries.map((entry) => entry.Id).join(', ')}`);
    }
    await this.sendEntries(this.queues.queueUrl, entries);
  }

  /**
   * Sends the body whole, with the reason and time as message attributes. Attributes count towards SQS's 1 MiB
   * limit, so beside a chunk body close to it the reason is cut (with `…`), or left out when the body fills the
   * message (see {@link deadLetterAttributes}); the batch has recorded the whole reason already.
   */
  async deadLetter(body: string, reason: string): Promise<void> {
    const attributes = deadLetterAttributes(body, sqsSafeText(reason, MAX_REASON_LENGTH), new Date().toISOString());
    await withTransientRetries(
      () =>
        this.sqs.send(
          new SendMessageCommand({
            QueueUrl: this.queues.deadLetterQueueUrl,
            MessageBody: body,
            MessageAttributes: Object.fromEntries(
              Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
            ),
          }),
        ),
      this.retry,
    );
  }

  async receive(maxMessages: number, options?: ReceiveOptions): Promise<ReceivedMessage[]> {
    const received: ReceivedMessage[] = [];
    // A long poll in flight is not abandoned (SQS would hide what it had taken for the visibility timeout); an
    // already aborted signal only skips the wait.
    const waitMs = options?.signal?.aborted === true ? 0 : (options?.waitMs ?? 0);
    let waitSeconds = Math.min(MAX_WAIT_SECONDS, Math.ceil(waitMs / 1000));
    while (received.length < maxMessages) {
      const wanted = Math.min(MAX_RECEIVE_BATCH, maxMessages - received.length);
      const messages = await this.receiveFrom(this.queues.queueUrl, wanted, { waitSeconds });
      received.push(...messages.map(toReceivedMessage));
      // Only the first call waits; more calls just drain what is already there, for batches over 10.
      waitSeconds = 0;
      if (messages.length < wanted) break;
    }
    return received;
  }

  async delete(receiptHandle: string): Promise<void> {
    await withTransientRetries(
      () => this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queues.queueUrl, ReceiptHandle: receiptHandle })),
      this.retry,
    );
  }

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await withTransientRetries(
      () =>
        this.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: this.queues.queueUrl,
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: Math.max(0, Math.round(seconds)),
          }),
        ),
      this.retry,
    );
  }

  async depth(): Promise<QueueDepth> {
    const [queue, deadLetters] = await Promise.all([
      this.approximateCounts(this.queues.queueUrl),
      this.approximateCounts(this.queues.deadLetterQueueUrl),
    ]);
    return { visible: queue.visible, inFlight: queue.inFlight, deadLettered: deadLetters.visible + deadLetters.inFlight };
  }

  async listDeadLetters(options?: { limit?: number }): Promise<DeadLetteredMessage[]> {
    const limit = options?.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return [];
    const received = await this.drainDeadLetters(limit);
    // Make everything seen visible again: listing must not consume (or delay) anything.
    await this.releaseDeadLetters(received.map((message) => message.ReceiptHandle ?? ''));
    return received.map((message) => ({
      messageId: message.MessageId ?? '',
      body: message.Body ?? '',
      reason: message.MessageAttributes?.[REASON_ATTRIBUTE]?.StringValue ?? missingReason(message.Body ?? '', this.maxReceiveCount),
    }));
  }

  async redriveDeadLetters(): Promise<number> {
    let moved = 0;
    // Move what is there now, not what comes back: a chunk that fails again at once would otherwise cycle forever.
    const atStart = (await this.approximateCounts(this.queues.deadLetterQueueUrl)).visible;
    // That count is approximate and can stay stale for a while, so it only bounds the redrive: it ends when receives
    // come back empty. A short poll can miss messages on real SQS, so an empty one is retried a few times, after a
    // backoff and as a long poll, before it is believed.
    let emptyPolls = 0;
    while (moved < atStart && emptyPolls < MAX_EMPTY_DLQ_POLLS) {
      if (emptyPolls > 0) await this.retry.sleep(Math.max(1, backoffDelayMs(emptyPolls, this.retry)));
      const messages = await this.receiveFrom(this.queues.deadLetterQueueUrl, Math.min(MAX_RECEIVE_BATCH, atStart - moved), {
        visibilityTimeoutSeconds: DLQ_HANDLING_VISIBILITY_SECONDS,
        waitSeconds: emptyPolls === 0 ? 0 : 1,
      });
      if (messages.length === 0) {
        emptyPolls += 1;
        continue;
      }
      emptyPolls = 0;
      moved += await this.moveDeadLetters(messages);
    }
    return moved;
  }

  /**
   * Re-sends received dead letters to the chunk queue, in batches SQS takes (10 messages and 1 MiB in all: ten
   * full-size chunks never fit in one), and deletes from the DLQ exactly the messages sent. When a batch fails, the
   * messages it did send are deleted all the same, those not sent are made visible in the DLQ again, and the error
   * is thrown: a dead letter is never lost, and ends up on both queues only when its delete fails after its send
   * (SQS's at-least-once delivery; processing a chunk twice counts it once).
   */
  private async moveDeadLetters(messages: readonly Message[]): Promise<number> {
    // Attributes (the reason) are left behind: a redriven chunk starts over as a fresh message.
    const entries = messages.map((message, index) => ({ Id: `m${index}`, MessageBody: message.Body ?? '' }));
    const receiptHandles = new Map(entries.map((entry, index) => [entry.Id, messages[index].ReceiptHandle ?? '']));
    const notSent = new Set(receiptHandles.keys());
    let moved = 0;
    try {
      for (const batch of sendableBatches(entries)) {
        const { sentIds, failure } = await this.trySendEntries(this.queues.queueUrl, batch);
        for (const id of sentIds) notSent.delete(id);
        if (sentIds.length > 0) {
          await this.deleteEntries(
            this.queues.deadLetterQueueUrl,
            sentIds.map((id) => receiptHandles.get(id) ?? ''),
          );
          moved += sentIds.length;
        }
        if (failure !== undefined) throw failure;
      }
    } catch (error) {
      // Best effort: a message left hidden comes back after the visibility timeout anyway, and the error that
      // stopped the redrive is the one worth reporting.
      await this.releaseDeadLetters([...notSent].map((id) => receiptHandles.get(id) ?? '')).catch(() => undefined);
      throw error;
    }
    return moved;
  }

  /** Sends entries, retrying failed ones and transient call failures; throws when a chunk cannot be sent. */
  private async sendEntries(queueUrl: string, entries: readonly SendMessageBatchRequestEntry[]): Promise<void> {
    const { failure } = await this.trySendEntries(queueUrl, entries);
    if (failure !== undefined) throw failure;
  }

  /**
   * Sends entries as one `SendMessageBatch`, retrying failed ones and transient call failures. Returns the ids SQS
   * accepted and, when some entries could not be sent, why: an entry SQS rejects as the sender's fault, a call that
   * fails for good, or retries that run out. Entries accepted before a failure are sent and listed all the same.
   */
  private async trySendEntries(
    queueUrl: string,
    entries: readonly SendMessageBatchRequestEntry[],
  ): Promise<{ sentIds: string[]; failure?: unknown }> {
    let pending = [...entries];
    const sentIds: string[] = [];
    let lastProblem = '';
    for (let attempt = 1; ; attempt += 1) {
      try {
        const response = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
        const failed = response.Failed ?? [];
        const failedIds = new Set(failed.map((failure) => failure.Id));
        for (const entry of pending) if (!failedIds.has(entry.Id)) sentIds.push(entry.Id ?? '');
        const rejected = failed.filter((failure) => failure.SenderFault === true);
        if (rejected.length > 0) {
          const failure = new ChunkRejectedError(
            `SQS rejected ${rejected.length} message(s): ${rejected.map((failure) => `${failure.Id}: ${failure.Code} ${failure.Message ?? ''}`.trim()).join('; ')}`,
          );
          return { sentIds, failure };
        }
        if (failed.length === 0) return { sentIds };
        pending = pending.filter((entry) => failedIds.has(entry.Id));
        lastProblem = failed.map((failure) => `${failure.Id}: ${failure.Code}`).join(', ');
      } catch (error) {
        if (!isTransientAwsError(error)) return { sentIds, failure: error };
        lastProblem = (error as Error).message || (error as Error).name;
      }
      if (attempt >= this.retry.maxAttempts) {
        const failure = new TransientFailureError(
          `SendMessageBatch to ${queueUrl}: ${pending.length} message(s) (${pending.map((entry) => entry.Id).join(', ')}) not accepted after ${attempt} attempts; last: ${lastProblem}`,
        );
        return { sentIds, failure };
      }
      await this.retry.sleep(backoffDelayMs(attempt - 1, this.retry));
    }
  }

  private async deleteEntries(queueUrl: string, receiptHandles: readonly string[]): Promise<void> {
    let pending = receiptHandles.map((handle, index) => ({ Id: `d${index}`, ReceiptHandle: handle }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const response = await withTransientRetries(
        () => this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending })),
        this.retry,
      );
      const failedIds = new Set((response.Failed ?? []).filter((failure) => failure.SenderFault !== true).map((failure) => failure.Id));
      pending = pending.filter((entry) => failedIds.has(entry.Id));
      if (pending.length > 0 && attempt >= this.retry.maxAttempts) {
        throw new TransientFailureError(`DeleteMessageBatch on ${queueUrl}: ${pending.length} message(s) not deleted after ${attempt} attempts`);
      }
      if (pending.length > 0) await this.retry.sleep(backoffDelayMs(attempt - 1, this.retry));
    }
  }

  /** Receives DLQ messages, hidden for a while so repeated receives return new ones, until `limit` or none left. */
  private async drainDeadLetters(limit: number): Promise<Message[]> {
    const seen = new Map<string, Message>();
    const { visible } = await this.approximateCounts(this.queues.deadLetterQueueUrl);
    let emptyPolls = 0;
    while (seen.size < Math.min(limit, visible) && emptyPolls < 2) {
      const messages = await this.receiveFrom(this.queues.deadLetterQueueUrl, Math.min(MAX_RECEIVE_BATCH, limit - seen.size), {
        visibilityTimeoutSeconds: DLQ_HANDLING_VISIBILITY_SECONDS,
        // A short poll may sample only some SQS hosts; after an empty one, long-poll once to be sure.
        waitSeconds: emptyPolls === 0 ? 0 : 1,
      });
      emptyPolls = messages.length === 0 ? emptyPolls + 1 : 0;
      for (const message of messages) seen.set(message.MessageId ?? `${seen.size}`, message);
    }
    return [...seen.values()];
  }

  private async releaseDeadLetters(receiptHandles: readonly string[]): Promise<void> {
    for (let start = 0; start < receiptHandles.length; start += MAX_RECEIVE_BATCH) {
      const entries = receiptHandles
        .slice(start, start + MAX_RECEIVE_BATCH)
        .map((handle, index) => ({ Id: `v${index}`, ReceiptHandle: handle, VisibilityTimeout: 0 }));
      await withTransientRetries(
        () => this.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.queues.deadLetterQueueUrl, Entries: entries })),
        this.retry,
      );
    }
  }

  private async receiveFrom(
    queueUrl: string,
    maxMessages: number,
    options: { waitSeconds: number; visibilityTimeoutSeconds?: number },
  ): Promise<Message[]> {
    const response = await withTransientRetries(
      () =>
        this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: maxMessages,
            WaitTimeSeconds: options.waitSeconds,
            VisibilityTimeout: options.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
            MessageAttributeNames: ['All'],
          }),
        ),
      this.retry,
    );
    return response.Messages ?? [];
  }

  private async approximateCounts(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
    const response = await withTransientRetries(
      () =>
        this.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
          }),
        ),
      this.retry,
    );
    const attributes = response.Attributes ?? {};
    return {
      visible: Number(attributes.ApproximateNumberOfMessages ?? 0) + Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
      inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }
}

/**
 * Entries split, in order, into batches one `SendMessageBatch` takes: at most {@link MAX_MESSAGES_PER_SEND} entries
 * and {@link MAX_MESSAGE_BYTES} in all, counted as SQS counts them (see {@link messageBytes}). An entry that alone
 * is over the limit gets a batch of its own, for SQS to refuse.
 */
function sendableBatches(entries: readonly SendMessageBatchRequestEntry[]): SendMessageBatchRequestEntry[][] {
  const batches: SendMessageBatchRequestEntry[][] = [];
  let batch: SendMessageBatchRequestEntry[] = [];
  let batchBytes = 0;
  for (const entry of entries) {
    const bytes = entryBytes(entry);
    if (batch.length > 0 && (batch.length >= MAX_MESSAGES_PER_SEND || batchBytes + bytes > MAX_MESSAGE_BYTES)) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push(entry);
    batchBytes += bytes;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Bytes SQS counts for a batch entry: its body and its message attributes. */
function entryBytes(entry: SendMessageBatchRequestEntry): number {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) attributes[name] = value.StringValue ?? '';
  return messageBytes(entry.MessageBody ?? '', attributes);
}

function toReceivedMessage(message: Message): ReceivedMessage {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined) attributes[name] = value.StringValue;
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
    sentTimestamp: Number(message.Attributes?.SentTimestamp ?? 0),
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
  };
}

/** Text SQS accepts in a message attribute (#x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF), cut to a length. */
export function sqsSafeText(text: string, maxLength: number): string {
  // eslint-disable-next-line no-control-regex
  const safe = text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
  return safe.length <= maxLength ? safe : `${safe.slice(0, maxLength - 1)}…`;
}
