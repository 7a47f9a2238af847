import { defaultMaxListeners, setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { QueueConsumer } from '../application/ports/queue-consumer.port.js';
import { describeError } from '../domain/errors.js';
import { LOCAL_CONTINUATION_QUEUE_ARN, type ObjectCreated, objectCreatedEvent, sqsEvent } from './aws-events.js';

export interface LocalRuntimeOptions {
  /** The splitter handler, as deployed (`createSplitterHandler(...)`). */
  readonly splitter: (event: S3Event | SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<unknown>;
  /** Continuations the splitter hands over; the runtime invokes the splitter with each, as its SQS trigger would. */
  readonly continuations?: { take(): Promise<string | undefined> };
  /**
   * The splitter's time limit per invocation (Lambda's timeout); with it the splitter sees a Lambda context and hands
   * over before the limit. @default no limit
   */
  readonly splitterTimeoutMs?: number;
  /** Builds the context of each splitter invocation instead of `splitterTimeoutMs` (tests play time-outs with it). */
  readonly splitterContext?: () => Pick<Context, 'getRemainingTimeInMillis'>;
  /** Invocations of the splitter per event before it is given up (Lambda retries async invocations twice). @default 3 */
  readonly splitterAttempts?: number;
  /** Wraps every handler invocation (fault injection scopes its crashes to one invocation with it). */
  readonly aroundInvocation?: <T>(kind: 'splitter' | 'worker', invoke: () => Promise<T>) => Promise<T>;
  /** The worker handler, as deployed (`createWorkerHandler(...)`). */
  readonly worker: (event: SQSEvent) => Promise<SQSBatchResponse>;
  /** The chunk queue, consumed the way Lambda's SQS event source does. */
  readonly queue: QueueConsumer;
  /** Worker invocations in flight at once (Lambda's maximum concurrency). @default 2 */
  readonly workerConcurrency?: number;
  /** Messages per worker invocation (the event source's batch size). @default 10 */
  readonly batchSize?: number;
  /**
   * Seconds a failed message stays hidden before it is retried. Lambda leaves it for the queue's visibility
   * timeout; locally a short delay keeps retries quick. @default 0.05
   */
  readonly retryDelaySeconds?: number;
  /** Long-poll wait of one receive. @default 50 */
  readonly pollWaitMs?: number;
  /**
   * While a worker invocation runs, its messages are hidden again this often (for three times as long). A local
   * invocation has no Lambda timeout to end it before the queue's visibility timeout runs out, so a slow one (a 1 MiB
   * chunk against DynamoDB Local) would otherwise be received again by another poller and processed twice, and its
   * receives counted towards the DLQ. @default 10000
   */
  readonly visibilityHeartbeatMs?: number;
  /** Called after each worker invocation. */
  readonly onWorkerInvocation?: (info: { messages: number; failed: number }) => void;
}

export interface LocalRunReport {
  readonly splitterInvocations: number;
  readonly splitterErrors: readonly string[];
  readonly workerInvocations: number;
  readonly workerErrors: readonly string[];
}

/**
 * Plays AWS's glue locally: turns each upload into an S3 event for the splitter, and meanwhile polls the chunk
 * queue and invokes the worker with SQS-shaped batches, deleting what succeeded and making `batchItemFailures`
 * visible again (their receive count grows, and the queue redrives them to its DLQ at `maxReceiveCount`).
 * Splitting and processing interleave; the queue's capacity bounds how far the splitter runs ahead.
 */
export class LocalRuntime {
  private readonly workerConcurrency: number;
  private readonly batchSize: number;
  private readonly retryDelaySeconds: number;
  private readonly pollWaitMs: number;
  private readonly visibilityHeartbeatMs: number;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.workerConcurrency = options.workerConcurrency ?? 2;
    this.batchSize = options.batchSize ?? 10;
    this.retryDelaySeconds = options.retryDelaySeconds ?? 0.05;
    this.pollWaitMs = options.pollWaitMs ?? 50;
    this.visibilityHeartbeatMs = options.visibilityHeartbeatMs ?? 10_000;
  }

  /**
   * Splits every upload and processes every chunk until the queue is drained. `uploads` may be an endless async
   * stream (a bucket being watched): then the runtime serves until `signal` aborts.
   */
  async run(
    uploads: Iterable<ObjectCreated> | AsyncIterable<ObjectCreated>,
    options: {
      signal?: AbortSignal;
      /**
       * Also poll the splitter's own queue on its own, as its SQS trigger does, until `signal` aborts: what other
       * clients put there (a backfill) is split even when no upload comes. Without it the queue is read after uploads.
       */
      serveSplitterQueue?: boolean;
    } = {},
  ): Promise<LocalRunReport> {
    const { signal } = options;
    const splitterErrors: string[] = [];
    const workerErrors: string[] = [];
    let splitterInvocations = 0;
    let workerInvocations = 0;
    let splittingDone = false;
    // Pollers long-poll the queue; a nudge ends their wait so they notice at once that the run may be over (splitting
    // done, or another poller's last invocation finished) instead of each sitting out its wait.
    // Every poller waits on the one wake signal, one abort listener each, removed when its wait ends: allow that many
    // without Node's MaxListenersExceededWarning (never fewer than Node's default, so a real leak still shows).
    const wakeListeners = Math.max(defaultMaxListeners, this.workerConcurrency);
    const wakeController = () => {
      const controller = new AbortController();
      setMaxListeners(wakeListeners, controller.signal);
      return controller;
    };
    let wake = wakeController();
    const nudge = () => {
      wake.abort();
      wake = wakeController();
    };

    const around = this.options.aroundInvocation ?? (<T>(_kind: string, invoke: () => Promise<T>) => invoke());
    const attempts = this.options.splitterAttempts ?? 3;
    const invokeSplitter = async (event: S3Event | SQSEvent, label: string) => {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        splitterInvocations++;
        try {
          const result = (await around('splitter', () => this.options.splitter(event, this.splitterContext()))) as SQSBatchResponse | undefined;
          if ((result?.batchItemFailures?.length ?? 0) === 0) return;
          splitterErrors.push(`${label}: continuation failed (attempt ${attempt})`);
        } catch (error) {
          splitterErrors.push(`${label}: ${describeError(error)} (attempt ${attempt})`);
        }
      }
    };
    const splitting = (async () => {
      try {
        for await (const upload of uploads) {
          if (signal?.aborted === true) break;
          await invokeSplitter(objectCreatedEvent(upload), upload.key);
          for (let body = await this.options.continuations?.take(); body !== undefined; body = await this.options.continuations?.take()) {
            const message = { messageId: `continuation-${splitterInvocations}`, receiptHandle: 'local', body, receiveCount: 1, sentTimestamp: Date.now() };
            await invokeSplitter(sqsEvent([message], LOCAL_CONTINUATION_QUEUE_ARN), upload.key);
          }
        }
      } finally {
        splittingDone = true;
        nudge();
      }
    })();

    const serveSplitterQueue = async () => {
      const continuations = this.options.continuations;
      if (options.serveSplitterQueue !== true || continuations === undefined || signal === undefined) return;
      while (!signal.aborted) {
        const body = await continuations.take();
        if (body === undefined) {
          await delay(this.pollWaitMs, undefined, { signal }).catch(() => undefined);
          continue;
        }
        const message = { messageId: `splitter-queue-${splitterInvocations}`, receiptHandle: 'local', body, receiveCount: 1, sentTimestamp: Date.now() };
        await invokeSplitter(sqsEvent([message], LOCAL_CONTINUATION_QUEUE_ARN), 'splitter queue');
      }
    };

    const poll = async () => {
      for (;;) {
        if (signal?.aborted === true) return;
        // Taken before looking, so a nudge that comes while this poller checks or waits is not missed.
        const nudged = wake.signal;
        const messages = await this.options.queue.receive(this.batchSize, { waitMs: this.pollWaitMs, signal: nudged });
        if (messages.length === 0) {
          if (splittingDone && (await this.isDrained())) return;
          continue;
        }
        workerInvocations++;
        let failedIds: Set<string>;
        const heartbeat = this.keepHidden(messages);
        try {
          const response = await around('worker', () => this.options.worker(sqsEvent(messages)));
          failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
        } catch (error) {
          // A handler that throws fails the whole batch, as on Lambda.
          workerErrors.push(describeError(error));
          failedIds = new Set(messages.map((message) => message.messageId));
        } finally {
          await heartbeat.stop();
        }
        for (const message of messages) {
          if (failedIds.has(message.messageId)) await this.options.queue.changeVisibility(message.receiptHandle, this.retryDelaySeconds);
          else await this.options.queue.delete(message.receiptHandle);
        }
        this.options.onWorkerInvocation?.({ messages: messages.length, failed: failedIds.size });
        if (splittingDone) {
          nudge();
          if (await this.isDrained()) return;
        }
      }
    };

    await Promise.all([splitting, serveSplitterQueue(), ...Array.from({ length: this.workerConcurrency }, poll)]);
    return { splitterInvocations, splitterErrors, workerInvocations, workerErrors };
  }

  /** Hides `messages` again every {@link visibilityHeartbeatMs} until stopped (a failed extension is left to the queue). */
  private keepHidden(messages: ReadonlyArray<{ receiptHandle: string }>): { stop(): Promise<void> } {
    const seconds = Math.ceil((3 * this.visibilityHeartbeatMs) / 1000);
    let pending: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      pending = Promise.allSettled(messages.map((message) => this.options.queue.changeVisibility(message.receiptHandle, seconds)));
    }, this.visibilityHeartbeatMs);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        // An extension still on its way must not land after the delete or the retry delay below.
        await pending;
      },
    };
  }

  /** A Lambda-like context whose remaining time runs down from the splitter's timeout. */
  private splitterContext(): Pick<Context, 'getRemainingTimeInMillis'> | undefined {
    if (this.options.splitterContext !== undefined) return this.options.splitterContext();
    const timeout = this.options.splitterTimeoutMs;
    if (timeout === undefined) return undefined;
    const started = performance.now();
    return { getRemainingTimeInMillis: () => Math.max(0, timeout - (performance.now() - started)) };
  }

  private async isDrained(): Promise<boolean> {
    const depth = await this.options.queue.depth();
    return depth.visible === 0 && depth.inFlight === 0;
  }
}
