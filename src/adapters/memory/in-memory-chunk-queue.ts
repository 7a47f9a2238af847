import { randomUUID } from 'node:crypto';
import type { ChunkQueue, EncodedChunk } from '../../application/ports/chunk-queue.port.js';
import type {
  DeadLetteredMessage,
  QueueConsumer,
  QueueDepth,
  ReceivedMessage,
  ReceiveOptions,
} from '../../application/ports/queue-consumer.port.js';
import { MAX_MESSAGE_BYTES, MAX_MESSAGES_PER_SEND } from '../../domain/chunk.js';
import type { ClaimedDeadLetter, DeadLetterStore, DeadLetterWorkerSettings } from '../../application/ports/dead-letter-store.port.js';
import { InMemoryDeadLetterStore } from './in-memory-dead-letter-store.js';
import { deadLetterAttributes, messageBytes, missingReason, REASON_ATTRIBUTE } from '../dead-letter-message.js';

export interface InMemoryChunkQueueOptions {
  /** How long a received message stays hidden. @default 30000 */
  readonly visibilityTimeoutMs?: number;
  /** Receives after which SQS moves a message to the DLQ instead of delivering it again. @default 5 */
  readonly maxReceiveCount?: number;
  /**
   * Messages (visible + in flight) above which `sendBatch` waits for consumers to delete some: the bound that keeps
   * a local splitter from running ahead of the workers. @default Infinity
   */
  readonly capacity?: number;
  /** Probability that a send also enqueues a duplicate (at-least-once delivery, for tests). @default 0 */
  readonly duplicateDeliveryRate?: number;
  /** Random source for duplicates; seed it for reproducible tests. @default Math.random */
  readonly random?: () => number;
  /** Deliver visible messages in random order (via `random`), as a standard queue may. @default false */
  readonly reorder?: boolean;
  /** Milliseconds clock. @default Date.now */
  readonly now?: () => number;
  /** Where dead letters are kept (the SQLite store keeps them past the process). @default in memory */
  readonly deadLetterStore?: DeadLetterStore;
  /** Kept with each dead letter, so a redrive of the store processes it as the run's worker would have. */
  readonly workerSettings?: DeadLetterWorkerSettings;
}

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentTimestamp: number;
  receiveCount: number;
  visibleAt: number;
  receiptHandle?: string;
  /** The dead letter a redrive put back: settled (removed from the store) once this message is deleted or moved. */
  claim?: number;
}

/**
 * The chunk queue and its DLQ in memory, with the semantics of an SQS standard queue: a received message is hidden
 * for the visibility timeout and comes back unless deleted; every receive counts; a message received
 * `maxReceiveCount` times is moved to the DLQ on its next receive; optional duplicate delivery.
 */
export class InMemoryChunkQueue implements ChunkQueue, QueueConsumer {
  private readonly messages = new Map<string, StoredMessage>();
  private readonly byReceipt = new Map<string, string>();
  private readonly deadLetters: DeadLetterStore;
  private readonly waiters = new Set<() => void>();
  private readonly spaceWaiters = new Set<() => void>();
  private readonly visibilityTimeoutMs: number;
  private readonly maxReceiveCount: number;
  private readonly capacity: number;
  private readonly duplicateDeliveryRate: number;
  private readonly random: () => number;
  private readonly reorder: boolean;
  private readonly now: () => number;
  private readonly workerSettings: DeadLetterWorkerSettings | undefined;
  private sequence = 0;

  constructor(options: InMemoryChunkQueueOptions = {}) {
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
    this.capacity = options.capacity ?? Number.POSITIVE_INFINITY;
    this.duplicateDeliveryRate = options.duplicateDeliveryRate ?? 0;
    this.random = options.random ?? Math.random;
    this.reorder = options.reorder ?? false;
    this.now = options.now ?? Date.now;
    this.deadLetters = options.deadLetterStore ?? new InMemoryDeadLetterStore();
    this.workerSettings = options.workerSettings;
  }

  async sendBatch(chunks: readonly EncodedChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    if (chunks.length > MAX_MESSAGES_PER_SEND) throw new RangeError(`a batch holds at most ${MAX_MESSAGES_PER_SEND} messages, got ${chunks.length}`);
    const total = chunks.reduce((sum, chunk) => sum + chunk.bytes, 0);
    if (total > MAX_MESSAGE_BYTES) throw new RangeError(`a batch carries at most ${MAX_MESSAGE_BYTES} bytes, got ${total}`);
    while (this.messages.size >= this.capacity) {
      await new Promise<void>((resolve) => this.spaceWaiters.add(resolve));
    }
    for (const chunk of chunks) {
      const messageId = randomUUID();
      this.enqueue(messageId, chunk.body);
      if (this.duplicateDeliveryRate > 0 && this.random() < this.duplicateDeliveryRate) this.enqueue(messageId, chunk.body);
    }
    this.wake();
  }

  /** As SQS: the body whole, the reason cut to fit beside it in 1 MiB (see {@link deadLetterAttributes}). */
  async deadLetter(body: string, reason: string, receiveCount?: number): Promise<void> {
    const attributes = deadLetterAttributes(body, reason, new Date(this.now()).toISOString());
    assertFitsInMessage(body, attributes);
    this.deadLetters.add({
      messageId: randomUUID(),
      body,
      reason: attributes[REASON_ATTRIBUTE] ?? missingReason(body, this.maxReceiveCount),
      ...(receiveCount === undefined ? {} : { receiveCount }),
      ...this.settingsToKeep(),
    });
  }

