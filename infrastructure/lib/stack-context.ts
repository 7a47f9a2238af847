import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import type { LogPipelineStackProps } from './log-pipeline-stack.js';
import { InvalidPropsError, type LogLevel } from './validation.js';

/** Context keys (`cdk deploy -c key=value` or `cdk.json` → `context`) that configure the stack. */
export const CONTEXT_KEYS = {
  stackName: 'logbatch:stackName',
  destroyOnRemoval: 'logbatch:destroyOnRemoval',
  logLevel: 'logbatch:logLevel',
  logRetentionDays: 'logbatch:logRetentionDays',
  ingestBucketName: 'logbatch:ingestBucketName',
  ingestKeyPrefix: 'logbatch:ingestKeyPrefix',
  ingestKeySuffix: 'logbatch:ingestKeySuffix',
  trigger: 'logbatch:trigger',
  ingestObjectExpirationDays: 'logbatch:ingestObjectExpirationDays',
  existingBuckets: 'logbatch:existingBuckets',
  createIngestBucket: 'logbatch:createIngestBucket',
  maxChunkBytes: 'logbatch:maxChunkBytes',
  maxChunkLines: 'logbatch:maxChunkLines',
  maxEventBytes: 'logbatch:maxEventBytes',
  format: 'logbatch:format',
  entryTtlDays: 'logbatch:entryTtlDays',
  splitterMemoryMb: 'logbatch:splitterMemoryMb',
  splitterTimeoutSeconds: 'logbatch:splitterTimeoutSeconds',
  workerMemoryMb: 'logbatch:workerMemoryMb',
  workerTimeoutSeconds: 'logbatch:workerTimeoutSeconds',
  workerBatchSize: 'logbatch:workerBatchSize',
  workerBatchingWindowSeconds: 'logbatch:workerBatchingWindowSeconds',
  workerMaxConcurrency: 'logbatch:workerMaxConcurrency',
  workerReservedConcurrency: 'logbatch:workerReservedConcurrency',
  splitterReservedConcurrency: 'logbatch:splitterReservedConcurrency',
  reserveConcurrency: 'logbatch:reserveConcurrency',
  tracing: 'logbatch:tracing',
  oldestChunkAgeAlarmMinutes: 'logbatch:oldestChunkAgeAlarmMinutes',
  alarmEmail: 'logbatch:alarmEmail',
} as const;

export const DEFAULT_STACK_NAME = 'LogBatch';

/**
 * The context key that sets each construct prop the stack's constructs validate (`WorkerFunction.memorySize` ←
 * `logbatch:workerMemoryMb`), so a value out of range is reported under the key the user typed.
 */
const CONTEXT_KEY_OF_PROP: Readonly<Record<string, string>> = {
  'WorkerFunction.memorySize': CONTEXT_KEYS.workerMemoryMb,
  'WorkerFunction.timeout': CONTEXT_KEYS.workerTimeoutSeconds,
  'ChunkQueue.workerTimeout': CONTEXT_KEYS.workerTimeoutSeconds,
  'WorkerFunction.batchSize': CONTEXT_KEYS.workerBatchSize,
  'WorkerFunction.maxBatchingWindow': CONTEXT_KEYS.workerBatchingWindowSeconds,
  'WorkerFunction.maxConcurrency': CONTEXT_KEYS.workerMaxConcurrency,
  'WorkerFunction.reservedConcurrency': CONTEXT_KEYS.workerReservedConcurrency,
  'SplitterFunction.memorySize': CONTEXT_KEYS.splitterMemoryMb,
  'SplitterFunction.timeout': CONTEXT_KEYS.splitterTimeoutSeconds,
  'SplitterFunction.reservedConcurrency': CONTEXT_KEYS.splitterReservedConcurrency,
  'SplitterTrigger.splitterReservedConcurrency': CONTEXT_KEYS.splitterReservedConcurrency,
  'SplitterTrigger.trigger': CONTEXT_KEYS.trigger,
  'LogBatchPipeline.maxChunkBytes': CONTEXT_KEYS.maxChunkBytes,
  'LogBatchPipeline.maxChunkLines': CONTEXT_KEYS.maxChunkLines,
  'LogBatchPipeline.maxEventBytes': CONTEXT_KEYS.maxEventBytes,
  'LogBatchPipeline.entryTtlDays': CONTEXT_KEYS.entryTtlDays,
  'LogBatchPipeline.format': CONTEXT_KEYS.format,
  'IngestBucket.objectExpirationDays': CONTEXT_KEYS.ingestObjectExpirationDays,
  'IngestBucket.bucketName': CONTEXT_KEYS.ingestBucketName,
  'IngestBucket.keyPrefix': CONTEXT_KEYS.ingestKeyPrefix,
  'IngestBucket.keySuffix': CONTEXT_KEYS.ingestKeySuffix,
  'PipelineMonitoring.oldestChunkAgeThreshold': CONTEXT_KEYS.oldestChunkAgeAlarmMinutes,
  'PipelineMonitoring.alarmEmail': CONTEXT_KEYS.alarmEmail,
};

/**
 * A construct's props error as the user of `cdk synth -c` should read it: under the context key that set the prop
 * (`context: invalid logbatch:workerMemoryMb: expected an integer from 128 to 10240, got 99999`), when that key was
 * given; else the error's own message, which names the construct's prop.
 */
