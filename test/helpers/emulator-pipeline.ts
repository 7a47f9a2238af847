import type { PipelineSettings } from '../../src/application/pipeline-settings.js';
import type { ChunkQueue } from '../../src/application/ports/chunk-queue.port.js';
import type { LogRepository } from '../../src/application/ports/log-repository.port.js';
import type { SplitContinuations } from '../../src/application/ports/split-continuations.port.js';
import type { DeadLetters } from '../../src/application/dead-letters.use-case.js';
import type { ProcessChunk } from '../../src/application/process-chunk.use-case.js';
import type { SplitLogObject } from '../../src/application/split-log-object.use-case.js';
import type { AwsConfig } from '../../src/config/config.js';
import { type Batch, deriveBatchId } from '../../src/domain/batch.js';
import type { LogEntry } from '../../src/domain/log-entry.js';
import { adaptersModule } from '../../src/di/adapters.module.js';
import { createAwsAdapters } from '../../src/di/aws.module.js';
import { createContainer } from '../../src/di/container.js';
import { TOKENS } from '../../src/di/tokens.js';
import { createSplitterHandler } from '../../src/handlers/splitter.js';
import { createWorkerHandler } from '../../src/handlers/worker.js';
import type { ObjectCreated } from '../../src/local/aws-events.js';
import type { AwsClients } from '../../src/di/aws.module.js';
import { createEmulatorClients, type ResourceNames } from '../../src/local/emulator-stack.js';
import { LocalRuntime, type LocalRunReport } from '../../src/local/local-runtime.js';
import { isolatedResources, putObject } from './emulators.js';

export interface EmulatorPipelineOptions {
  /** Label in the resource names. */
  readonly label: string;
  readonly settings?: Partial<PipelineSettings>;
  /** The chunk queue's redrive `maxReceiveCount`; the worker's `maxReceiveCount` setting follows it. @default 3 */
  readonly maxReceiveCount?: number;
  /** @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /** Wraps the repository the use cases see (fault injection). */
  readonly wrapRepository?: (repository: LogRepository) => LogRepository;
  /** Wraps the chunk queue and continuations the handlers see (not the event source's side). */
  readonly wrapQueue?: (queue: ChunkQueue) => ChunkQueue;
  readonly wrapContinuations?: (continuations: SplitContinuations) => SplitContinuations;
  readonly aroundInvocation?: <T>(kind: 'splitter' | 'worker', invoke: () => Promise<T>) => Promise<T>;
  readonly splitterAttempts?: number;
  readonly splitterContext?: () => { getRemainingTimeInMillis(): number };
  readonly handOverMarginMs?: number;
  readonly workerConcurrency?: number;
  /** Messages per worker invocation (the event source's batch size). @default 10 */
  readonly batchSize?: number;
  /** Sees the pipeline's own SDK clients before the adapters use them (e.g. to install `SdkFaultInjector`). */
  readonly configureClients?: (clients: AwsClients, names: ResourceNames) => void;
}

/**
 * The whole pipeline on the AWS adapters against the shared emulators, with fresh resources (bucket, chunk queue
 * with its DLQ redrive, continuation queue, table), driven by the local runtime; for tests. Call `cleanup()`.
 */
export async function createEmulatorPipeline(options: EmulatorPipelineOptions) {
  const maxReceiveCount = options.maxReceiveCount ?? 3;
  const { stack, names, cleanup } = await isolatedResources(options.label, {
    maxReceiveCount,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
  });
  const config: AwsConfig = {
    tableName: names.tableName,
    queueUrl: names.queueUrl,
    deadLetterQueueUrl: names.dlqUrl,
    continuationQueueUrl: names.continuationQueueUrl,
    pipeline: { maxReceiveCount },
  };
  // Quick SDK-level retries: emulators answer at once, and tests should not sleep for seconds.
  const clients = createEmulatorClients(stack.endpoints);
  options.configureClients?.(clients, names);
  const adapters = createAwsAdapters(config, { clients, retry: { baseDelayMs: 5, maxDelayMs: 50 } });
  const repository = adapters.logRepository;
  const container = createContainer({
    adapters: adaptersModule({
      objectStore: adapters.objectStore,
      chunkQueue: options.wrapQueue?.(adapters.chunkQueue) ?? adapters.chunkQueue,
      logRepository: options.wrapRepository?.(repository) ?? repository,
      continuations: options.wrapContinuations?.(adapters.continuations) ?? adapters.continuations,
      queueConsumer: adapters.queueConsumer,
    }),
    settings: { ...options.settings, maxReceiveCount },
  });
  const splitLogObject = container.get<SplitLogObject>(TOKENS.SplitLogObject);
  const processChunk = container.get<ProcessChunk>(TOKENS.ProcessChunk);
  const deadLetters = container.get<DeadLetters>(TOKENS.DeadLetters);
  const splitter = createSplitterHandler(() => ({ splitLogObject, handOverMarginMs: options.handOverMarginMs }));
  const worker = createWorkerHandler(() => ({ processChunk }));
  const runtime = new LocalRuntime({
    splitter,
    worker,
    queue: adapters.queueConsumer,
    continuations: adapters.continuations,
    workerConcurrency: options.workerConcurrency ?? 2,
    batchSize: options.batchSize,
    retryDelaySeconds: 0,
    pollWaitMs: 100,
    aroundInvocation: options.aroundInvocation,
    splitterAttempts: options.splitterAttempts,
    splitterContext: options.splitterContext,
  });

  /** Reads a batch and all its entries back from DynamoDB, in line order. */
  const readBack = async (upload: ObjectCreated): Promise<{ batch: Batch; entries: LogEntry[] }> => {
    const batchId = deriveBatchId(upload);
    const batch = await repository.getBatch(batchId);
    if (batch === undefined) throw new Error(`no batch for ${upload.key}`);
    const entries: LogEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await repository.listEntries(batchId, { limit: 1000, cursor });
      entries.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return { batch, entries };
  };

  return {
    stack,
    names,
    config,
    adapters,
    repository,
    queue: adapters.queueConsumer,
    splitLogObject,
    processChunk,
    deadLetters,
    runtime,
    cleanup,
    readBack,
    /** Uploads an object to the emulated bucket; returns what its S3 event names. */
    async upload(key: string, content: Buffer | string): Promise<ObjectCreated> {
      await putObject(stack, names.bucket, key, content);
      return adapters.objectStore.head(names.bucket, key);
    },
    /** Runs uploads through the splitter and workers until the chunk queue is drained. */
    run(uploads: readonly ObjectCreated[]): Promise<LocalRunReport> {
      return runtime.run(uploads);
    },
  };
}

export type EmulatorPipeline = Awaited<ReturnType<typeof createEmulatorPipeline>>;
