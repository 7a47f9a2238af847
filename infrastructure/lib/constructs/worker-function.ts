import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Code } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { PolicyStatement, PrincipalWithConditions } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  filterRedactionEnvironment,
  pipelineEnvironment,
  type ResolvedPipelineFilters,
  type ResolvedPipelineRedaction,
  type ResolvedPipelineTuning,
} from '../pipeline-environment.js';
import { assertDurationInRange, assertIntegerInRange, InvalidPropsError, type LogLevel } from '../validation.js';
import { type ChunkQueue, VISIBILITY_TIMEOUT_FACTOR } from './chunk-queue.js';
import type { LogTable } from './log-table.js';
import { PipelineFunction } from './pipeline-function.js';

import { DEFAULT_WORKER_MEMORY_MB } from '../../../src/adapters/aws/lambda-cost.js';
import { WORKER_SERVICE_NAME } from '../../../src/handlers/powertools-telemetry.js';

export { WORKER_SERVICE_NAME };

/** Props of {@link WorkerFunction}. */
export interface WorkerFunctionProps {
  /** The queue the worker consumes; its visibility timeout must be at least 6 × `timeout`. */
  readonly chunkQueue: ChunkQueue;
  /** The table the entries and batch progress are written to. */
  readonly table: LogTable;
  /** Validated pipeline tuning (see `resolvePipelineTuning`). */
  readonly tuning: ResolvedPipelineTuning;
  /**
   * Validated filters (see `resolvePipelineFilters`); only the worker reads them.
   * @default - every line kept
   */
  readonly filters?: ResolvedPipelineFilters;
  /**
   * Validated redaction (see `resolvePipelineRedaction`); with an HMAC key secret, the worker may read that secret.
   * @default - the application's default detectors, masked
   */
  readonly redaction?: ResolvedPipelineRedaction;
  /**
   * Maximum run time of one invocation (one batch of chunks).
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB; parsing is CPU-bound and CPU scales with memory.
   * @default 1024 (`DEFAULT_WORKER_MEMORY_MB`, which the emulator's cost estimate uses too)
   */
  readonly memorySize?: number;
  /**
   * Chunks per invocation (1–10,000; above 10 needs `maxBatchingWindow`). Lambda also caps a batch at 6 MB.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long the event source gathers chunks before invoking (0–300 seconds).
   * @default - no batching window (invoke as soon as chunks are available)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Concurrent invocations the event source may run (2–1,000). Bounds the write rate on DynamoDB.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Concurrent executions reserved for the worker, at least `maxConcurrency`: a burst of splits cannot starve it,
   * and the event source never invokes it into a throttle (a throttled delivery still spends a receive).
   * @default maxConcurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * Reserve concurrency at all. Lambda keeps 100 of the account's quota unreserved, so an account with a small
   * quota (new accounts may have 10) cannot reserve any: turn this off there.
   * @default true
   */
  readonly reserveConcurrency?: boolean;
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** @default - `src/handlers/worker.handler.ts` bundled with esbuild (tests only override it) */
  readonly code?: Code;
}

/**
 * The worker Lambda: consumes chunk messages through an SQS event source mapping with `ReportBatchItemFailures`,
 * writes their entries and the batch progress to the table, and dead-letters poison chunks with a reason.
 */
export class WorkerFunction extends Construct {
  /** The function, its role and its log group. */
  readonly handler: PipelineFunction;
  /** Chunks per invocation. */
  readonly batchSize: number;
  /** Concurrent invocations at most. */
  readonly maxConcurrency: number;
  /** The function's timeout. */
  readonly timeout: Duration;
  /** Concurrent executions reserved for the worker, if any. */
  readonly reservedConcurrency: number | undefined;

  constructor(scope: Construct, id: string, props: WorkerFunctionProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.minutes(2);
    const batchSize = props.batchSize ?? 10;
    const maxConcurrency = props.maxConcurrency ?? 10;
    assertDurationInRange('WorkerFunction', 'timeout', timeout, Duration.seconds(1), Duration.minutes(15));
    assertIntegerInRange('WorkerFunction', 'memorySize', props.memorySize ?? DEFAULT_WORKER_MEMORY_MB, 128, 10_240);
    assertIntegerInRange('WorkerFunction', 'batchSize', batchSize, 1, 10_000);
    assertIntegerInRange('WorkerFunction', 'maxConcurrency', maxConcurrency, 2, 1000);
    const reservedConcurrency = props.reserveConcurrency === false ? undefined : (props.reservedConcurrency ?? maxConcurrency);
    if (reservedConcurrency !== undefined) {
      assertIntegerInRange('WorkerFunction', 'reservedConcurrency', reservedConcurrency, maxConcurrency, 10_000);
    }
    if (props.maxBatchingWindow !== undefined) {
      assertDurationInRange('WorkerFunction', 'maxBatchingWindow', props.maxBatchingWindow, Duration.seconds(0), Duration.minutes(5));
    }
    if (batchSize > 10 && (props.maxBatchingWindow === undefined || props.maxBatchingWindow.toSeconds() < 1)) {
      throw new InvalidPropsError('WorkerFunction', 'batchSize', `a batch size above 10 (${batchSize}) needs a maxBatchingWindow of at least 1 second`);
    }
    const requiredVisibility = timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR;
    if (props.chunkQueue.visibilityTimeout.toSeconds() < requiredVisibility) {
      throw new InvalidPropsError(
        'WorkerFunction',
        'timeout',
        `the chunk queue's visibility timeout (${props.chunkQueue.visibilityTimeout.toHumanString()}) must be at least ` +
          `${VISIBILITY_TIMEOUT_FACTOR} × the worker timeout (${timeout.toHumanString()})`,
      );
    }
    this.batchSize = batchSize;
    this.maxConcurrency = maxConcurrency;
    this.timeout = timeout;
    this.reservedConcurrency = reservedConcurrency;

    this.handler = new PipelineFunction(this, 'Handler', {
      entry: 'src/handlers/worker.handler.ts',
      description: 'logbatch worker: chunk message -> parsed entries and batch progress in DynamoDB',
      serviceName: WORKER_SERVICE_NAME,
      timeout,
      memorySize: props.memorySize ?? DEFAULT_WORKER_MEMORY_MB,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      environment: {
        ...pipelineEnvironment(props.tuning),
        ...filterRedactionEnvironment(props.filters ?? { include: [], exclude: [] }, props.redaction ?? { detectors: 'defaults', replacement: 'mask' }),
      },
      tracing: props.tracing,
      reservedConcurrency,
      code: props.code,
    });
    props.chunkQueue.connectWorker(this.handler.function, {
      batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      maxConcurrency,
    });
    props.table.connectWorker(this.handler.function);
    const secret = props.redaction?.hmacKeySecret;
    if (secret !== undefined) {
      // Least privilege: GetSecretValue on this one secret (not grantRead, which adds DescribeSecret).
      this.handler.function.addToRolePolicy(
        new PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          // A secret imported by name has a partial ARN: match the 6 characters Secrets Manager appends.
          resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
        }),
      );
      // A customer-managed key: decrypt through Secrets Manager only.
      secret.encryptionKey?.grantDecrypt(
        new PrincipalWithConditions(this.handler.function.grantPrincipal, {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
        }),
      );
    }
  }
}
