import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Code } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ChunkQueue } from './constructs/chunk-queue.js';
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

/** Props of {@link LogPipelineStack}. */
export interface LogPipelineStackProps extends StackProps {
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

/**
 * logbatch on AWS: uploads to the ingest bucket are split into chunk messages by the splitter, queued, and turned
 * into DynamoDB entries by the worker, with alarms and a dashboard.
 */
export class LogPipelineStack extends Stack {
  readonly ingest: IngestBucket;
  readonly chunkQueue: ChunkQueue;
  readonly table: LogTable;
  readonly splitter: SplitterFunction;
  /** How uploads reach the splitter; its queue, for the queue-fed triggers. */
  readonly trigger: SplitterTrigger;
  readonly worker: WorkerFunction;
  readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: LogPipelineStackProps = {}) {
    super(scope, id, props);
    // Validate what the stack itself interprets before creating anything; each construct validates its own props.
    const logLevel = props.logLevel ?? 'INFO';
    assertLogLevel('LogPipelineStack', 'logLevel', logLevel);
    if (props.alarmTopic !== undefined && props.alarmEmail !== undefined) {
      throw new InvalidPropsError('LogPipelineStack', 'alarmEmail', 'set either alarmTopic or alarmEmail, not both');
    }
    const tuning = resolvePipelineTuning('LogPipelineStack', props.tuning);
    const filters = resolvePipelineFilters('LogPipelineStack', props.filters);
    const redaction = resolvePipelineRedaction('LogPipelineStack', props.redaction);
    const workerTimeout = props.worker?.timeout ?? Duration.minutes(2);
    const removalPolicy = props.destroyOnRemoval === true ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.table = new LogTable(this, 'ProcessedLogsTable', { removalPolicy });
    this.chunkQueue = new ChunkQueue(this, 'LogProcessingQueue', {
      workerTimeout,
      maxReceiveCount: props.maxReceiveCount,
      additionalSenderArns: props.chunkSenderArns,
      removalPolicy,
    });
    this.ingest = new IngestBucket(this, 'InputLogs', {
      bucketName: props.ingestBucketName,
      keyPrefix: props.ingestKeyPrefix,
      keySuffix: props.ingestKeySuffix,
      objectExpirationDays: props.ingestObjectExpirationDays,
      removalPolicy,
    });
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

    // The architecture document's names (docs/deploy.md maps each to its construct and code)...
    new CfnOutput(this, 'InputLogsBucketName', { value: this.ingest.bucket.bucketName, description: 'input-logs: upload log files here' });
    new CfnOutput(this, 'LogProcessingQueueUrl', { value: this.chunkQueue.queue.queueUrl, description: 'log-processing-queue: chunks for LogProcessorWorker' });
    new CfnOutput(this, 'LogProcessingDeadLetterQueueUrl', {
      value: this.chunkQueue.deadLetterQueue.queueUrl,
      description: 'The DLQ of log-processing-queue: chunks dead-lettered with a reason',
    });
    new CfnOutput(this, 'ProcessedLogsTableName', { value: this.table.table.tableName, description: 'ProcessedLogsTable: batches and entries' });
    // ...and the earlier names of the same values, which operators' scripts and docs/operations.md read.
    new CfnOutput(this, 'IngestBucketName', { value: this.ingest.bucket.bucketName, description: 'Same as InputLogsBucketName' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'Same as ProcessedLogsTableName' });
    new CfnOutput(this, 'ChunkQueueUrl', { value: this.chunkQueue.queue.queueUrl, description: 'Same as LogProcessingQueueUrl' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.chunkQueue.deadLetterQueue.queueUrl, description: 'Same as LogProcessingDeadLetterQueueUrl' });
    new CfnOutput(this, 'FailedSplitsQueueUrl', { value: this.splitter.deadLetterQueue.queueUrl });
    if (this.trigger.queue !== undefined) {
      new CfnOutput(this, 'TriggerQueueUrl', { value: this.trigger.queue.queueUrl, description: `Feeds the splitter (${this.trigger.trigger} trigger)` });
    }
    new CfnOutput(this, 'ContinuationQueueUrl', {
      value: this.splitter.continuationQueue.queueUrl,
      description: 'The splitter\'s own queue: hand-overs, and objects queued by logbatch backfill',
    });
    new CfnOutput(this, 'SplitterFunctionName', { value: this.splitter.handler.function.functionName });
    new CfnOutput(this, 'WorkerFunctionName', { value: this.worker.handler.function.functionName });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'RedriveRoleArn', {
      value: this.chunkQueue.redriveRole.roleArn,
      description: 'Assume to redrive the chunk DLQ (only the splitter and this role may send chunks)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.alarmTopic.topicArn, description: 'Every alarm notifies this topic' });
  }
}
