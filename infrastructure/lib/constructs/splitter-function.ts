import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Code } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { CONFIG_VARIABLES } from '../../../src/config/config.js';
import { pipelineEnvironment, type ResolvedPipelineTuning } from '../pipeline-environment.js';
import { assertDurationInRange, assertIntegerInRange, type LogLevel } from '../validation.js';
import { type ChunkQueue, VISIBILITY_TIMEOUT_FACTOR } from './chunk-queue.js';
import type { LogTable } from './log-table.js';
import { PipelineFunction } from './pipeline-function.js';

import { DEFAULT_SPLITTER_MEMORY_MB } from '../../../src/adapters/aws/lambda-cost.js';
import { SPLITTER_SERVICE_NAME } from '../../../src/handlers/powertools-telemetry.js';

export { SPLITTER_SERVICE_NAME };

/** Receives of a continuation before it is dead-lettered (AWS's minimum advice for a Lambda event source). */
const CONTINUATION_MAX_RECEIVE_COUNT = 5;

/** Props of {@link SplitterFunction}. */
export interface SplitterFunctionProps {
  /** The queue the chunks go to. */
  readonly chunkQueue: ChunkQueue;
  /** The table of batch records. */
  readonly table: LogTable;
  /** Validated pipeline tuning (see `resolvePipelineTuning`). */
  readonly tuning: ResolvedPipelineTuning;
  /**
   * Maximum run time of one split. The splitter streams the object; the longest Lambda timeout gives a large file
   * the most room before it must hand over.
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB; CPU (gunzip, line cutting, JSON encoding) scales with it.
   * @default 1024 (`DEFAULT_SPLITTER_MEMORY_MB`, which the emulator's cost estimate uses too)
   */
  readonly memorySize?: number;
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group and the splitter's queues when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Concurrent executions reserved for the splitter, which also bounds it: each split may run 15 minutes, and
   * unbounded splits could take the concurrency the worker needs. Uploads beyond it wait in Lambda's asynchronous
   * queue (alarm `SplitterEventAge`); hand-overs are taken by at most half of it (at least 2), so S3 events keep
   * room.
   * @default 10
   */
  readonly reservedConcurrency?: number;
  /**
   * Reserve concurrency at all (see `WorkerFunctionProps.reserveConcurrency`); without it `reservedConcurrency`
   * still sizes the hand-overs' share.
   * @default true
   */
  readonly reserveConcurrency?: boolean;
  /**
   * Times Lambda retries an S3 event whose split failed (0–2) before sending it to the failed-splits queue.
   * @default 2
   */
  readonly asyncRetryAttempts?: number;
  /**
   * How long Lambda keeps trying to deliver an S3 event (throttled at the reserved concurrency, or retrying)
   * before sending it to the failed-splits queue (1 minute to 6 hours).
   * @default Duration.hours(6)
   */
  readonly asyncMaxEventAge?: Duration;
  /**
   * How long a hand-over of a long split stays on the continuation queue (1 minute to 14 days).
   * @default Duration.days(14)
   */
  readonly continuationRetentionPeriod?: Duration;
  /** @default - `src/handlers/splitter.handler.ts` bundled with esbuild (tests only override it) */
  readonly code?: Code;
}

/**
 * The splitter Lambda: invoked for each upload (see `SplitterTrigger`), it reads the object, sends its chunks to the chunk queue and
 * keeps the batch record. A split that runs short of time hands the rest of the file over as a message on
 * {@link SplitterFunction.continuationQueue}, which the splitter consumes itself (batch size 1, partial failures
 * reported). An S3 event that still fails after Lambda's async retries (or waits too long) goes to
 * {@link SplitterFunction.deadLetterQueue} through an on-failure destination, whose record keeps the event
 * (`requestPayload`) and the error (`responsePayload`); a continuation that fails `maxReceiveCount` times is
 * redriven there as it is. Nothing is dropped.
 */
export class SplitterFunction extends Construct {
  /** The function, its role and its log group. */
  readonly handler: PipelineFunction;
  /** Hand-overs of long splits (`LOGBATCH_CONTINUATION_QUEUE_URL`), consumed by the splitter. */
  readonly continuationQueue: Queue;
  /**
   * Splits that failed after all retries: on-failure destination records of S3 events (event and error) and
   * continuations redriven by SQS.
   */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: SplitterFunctionProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const timeout = props.timeout ?? Duration.minutes(15);
    const reservedConcurrency = props.reservedConcurrency ?? 10;
    assertIntegerInRange('SplitterFunction', 'memorySize', props.memorySize ?? DEFAULT_SPLITTER_MEMORY_MB, 128, 10_240);
    assertIntegerInRange('SplitterFunction', 'reservedConcurrency', reservedConcurrency, 2, 10_000);
    const asyncRetryAttempts = props.asyncRetryAttempts ?? 2;
    const asyncMaxEventAge = props.asyncMaxEventAge ?? Duration.hours(6);
    const continuationRetentionPeriod = props.continuationRetentionPeriod ?? Duration.days(14);
    assertDurationInRange('SplitterFunction', 'timeout', timeout, Duration.seconds(1), Duration.minutes(15));
    assertIntegerInRange('SplitterFunction', 'asyncRetryAttempts', asyncRetryAttempts, 0, 2);
    assertDurationInRange('SplitterFunction', 'asyncMaxEventAge', asyncMaxEventAge, Duration.minutes(1), Duration.hours(6));
    assertDurationInRange(
      'SplitterFunction',
      'continuationRetentionPeriod',
      continuationRetentionPeriod,
      Duration.minutes(1),
      Duration.days(14),
    );
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    this.continuationQueue = new Queue(this, 'ContinuationQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      retentionPeriod: continuationRetentionPeriod,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: CONTINUATION_MAX_RECEIVE_COUNT },
      removalPolicy,
    });

    this.handler = new PipelineFunction(this, 'Handler', {
      entry: 'src/handlers/splitter.handler.ts',
      description: 'logbatch splitter: S3 object -> chunk messages on SQS, batch record in DynamoDB',
      serviceName: SPLITTER_SERVICE_NAME,
      timeout,
      memorySize: props.memorySize ?? DEFAULT_SPLITTER_MEMORY_MB,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
      logRemovalPolicy: removalPolicy,
      environment: pipelineEnvironment(props.tuning),
      tracing: props.tracing,
      reservedConcurrency: props.reserveConcurrency === false ? undefined : reservedConcurrency,
      code: props.code,
    });
    const fn = this.handler.function;
    // An on-failure destination rather than the function's dead-letter queue: its record carries the error as well
    // as the event, and the retry count and event age are stated here instead of left to Lambda's defaults.
    fn.configureAsyncInvoke({
      onFailure: new SqsDestination(this.deadLetterQueue),
      retryAttempts: asyncRetryAttempts,
      maxEventAge: asyncMaxEventAge,
    });
    // The ingest bucket is wired to the splitter by `SplitterTrigger`, which knows how uploads arrive.
    props.chunkQueue.connectSplitter(fn);
    props.table.connectSplitter(fn);
    // The continuation queue is the splitter's own: it sends hand-overs to it and consumes them one at a time.
    fn.addEnvironment(CONFIG_VARIABLES.continuationQueueUrl, this.continuationQueue.queueUrl);
    this.continuationQueue.grantSendMessages(fn);
    fn.addEventSource(
      new SqsEventSource(this.continuationQueue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: Math.max(2, Math.floor(reservedConcurrency / 2)),
      }),
    );
  }
}
