import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { deadLetterWorkerSettings, type PipelineSettings } from '../application/pipeline-settings.js';
import type { LogRepository } from '../application/ports/log-repository.port.js';
import type { ListObjectsOptions, ObjectInfo, ObjectStore } from '../application/ports/object-store.port.js';
import type { ProcessChunk } from '../application/process-chunk.use-case.js';
import type { SplitLogObject } from '../application/split-log-object.use-case.js';
import { countCalls, RequestCounter } from '../adapters/instrumentation/request-counter.js';
import { JsonlFileLogRepository } from '../adapters/local/jsonl-file-log-repository.js';
import { LOCAL_BUCKET, LocalFileObjectStore } from '../adapters/local/local-file-object-store.js';
import { InMemoryChunkQueue } from '../adapters/memory/in-memory-chunk-queue.js';
import { InMemoryLogRepository } from '../adapters/memory/in-memory-log-repository.js';
import { InMemorySplitContinuations } from '../adapters/memory/in-memory-split-continuations.js';
import { deriveBatchId, newBatch } from '../domain/batch.js';
import { LogBatchError } from '../domain/errors.js';
import { adaptersModule } from '../di/adapters.module.js';
import { createContainer } from '../di/container.js';
import { TOKENS } from '../di/tokens.js';
import { createSplitterHandler } from '../handlers/splitter.js';
import { createWorkerHandler } from '../handlers/worker.js';
import { LocalRuntime } from './local-runtime.js';
import { startMemoryGovernor } from './memory-governor.js';
import type { LocalStoreAdapters } from './local-store.js';
import { type BatchSummary, type DuplicateInput, type RunSummary, summarizeBatch, totalsOf } from './run-summary.js';

export interface RunProgress {
  readonly bytesRead: number;
  readonly totalBytes: number;
  readonly chunksProcessed: number;
}

export interface LocalRunOptions {
  readonly files: readonly string[];
  readonly settings?: Partial<PipelineSettings>;
  /** Write every stored entry to this JSON Lines file. */
  readonly outPath?: string;
  /** Worker invocations in flight. @default 2 */
  readonly workerConcurrency?: number;
  /**
   * Chunk messages the queue holds before the splitter waits for workers. @default 16 (each is up to 256 KiB; 64 held
   * ~12 MB more live with no measured gain in speed; docs/performance.md, "Writing entries")
   */
  readonly queueCapacity?: number;
  readonly onProgress?: (progress: RunProgress) => void;
  /** Play a Lambda time limit for the splitter, so long files hand over to continuations. */
  readonly splitterTimeoutMs?: number;
  /**
   * Keep batches, entries and dead letters in a store (`--store`: the SQLite file) instead of memory; the caller
   * opens and closes it.
   */
  readonly store?: LocalStoreAdapters;
  /** Emulator backend: start DynamoDB Local for a quick start rather than peak throughput. @default true */
  readonly fastStartup?: boolean;
  /**
   * Keep the process's resident memory near this many MB with full collections when it grows past them (see
   * {@link startMemoryGovernor}); `logbatch run` passes `DEFAULT_MEMORY_BUDGET_MB`. @default no bound
   */
  readonly memoryBudgetMb?: number;
}

/** Chunk messages queued before the splitter waits: enough to keep both workers busy, few enough to bound memory. */
const DEFAULT_QUEUE_CAPACITY = 16;

/** The output file of a run is one of its inputs: writing it would truncate the input before it is read. */
export class OutputIsInputError extends LogBatchError {
  readonly code = 'OUTPUT_IS_INPUT';

  constructor(
    readonly outPath: string,
    readonly inputPath: string,
  ) {
    super(`the output ${outPath} is the input file ${inputPath}`);
  }
}

/** A run's input files, each once, and the arguments that named a file already given. */
export interface RunInputs {
  /** Absolute paths, in the order given, each file once. */
  readonly files: readonly string[];
  readonly duplicates: readonly DuplicateInput[];
}

