import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Code } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ChunkQueue } from './constructs/chunk-queue.js';
import { type ExistingLogBucket, type ResolvedExistingBucket, resolveExistingBuckets } from './constructs/existing-buckets.js';
import { IngestBucket } from './constructs/ingest-bucket.js';
import { LogTable } from './constructs/log-table.js';
import { type PipelineAlarmThresholds, PipelineMonitoring } from './constructs/pipeline-monitoring.js';
import { SplitterFunction } from './constructs/splitter-function.js';
import { SplitterTrigger, type SplitterTriggerKind } from './constructs/splitter-trigger.js';
import { WorkerFunction } from './constructs/worker-function.js';
import {
  type PipelineFilters,
  type PipelineRedaction,
  type PipelineTuning,
  resolvePipelineFilters,
  resolvePipelineRedaction,
  resolvePipelineTuning,
} from './pipeline-environment.js';
import { assertLogLevel, InvalidPropsError, type LogLevel } from './validation.js';

/** Sizing of the splitter function. */
export interface SplitterSizing {
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default Duration.minutes(15) */
  readonly timeout?: Duration;
  /** Reserved (and maximum) concurrent splits. @default 10 */
  readonly reservedConcurrency?: number;
}

/** Sizing of the worker function and its SQS event source. */
export interface WorkerSizing {
  /** @default 1024 */
  readonly memorySize?: number;
  /** The chunk queue's visibility timeout is 6 × this. @default Duration.minutes(2) */
  readonly timeout?: Duration;
  /** Chunks per invocation (1–10,000; above 10 needs `maxBatchingWindow`). @default 10 */
  readonly batchSize?: number;
  /** @default - no batching window */
  readonly maxBatchingWindow?: Duration;
  /** Concurrent invocations at most (2–1,000); bounds the write rate on DynamoDB. @default 10 */
  readonly maxConcurrency?: number;
  /** Reserved concurrent executions, at least `maxConcurrency`. @default maxConcurrency */
  readonly reservedConcurrency?: number;
}

