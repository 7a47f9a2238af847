import { gzipSync } from 'node:zlib';
import type { PipelineSettings } from '../../src/application/pipeline-settings.js';
import type { ChunkQueue } from '../../src/application/ports/chunk-queue.port.js';
import type { LogRepository } from '../../src/application/ports/log-repository.port.js';
import type { SplitContinuations } from '../../src/application/ports/split-continuations.port.js';
import type { DeadLetters } from '../../src/application/dead-letters.use-case.js';
import type { ProcessChunk } from '../../src/application/process-chunk.use-case.js';
import type { SplitLogObject } from '../../src/application/split-log-object.use-case.js';
import { RequestCounter } from '../../src/adapters/instrumentation/request-counter.js';
import { InMemoryChunkQueue, type InMemoryChunkQueueOptions } from '../../src/adapters/memory/in-memory-chunk-queue.js';
import { InMemoryLogRepository } from '../../src/adapters/memory/in-memory-log-repository.js';
import { InMemoryObjectStore } from '../../src/adapters/memory/in-memory-object-store.js';
import { InMemorySplitContinuations } from '../../src/adapters/memory/in-memory-split-continuations.js';
import { type Batch, deriveBatchId } from '../../src/domain/batch.js';
import type { LogEntry } from '../../src/domain/log-entry.js';
import { adaptersModule } from '../../src/di/adapters.module.js';
import { createContainer } from '../../src/di/container.js';
import { TOKENS } from '../../src/di/tokens.js';
import { createSplitterHandler } from '../../src/handlers/splitter.js';
import { createWorkerHandler } from '../../src/handlers/worker.js';
import { LocalRuntime, type LocalRunReport } from '../../src/local/local-runtime.js';

export const BUCKET = 'ingest';

export interface MemoryPipelineOptions {
  readonly settings?: Partial<PipelineSettings>;
  readonly queue?: InMemoryChunkQueueOptions;
  /** Wraps the repository the use cases see (fault injection). */
  readonly wrapRepository?: (repository: LogRepository) => LogRepository;
  /** Wraps the chunk queue and continuations the handlers see (not the event source's side). */
  readonly wrapQueue?: (queue: ChunkQueue) => ChunkQueue;
  readonly wrapContinuations?: (continuations: SplitContinuations) => SplitContinuations;
  readonly splitterAttempts?: number;
  readonly splitterContext?: () => { getRemainingTimeInMillis(): number };
  readonly workerConcurrency?: number;
  /** The runtime's long-poll wait per receive. */
  readonly pollWaitMs?: number;
  /** Lambda time limit played for the splitter. */
  readonly splitterTimeoutMs?: number;
  /** Handover margin of the splitter handler. */
  readonly handOverMarginMs?: number;
  readonly aroundInvocation?: <T>(kind: 'splitter' | 'worker', invoke: () => Promise<T>) => Promise<T>;
}

/** The whole pipeline on in-memory adapters, driven by the local runtime, for tests. */
export function createMemoryPipeline(options: MemoryPipelineOptions = {}) {
  const objectStore = new InMemoryObjectStore(4096);
  const queue = new InMemoryChunkQueue({ visibilityTimeoutMs: 5_000, ...options.queue });
  const repository = new InMemoryLogRepository();
  const counter = new RequestCounter();
  const logRepository = options.wrapRepository?.(repository) ?? repository;
  const continuations = new InMemorySplitContinuations();
  const container = createContainer({
    adapters: adaptersModule(
      {
        objectStore,
        chunkQueue: options.wrapQueue?.(queue) ?? queue,
        logRepository,
        continuations: options.wrapContinuations?.(continuations) ?? continuations,
        queueConsumer: queue,
      },
      counter,
    ),
    settings: options.settings,
  });
  const splitLogObject = container.get<SplitLogObject>(TOKENS.SplitLogObject);
  const processChunk = container.get<ProcessChunk>(TOKENS.ProcessChunk);
  const deadLetters = container.get<DeadLetters>(TOKENS.DeadLetters);
  const splitter = createSplitterHandler(() => ({ splitLogObject, handOverMarginMs: options.handOverMarginMs }));
  const worker = createWorkerHandler(() => ({ processChunk }));
  const runtime = new LocalRuntime({
    splitter,
    worker,
    queue,
    continuations,
    workerConcurrency: options.workerConcurrency ?? 2,
    retryDelaySeconds: 0,
    splitterTimeoutMs: options.splitterTimeoutMs,
    aroundInvocation: options.aroundInvocation,
    splitterAttempts: options.splitterAttempts,
    splitterContext: options.splitterContext,
    pollWaitMs: options.pollWaitMs,
  });

  return {
    objectStore,
    queue,
    repository,
    continuations,
    counter,
    splitLogObject,
    processChunk,
    deadLetters,
    splitter,
    worker,
    runtime,
    /** Uploads the files and runs them through; returns each file's batch and entries. */
    async run(files: Record<string, Buffer | string>): Promise<{ report: LocalRunReport; batches: Batch[]; entries: LogEntry[][] }> {
      const uploads = Object.entries(files).map(([key, content]) => objectStore.put(BUCKET, key, content));
      const report = await runtime.run(uploads);
      const batches: Batch[] = [];
      const entries: LogEntry[][] = [];
      for (const upload of uploads) {
        const batchId = deriveBatchId(upload);
        const batch = await repository.getBatch(batchId);
        if (batch === undefined) throw new Error(`no batch for ${upload.key}`);
        batches.push(batch);
        entries.push([...(await repository.listEntries(batchId, { limit: 10_000_000 })).items]);
      }
      return { report, batches, entries };
    },
  };
}

/** Builds a log file's bytes in the requested variant. */
export function logFile(lines: readonly string[], variant: { crlf?: boolean; bom?: boolean; finalNewline?: boolean; gzip?: boolean } = {}): Buffer {
  const newline = variant.crlf === true ? '\r\n' : '\n';
  let text = lines.join(newline);
  if (variant.finalNewline !== false && lines.length > 0) text += newline;
  let bytes = Buffer.from(text, 'utf8');
  if (variant.bom === true) bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
  return variant.gzip === true ? gzipSync(bytes) : bytes;
}