  async receive(maxMessages: number, options?: ReceiveOptions): Promise<ReceivedMessage[]> {
    const deadline = this.now() + (options?.waitMs ?? 0);
    const signal = options?.signal;
    for (;;) {
      const received = this.take(maxMessages);
      const remaining = deadline - this.now();
      if (received.length > 0 || remaining <= 0 || signal?.aborted === true) return received;
      await this.waitForWork(remaining, signal);
    }
  }

  async delete(receiptHandle: string): Promise<void> {
    const key = this.byReceipt.get(receiptHandle);
    if (key === undefined) return;
    this.byReceipt.delete(receiptHandle);
    const message = this.messages.get(key);
    // A stale receipt (the message was received again since) does not delete, as in SQS after a re-receive.
    if (message?.receiptHandle !== receiptHandle) return;
    this.messages.delete(key);
    if (message.claim !== undefined) this.deadLetters.settle(message.claim);
    for (const resolve of this.spaceWaiters) resolve();
    this.spaceWaiters.clear();
  }

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    const key = this.byReceipt.get(receiptHandle);
    const message = key === undefined ? undefined : this.messages.get(key);
    if (message === undefined || message.receiptHandle !== receiptHandle) return;
    message.visibleAt = this.now() + seconds * 1000;
    this.wake();
  }

  async depth(): Promise<QueueDepth> {
    const now = this.now();
    let visible = 0;
    for (const message of this.messages.values()) if (message.visibleAt <= now) visible++;
    return { visible, inFlight: this.messages.size - visible, deadLettered: this.deadLetters.count() };
  }

  /** True when nothing is visible, in flight or waiting: every sent message was deleted or dead-lettered. */
  get isDrained(): boolean {
    return this.messages.size === 0;
  }

  async listDeadLetters(options?: { limit?: number }): Promise<DeadLetteredMessage[]> {
    return this.deadLetters.list(options?.limit);
  }

  /** Claims the dead letters and puts them back on the queue; each leaves the store once its chunk settles. */
  async redriveDeadLetters(): Promise<number> {
    return this.requeue(this.deadLetters.claim());
  }

  /** Puts claimed dead letters back on the queue (a redrive that picked its letters itself). */
  requeue(claimed: readonly ClaimedDeadLetter[]): number {
    for (const message of claimed) this.enqueue(randomUUID(), message.body, message.claim);
    this.wake();
    return claimed.length;
  }

  private enqueue(messageId: string, body: string, claim?: number): void {
    const key = `${++this.sequence}`;
    this.messages.set(key, { messageId, body, sentTimestamp: this.now(), receiveCount: 0, visibleAt: this.now(), claim });
  }

  private settingsToKeep(): { workerSettings?: DeadLetterWorkerSettings } {
    return this.workerSettings === undefined ? {} : { workerSettings: this.workerSettings };
  }

  private take(maxMessages: number): ReceivedMessage[] {
    const now = this.now();
    const received: ReceivedMessage[] = [];
    let candidates: Iterable<[string, StoredMessage]> = this.messages;
    if (this.reorder) {
      const shuffled = [...this.messages];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      candidates = shuffled;
    }
    for (const [key, message] of candidates) {
      if (received.length >= maxMessages) break;
      if (message.visibleAt > now) continue;
      if (message.receiveCount >= this.maxReceiveCount) {
        // SQS's redrive: the receive that would exceed maxReceiveCount moves the message instead.
        this.messages.delete(key);
        this.deadLetters.add({
          messageId: message.messageId,
          body: message.body,
          reason: `moved by the queue after ${message.receiveCount} receives (maxReceiveCount ${this.maxReceiveCount})`,
          receiveCount: message.receiveCount,
          ...this.settingsToKeep(),
        });
        if (message.claim !== undefined) this.deadLetters.settle(message.claim);
        for (const resolve of this.spaceWaiters) resolve();
        this.spaceWaiters.clear();
        continue;
      }
      message.receiveCount += 1;
      message.visibleAt = now + this.visibilityTimeoutMs;
      message.receiptHandle = `${key}:${message.receiveCount}:${randomUUID()}`;
      this.byReceipt.set(message.receiptHandle, key);
      received.push({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        body: message.body,
        receiveCount: message.receiveCount,
        sentTimestamp: message.sentTimestamp,
      });
    }
    return received;
  }

  private waitForWork(maxWaitMs: number, signal: AbortSignal | undefined): Promise<void> {
    let nextVisible = Number.POSITIVE_INFINITY;
    for (const message of this.messages.values()) nextVisible = Math.min(nextVisible, message.visibleAt);
    const wait = Math.max(1, Math.min(maxWaitMs, nextVisible - this.now()));
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, wait);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    for (const resolve of [...this.waiters]) resolve();
  }
}

/** SQS refuses a message whose body and attributes exceed 1 MiB; so does its twin, so tests catch what AWS would. */
function assertFitsInMessage(body: string, attributes: Readonly<Record<string, string>>): void {
  const bytes = messageBytes(body, attributes);
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new RangeError(`a message (body and attributes) must be at most ${MAX_MESSAGE_BYTES} bytes, got ${bytes}`);
  }
}