/** Options of the table of batches and entries (the entries' TTL is `tuning.entryTtlDays`). */
export interface LogBatchTableOptions {
  /**
   * Physical name of the table. A fixed name cannot be replaced by an update, and two stacks cannot share it.
   * @default - a name CloudFormation generates
   */
  readonly tableName?: string;
  /**
   * Point-in-time recovery (35 days of continuous backups).
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
}

/** Props of {@link LogBatchPipeline}. Every prop is optional: the defaults deploy a working pipeline. */
export interface LogBatchPipelineProps {
  /**
   * Delete the table, log groups and queues with the stack (buckets too, if empty). For development stacks only.
   * @default false (everything that holds data is retained)
   */
  readonly destroyOnRemoval?: boolean;
  /**
   * Reserve concurrency for both functions (`splitter.reservedConcurrency`, `worker.reservedConcurrency`). Lambda
   * keeps 100 of the account's quota unreserved: turn this off in an account whose quota is too small for that.
   * @default true
   */
  readonly reserveConcurrency?: boolean;
  /**
   * X-Ray active tracing of both functions.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Level of both functions' structured logs.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Days the functions' log groups keep logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * How uploads reach the splitter: the bucket's notification invokes it (`notification`), the bucket's events go
   * through an EventBridge rule to a queue that feeds it (`eventbridge`), or the bucket notifies a queue that feeds it
   * (`sqs`; an SNS topic may deliver S3 notifications to that queue too). See docs/deploy.md.
   * @default 'notification'
   */
  readonly trigger?: SplitterTriggerKind;
  /**
   * Buckets the pipeline reads that it does not create (names, ARNs or `IBucket`s, with optional prefixes, KMS key
   * and owner account each), alongside the ingest bucket or instead of it (`createIngestBucket: false`). The splitter
   * may read exactly their configured prefixes and `kms:Decrypt` with exactly their keys; the trigger is wired as far
   * as a stack can for a bucket it does not own, and the bucket's owner adds the rest (docs/deploy.md).
   * @default []
   */
  readonly existingBuckets?: readonly ExistingLogBucket[];
  /**
   * Create the ingest bucket (`InputLogs`). Turn it off to read only `existingBuckets`; the `ingest*` props are then
   * refused.
   * @default true
   */
  readonly createIngestBucket?: boolean;
  /** The table of batches and entries. @default see {@link LogBatchTableOptions} */
  readonly table?: LogBatchTableOptions;
  /**
   * Only keys starting with this prefix are split.
   * @default - every key
   */
  readonly ingestKeyPrefix?: string;
  /**
   * Only keys ending with this suffix are split.
   * @default - every key
   */
  readonly ingestKeySuffix?: string;
  /**
   * Name of the ingest bucket. Set it to keep (adopt) an existing bucket; the default is new for each creation of
   * the stack, so a stack deployed again after `cdk destroy` does not collide with its retained bucket.
   * @default `logbatch-ingest-<hash>-<12 hex of the stack id>-<region>`
   */
  readonly ingestBucketName?: string;
  /**
   * Days after which uploaded objects expire from the ingest bucket; 0 keeps them.
   * @default 30
   */
  readonly ingestObjectExpirationDays?: number;
  /** Chunk budgets, format, entry TTL (30 days unless set). @default the application's defaults, entries kept 30 days */
  readonly tuning?: PipelineTuning;
  /**
   * Lines the worker keeps: `include`/`exclude` regular expressions on the raw event text, `minSeverity` on the parsed
   * severity (`LOGBATCH_INCLUDE`, `LOGBATCH_EXCLUDE`, `LOGBATCH_MIN_SEVERITY`). Validated at synth. See docs/security.md.
   * @default - every line kept
   */
  readonly filters?: PipelineFilters;
  /**
   * Redaction before entries reach the table (`LOGBATCH_REDACT`, `LOGBATCH_REDACT_REPLACEMENT`, and the HMAC key's
   * secret, `LOGBATCH_REDACT_KEY_SECRET_ARN`). The uploaded object still holds what was redacted: see
   * `ingestObjectExpirationDays`. See docs/security.md.
   * @default - the default detectors (secrets), replaced by `[REDACTED:<kind>]`
   */
  readonly redaction?: PipelineRedaction;
  /** @default see {@link SplitterSizing} */
  readonly splitter?: SplitterSizing;
  /** @default see {@link WorkerSizing} */
  readonly worker?: WorkerSizing;
  /**
   * Receives of a chunk before it goes to the DLQ (the worker dead-letters it itself on that receive).
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * IAM role or user ARNs that may send to the chunk queue besides the splitter and the stack's redrive role.
   * @default - none
   */
  readonly chunkSenderArns?: readonly string[];
  /** Alarm when a chunk has waited this long on the chunk queue. @default Duration.minutes(15) */
  readonly oldestChunkAgeThreshold?: Duration;
  /** Thresholds of the other alarms on slow or stuck work. @default see {@link PipelineAlarmThresholds} */
  readonly alarmThresholds?: PipelineAlarmThresholds;
  /**
   * Topic every alarm notifies; its policy must let `cloudwatch.amazonaws.com` publish.
   * @default - the stack's own alarm topic (output `AlarmTopicArn`)
   */
  readonly alarmTopic?: ITopic;
  /**
   * Address subscribed to the stack's alarm topic. Without it (or `alarmTopic`) synthesis warns that nobody is told.
   * @default - no e-mail subscription
   */
  readonly alarmEmail?: string;
  /**
   * Code for both functions instead of bundling the handlers. Only for tests that do not need the real bundles;
   * a deployed stack always bundles `src/handlers/*`.
   * @default - the handlers, bundled with esbuild
   */
  readonly handlerCodeForTests?: { readonly splitter: Code; readonly worker: Code };
}

const CONSTRUCT = 'LogBatchPipeline';

/**
 * logbatch on AWS as one construct: objects uploaded to the ingest bucket (or created in the existing buckets) are
 * split into chunk messages by the splitter, queued, and turned into DynamoDB entries by the worker, with alarms and
 * a dashboard. Add it to any stack; `LogPipelineStack` is the repository's own stack around it.
 *
 * ```ts
 * import { LogBatchPipeline } from 'logbatch/cdk';
 *
 * new LogBatchPipeline(stack, 'Logs', {
 *   trigger: 'eventbridge',
 *   createIngestBucket: false,
 *   existingBuckets: [{ bucket: Bucket.fromBucketName(stack, 'Trail', 'my-trail-bucket'), prefixes: ['AWSLogs/'] }],
 *   alarmEmail: 'ops@example.com',
 * });
 * ```
 */
export class LogBatchPipeline extends Construct {
  /** The bucket the pipeline creates (`InputLogs`); undefined with `createIngestBucket: false`. */
  readonly ingest?: IngestBucket;
  /** The existing buckets, validated, with the names and ARNs the grants use. */
  readonly existingBuckets: readonly ResolvedExistingBucket[];
  readonly chunkQueue: ChunkQueue;
  readonly table: LogTable;
  readonly splitter: SplitterFunction;
  /** How objects reach the splitter; its queue, for the queue-fed triggers. */
  readonly trigger: SplitterTrigger;
  readonly worker: WorkerFunction;
  readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: LogBatchPipelineProps = {}) {
    super(scope, id);
    // Validate what the pipeline itself interprets before creating anything; each construct validates its own props.
    const logLevel = props.logLevel ?? 'INFO';
    assertLogLevel(CONSTRUCT, 'logLevel', logLevel);
    if (props.alarmTopic !== undefined && props.alarmEmail !== undefined) {
      throw new InvalidPropsError(CONSTRUCT, 'alarmEmail', 'set either alarmTopic or alarmEmail, not both');
    }
    const tuning = resolvePipelineTuning(CONSTRUCT, props.tuning);
    const filters = resolvePipelineFilters(CONSTRUCT, props.filters);
    const redaction = resolvePipelineRedaction(CONSTRUCT, props.redaction);
    this.existingBuckets = resolveExistingBuckets(this, CONSTRUCT, props.existingBuckets);
    const createIngestBucket = props.createIngestBucket ?? true;
    if (!createIngestBucket) {
      const ingestProps = (['ingestBucketName', 'ingestKeyPrefix', 'ingestKeySuffix', 'ingestObjectExpirationDays'] as const).filter(
        (prop) => props[prop] !== undefined,
      );
      if (ingestProps.length > 0) {
        throw new InvalidPropsError(CONSTRUCT, ingestProps[0]!, 'is about the ingest bucket, which createIngestBucket: false leaves out');
      }
      if (this.existingBuckets.length === 0) {
        throw new InvalidPropsError(CONSTRUCT, 'existingBuckets', 'createIngestBucket: false needs at least one existing bucket to read');
      }
    }
    const workerTimeout = props.worker?.timeout ?? Duration.minutes(2);
    const removalPolicy = props.destroyOnRemoval === true ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.table = new LogTable(this, 'ProcessedLogsTable', {
      removalPolicy,
      tableName: props.table?.tableName,
      pointInTimeRecovery: props.table?.pointInTimeRecovery,
    });
    this.chunkQueue = new ChunkQueue(this, 'LogProcessingQueue', {
      workerTimeout,
      maxReceiveCount: props.maxReceiveCount,
      additionalSenderArns: props.chunkSenderArns,
      removalPolicy,
    });
    if (createIngestBucket) {
      this.ingest = new IngestBucket(this, 'InputLogs', {
        bucketName: props.ingestBucketName,
        keyPrefix: props.ingestKeyPrefix,
        keySuffix: props.ingestKeySuffix,
        objectExpirationDays: props.ingestObjectExpirationDays,
        removalPolicy,
      });
    }
    this.splitter = new SplitterFunction(this, 'LogSplitterLambda', {
      chunkQueue: this.chunkQueue,
      table: this.table,
      tuning,
      timeout: props.splitter?.timeout,
      memorySize: props.splitter?.memorySize,
      reservedConcurrency: props.splitter?.reservedConcurrency,
      reserveConcurrency: props.reserveConcurrency,
      tracing: props.tracing,
      logLevel,
      logRetention,
      removalPolicy,
      code: props.handlerCodeForTests?.splitter,
    });
    this.trigger = new SplitterTrigger(this, 'Trigger', {
      trigger: props.trigger,
      ingestBucket: this.ingest,
      existingBuckets: this.existingBuckets,
      splitter: this.splitter.handler.function,
      splitterTimeout: props.splitter?.timeout ?? Duration.minutes(15),
      splitterReservedConcurrency: props.splitter?.reservedConcurrency,
      deadLetterQueue: this.splitter.deadLetterQueue,
      removalPolicy,
    });
    this.worker = new WorkerFunction(this, 'LogProcessorWorker', {
      chunkQueue: this.chunkQueue,
      table: this.table,
      tuning,
      filters,
      redaction,
      timeout: workerTimeout,
      memorySize: props.worker?.memorySize,
      batchSize: props.worker?.batchSize,
      maxBatchingWindow: props.worker?.maxBatchingWindow,
      maxConcurrency: props.worker?.maxConcurrency,
      reservedConcurrency: props.worker?.reservedConcurrency,
      reserveConcurrency: props.reserveConcurrency,
      tracing: props.tracing,
      logLevel,
      logRetention,
      removalPolicy,
      code: props.handlerCodeForTests?.worker,
    });
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      splitter: this.splitter,
      worker: this.worker,
      chunkQueue: this.chunkQueue,
      table: this.table,
      oldestChunkAgeThreshold: props.oldestChunkAgeThreshold,
      thresholds: props.alarmThresholds,
      alarmTopic: props.alarmTopic,
      alarmEmail: props.alarmEmail,
    });

  }
}