export function contextErrorMessage(error: InvalidPropsError, node: Node): string {
  const key = CONTEXT_KEY_OF_PROP[`${error.construct}.${error.prop}`];
  if (key === undefined || node.tryGetContext(key) === undefined) return error.message;
  return new InvalidPropsError('context', key, error.detail).message;
}

/** The stack's id and props, read from context. */
export interface StackContext {
  readonly stackName: string;
  readonly props: LogPipelineStackProps;
}

/**
 * Reads the stack configuration from CDK context. Values from `-c` arrive as strings, values from `cdk.json` as
 * JSON; both are accepted, and a malformed value fails synthesis naming its key.
 */
export function readStackContext(node: Node): StackContext {
  const raw = (key: string): unknown => node.tryGetContext(key);
  const text = (key: string): string | undefined => {
    const value = raw(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw invalid(key, value, 'a non-empty string');
    return value.trim();
  };
  const integer = (key: string): number | undefined => {
    const value = raw(key);
    if (value === undefined || value === null) return undefined;
    const parsed = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed)) throw invalid(key, value, 'a whole number');
    return parsed;
  };
  const flag = (key: string): boolean | undefined => {
    const value = raw(key);
    if (value === undefined || value === null) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw invalid(key, value, 'true or false');
  };
  const seconds = (key: string) => optional(integer(key), Duration.seconds);
  // A JSON array, inline in cdk.json or as a string from -c; its entries are validated by LogBatchPipeline.
  const jsonArray = (key: string): unknown[] | undefined => {
    const value = raw(key);
    if (value === undefined || value === null) return undefined;
    let parsed: unknown = value;
    if (typeof value === 'string') {
      try {
        parsed = JSON.parse(value);
      } catch {
        throw invalid(key, value, 'a JSON array');
      }
    }
    if (!Array.isArray(parsed)) throw invalid(key, value, 'a JSON array');
    return parsed;
  };
  const logRetentionDays = integer(CONTEXT_KEYS.logRetentionDays);
  if (logRetentionDays !== undefined && !Object.values(RetentionDays).includes(logRetentionDays)) {
    throw invalid(CONTEXT_KEYS.logRetentionDays, logRetentionDays, 'a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, ...)');
  }

  return {
    stackName: text(CONTEXT_KEYS.stackName) ?? DEFAULT_STACK_NAME,
    props: {
      destroyOnRemoval: flag(CONTEXT_KEYS.destroyOnRemoval),
      logLevel: text(CONTEXT_KEYS.logLevel) as LogLevel | undefined,
      logRetention: logRetentionDays as RetentionDays | undefined,
      ingestBucketName: text(CONTEXT_KEYS.ingestBucketName),
      ingestKeyPrefix: text(CONTEXT_KEYS.ingestKeyPrefix),
      ingestKeySuffix: text(CONTEXT_KEYS.ingestKeySuffix),
      // Validated by SplitterTrigger, which names the values it accepts.
      trigger: text(CONTEXT_KEYS.trigger) as LogPipelineStackProps['trigger'],
      ingestObjectExpirationDays: integer(CONTEXT_KEYS.ingestObjectExpirationDays),
      existingBuckets: jsonArray(CONTEXT_KEYS.existingBuckets) as LogPipelineStackProps['existingBuckets'],
      createIngestBucket: flag(CONTEXT_KEYS.createIngestBucket),
      tuning: {
        maxChunkBytes: integer(CONTEXT_KEYS.maxChunkBytes),
        maxChunkLines: integer(CONTEXT_KEYS.maxChunkLines),
        maxEventBytes: integer(CONTEXT_KEYS.maxEventBytes),
        format: text(CONTEXT_KEYS.format),
        entryTtlDays: integer(CONTEXT_KEYS.entryTtlDays),
      },
      splitter: {
        memorySize: integer(CONTEXT_KEYS.splitterMemoryMb),
        timeout: seconds(CONTEXT_KEYS.splitterTimeoutSeconds),
        reservedConcurrency: integer(CONTEXT_KEYS.splitterReservedConcurrency),
      },
      worker: {
        memorySize: integer(CONTEXT_KEYS.workerMemoryMb),
        timeout: seconds(CONTEXT_KEYS.workerTimeoutSeconds),
        batchSize: integer(CONTEXT_KEYS.workerBatchSize),
        maxBatchingWindow: seconds(CONTEXT_KEYS.workerBatchingWindowSeconds),
        maxConcurrency: integer(CONTEXT_KEYS.workerMaxConcurrency),
        reservedConcurrency: integer(CONTEXT_KEYS.workerReservedConcurrency),
      },
      reserveConcurrency: flag(CONTEXT_KEYS.reserveConcurrency),
      tracing: flag(CONTEXT_KEYS.tracing),
      oldestChunkAgeThreshold: optional(integer(CONTEXT_KEYS.oldestChunkAgeAlarmMinutes), Duration.minutes),
      alarmEmail: text(CONTEXT_KEYS.alarmEmail),
    },
  };
}

function optional<T, R>(value: T | undefined, map: (value: T) => R): R | undefined {
  return value === undefined ? undefined : map(value);
}

function invalid(key: string, value: unknown, expected: string): InvalidPropsError {
  return new InvalidPropsError('context', key, `expected ${expected}, got ${JSON.stringify(value)}`);
}