/**
 * Identifies a run's files by device and inode (what `stat` sees through symlinks), so the same file named by two
 * paths, a symlink or a hard link is one file: it is kept once, and its other names are reported as duplicates.
 * Throws {@link OutputIsInputError} when `outPath` exists and is one of the inputs. Only reads metadata: nothing is
 * opened for writing.
 */
export async function inspectRunInputs(files: readonly string[], outPath?: string): Promise<RunInputs> {
  const identity = async (file: string) => {
    const info = await stat(file, { bigint: true });
    return `${info.dev}:${info.ino}`;
  };
  const firstNameOf = new Map<string, string>();
  const distinct: string[] = [];
  const duplicates: DuplicateInput[] = [];
  for (const file of files.map((name) => path.resolve(name))) {
    const id = await identity(file);
    const first = firstNameOf.get(id);
    if (first === undefined) {
      firstNameOf.set(id, file);
      distinct.push(file);
    } else {
      duplicates.push({ file, sameAs: first });
    }
  }
  if (outPath !== undefined) {
    const out = path.resolve(outPath);
    const id = await identity(out).catch((error: NodeJS.ErrnoException) => {
      // No file there yet (or a dangling symlink): it cannot be an input.
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    const input = id === undefined ? undefined : firstNameOf.get(id);
    if (input !== undefined) throw new OutputIsInputError(out, input);
  }
  return { files: distinct, duplicates };
}

/**
 * Runs files through the real handlers on in-process adapters: the user's files are the object store, an in-memory
 * queue with SQS semantics carries the chunks, and entries are kept in memory only as counts, or streamed to
 * `outPath` as JSON Lines. A file given more than once (by any path) is run once and listed in `duplicateInputs`;
 * an `outPath` that is one of the inputs is refused ({@link OutputIsInputError}) before anything is written.
 */
export async function runLocalPipeline(options: LocalRunOptions): Promise<RunSummary> {
  const started = performance.now();
  const counter = new RequestCounter();
  // Before anything opens outPath: an input given as the output would be truncated before it is read.
  const { files, duplicates } = await inspectRunInputs(options.files, options.outPath);
  const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  let bytesRead = 0;
  let chunksProcessed = 0;
  const report = () => options.onProgress?.({ bytesRead, totalBytes, chunksProcessed });

  const objectStore = new ProgressObjectStore(new LocalFileObjectStore(), (bytes) => {
    bytesRead += bytes;
  });
  const settings = options.settings ?? {};
  const queue = new InMemoryChunkQueue({
    capacity: options.queueCapacity ?? DEFAULT_QUEUE_CAPACITY,
    maxReceiveCount: settings.maxReceiveCount ?? 5,
    deadLetterStore: options.store?.deadLetterStore,
    workerSettings: deadLetterWorkerSettings(settings),
  });
  const deadLetteredBefore = (await queue.depth()).deadLettered;
  const repository =
    options.store?.logRepository ??
    (options.outPath === undefined ? new InMemoryLogRepository({ retainEntries: false }) : new JsonlFileLogRepository(options.outPath));
  const continuations = new InMemorySplitContinuations();
  // A store another process writes too may already hold a file's batch when this run comes to it (two runs of the
  // same files at once): that file is the other run's, reported as such, not counted in this run's totals.
  const createdHere = new Set<string>();
  const container = createContainer({
    adapters: adaptersModule({ objectStore, chunkQueue: queue, logRepository: noteCreatedBatches(repository, createdHere), continuations }, counter),
    settings,
  });
  const splitter = createSplitterHandler(() => ({ splitLogObject: container.get<SplitLogObject>(TOKENS.SplitLogObject) }));
  const worker = createWorkerHandler(() => ({ processChunk: container.get<ProcessChunk>(TOKENS.ProcessChunk) }));
  const runtime = new LocalRuntime({
    splitter,
    worker,
    continuations,
    splitterTimeoutMs: options.splitterTimeoutMs,
    // The event source's calls (receive, delete, ...) are counted like the handlers' port calls.
    queue: countCalls(queue, 'chunkQueue', counter),
    workerConcurrency: options.workerConcurrency,
    onWorkerInvocation: ({ messages, failed }) => {
      chunksProcessed += messages - failed;
      report();
    },
  });

  const uploads = await Promise.all(files.map((file) => objectStore.head(LOCAL_BUCKET, file)));
  const ticker = options.onProgress === undefined ? undefined : setInterval(report, 200);
  const governor = options.memoryBudgetMb === undefined ? undefined : startMemoryGovernor({ budgetBytes: options.memoryBudgetMb * 1024 * 1024 });
  let runReport: Awaited<ReturnType<LocalRuntime['run']>>;
  try {
    runReport = await runtime.run(uploads);
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    governor?.stop();
  }
  if (repository instanceof JsonlFileLogRepository) await repository.close();
  report();

  const batches: BatchSummary[] = [];
  const createdElsewhere: BatchSummary[] = [];
  for (const upload of uploads) {
    const batch = await repository.getBatch(deriveBatchId(upload));
    if (batch === undefined) {
      // The splitter never created the file's batch (the store refused it on every attempt): a file not stored is a
      // failed file, not one left out of the summary.
      batches.push(unstoredBatch(upload, runReport.splitterErrors));
      continue;
    }
    (createdHere.has(batch.batchId) || options.store === undefined ? batches : createdElsewhere).push(summarizeBatch(batch, upload.key));
  }
  const depth = await queue.depth();
  counter.add('logRepository.entriesWritten', repository.entryWrites);
  const elapsedMs = Math.round(performance.now() - started);
  const totals = totalsOf(batches, depth.deadLettered - deadLetteredBefore);
  return {
    backend: 'memory',
    totals,
    batches,
    elapsedMs,
    linesPerSecond: elapsedMs === 0 ? totals.lines : Math.round((totals.lines * 1000) / elapsedMs),
    bytesRead,
    requests: counter.snapshot(),
    duplicateInputs: duplicates,
    ...(createdElsewhere.length > 0 ? { createdElsewhere } : {}),
  };
}

/**
 * The summary of a file whose batch was never created: FAILED, with the splitter's last error for it (the runtime
 * labels each with the file's key).
 */
function unstoredBatch(upload: ObjectInfo, splitterErrors: readonly string[]): BatchSummary {
  const prefix = `${upload.key}: `;
  const lastError = splitterErrors.filter((error) => error.startsWith(prefix)).at(-1)?.slice(prefix.length);
  return {
    ...summarizeBatch(newBatch({ batchId: deriveBatchId(upload), source: upload, createdAt: new Date().toISOString() }), upload.key),
    status: 'FAILED',
    reason: `${upload.key}: not stored: its batch could not be created${lastError === undefined ? '' : ` (${lastError})`}`,
  };
}

/** The repository, noting in `created` each batch that `createBatch` creates (rather than finds) through it. */
function noteCreatedBatches<R extends LogRepository>(repository: R, created: Set<string>): R {
  return new Proxy(repository, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'createBatch') {
        return async (...args: Parameters<LogRepository['createBatch']>) => {
          const result = await target.createBatch(...args);
          if (result.created) created.add(args[0].batchId);
          return result;
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Counts the bytes streamed out of an object store, for the progress bar. */
class ProgressObjectStore implements ObjectStore {
  constructor(
    private readonly inner: ObjectStore,
    private readonly onBytes: (bytes: number) => void,
  ) {}

  head(bucket: string, key: string): Promise<ObjectInfo> {
    return this.inner.head(bucket, key);
  }

  list(bucket: string, options?: ListObjectsOptions): AsyncIterable<ObjectInfo> {
    return this.inner.list(bucket, options);
  }

  async openStream(bucket: string, key: string, options?: { startByte?: number }) {
    const stream = await this.inner.openStream(bucket, key, options);
    const onBytes = this.onBytes;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        onBytes(chunk.length);
        callback(null, chunk);
      },
    });
    stream.on('error', (error) => tap.destroy(error));
    return stream.pipe(tap);
  }
}
