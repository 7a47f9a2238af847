import { statSync } from 'node:fs';
import { BatchHistogram } from '../application/batch-histogram.use-case.js';
import { DeadLetters } from '../application/dead-letters.use-case.js';
import type { LogRepository } from '../application/ports/log-repository.port.js';
import { QueryEntries } from '../application/query-entries.use-case.js';
import { RepositoryEntryHistogram } from '../application/repository-entry-histogram.js';
import { RepositoryEntryQuery } from '../application/repository-entry-query.js';
import { InMemoryChunkQueue } from '../adapters/memory/in-memory-chunk-queue.js';
import { InMemoryDeadLetterStore } from '../adapters/memory/in-memory-dead-letter-store.js';
import { InMemoryEntryHistogram } from '../adapters/memory/in-memory-entry-histogram.js';
import { InMemoryLogRepository } from '../adapters/memory/in-memory-log-repository.js';
import type { AwsTargetOptions } from '../cli/aws-target-flags.js';
import type { LocalStoreAdapters, OpenLocalStore } from '../local/local-store.js';
import type { RedriveResponse } from './api-types.js';
import { HttpError } from './ui-server.js';
import { UsageError } from '../cli/usage-error.js';

/** Entries a histogram reads at most on DynamoDB, where every entry read is paid for. */
export const DYNAMODB_HISTOGRAM_BUDGET = 100_000;

/**
 * What the page works on, the same use cases and ports as the CLI's: batches from the repository, entries through
 * {@link QueryEntries} (as `logbatch query`), the DLQ through {@link DeadLetters} (as `logbatch dlq`).
 */
export interface UiBackend {
  /** Shown on the page: `memory`, `store x.db`, `DynamoDB table t`. */
  readonly description: string;
  readonly repository: LogRepository;
  readonly entries: QueryEntries;
  readonly histogram: BatchHistogram;
  readonly deadLetters: DeadLetters;
  /** As `logbatch dlq redrive`: on a local run or store the redriven chunks are processed before it returns. */
  redrive(): Promise<RedriveResponse>;
  /** True while this process still runs files into the backend. */
  isLive(): boolean;
  /** Throws an HttpError (503) when what the page serves is no longer what its name says (a store file replaced). */
  assertCurrent?(): void;
  close(): void;
}

/** A backend a local run writes into while the page reads it (memory, or a store opened by the caller). */
export interface LocalUiBackend extends UiBackend {
  /** What `runLocalPipeline` takes as its `store`. */
  readonly adapters: LocalStoreAdapters;
  setLive(live: boolean): void;
}

function localBackend(description: string, adapters: LocalStoreAdapters, entries: QueryEntries, histogram: BatchHistogram, close: () => void): LocalUiBackend {
  let live = false;
  return {
    description,
    adapters,
    repository: adapters.logRepository,
    entries,
    histogram,
    deadLetters: new DeadLetters(new InMemoryChunkQueue({ deadLetterStore: adapters.deadLetterStore }), adapters.logRepository),
    redrive: async () => {
      const { redriveLocalStore } = await import('../local/redrive-local.js');
      return redriveLocalStore({ store: adapters });
    },
    isLive: () => live,
    setLive: (value) => {
      live = value;
    },
    close,
  };
}

/** Entries kept in memory for the page (a `logbatch ui FILE...` run without `--store`). */
export function memoryUiBackend(): LocalUiBackend {
  const repository = new InMemoryLogRepository({ retainEntries: true });
  const adapters: LocalStoreAdapters = { logRepository: repository, deadLetterStore: new InMemoryDeadLetterStore() };
  return localBackend(
    'memory',
    adapters,
    new QueryEntries(new RepositoryEntryQuery(repository)),
    new BatchHistogram(repository, new InMemoryEntryHistogram(repository)),
    () => undefined,
  );
}

/** The SQLite store (`--store PATH`): entries and histograms in SQL on its indexes. */
export async function storeUiBackend(opened: OpenLocalStore): Promise<LocalUiBackend> {
  const [{ SqliteEntryQuery }, { SqliteEntryHistogram }] = await Promise.all([
    import('../adapters/sqlite/sqlite-entry-query.js'),
    import('../adapters/sqlite/sqlite-entry-histogram.js'),
  ]);
  const backend: LocalUiBackend = {
    ...localBackend(
      `store ${opened.store.filePath}`,
      opened,
      new QueryEntries(new SqliteEntryQuery(opened.store)),
      new BatchHistogram(opened.logRepository, new SqliteEntryHistogram(opened.store)),
      opened.close,
    ),
    assertCurrent: sameFileCheck(opened.store.filePath),
  };
  if (!opened.store.readOnly) return backend;
  // A store served without FILEs is opened read-only; the page's redrive writes to it, on a connection of its own.
  return Object.assign(backend, {
    redrive: async () => {
      const [{ openLocalStore }, { redriveLocalStore }] = await Promise.all([import('../local/local-store.js'), import('../local/redrive-local.js')]);
      const writable = await openLocalStore(opened.store.filePath, { mustExist: true });
      try {
        return await redriveLocalStore({ store: writable });
      } finally {
        writable.close();
      }
    },
  });
}

/**
 * The deployed stack (or `logbatch emulator`'s), named by the AWS target flags and environment. Like `batches` and
 * `dlq`, each part asks only for what it uses, when first used: the page starts with the table alone, the dead-letter
 * view then needs the DLQ's URL and its redrive the chunk queue's too (answered 503 naming the missing flag until given).
 */
export async function awsUiBackend(options: AwsTargetOptions): Promise<UiBackend> {
  const { operatorTarget } = await import('../cli/operator-target.js');
  const target = await operatorTarget(options);
  const repository = target.repository;
  return {
    description: `DynamoDB table ${options.table ?? process.env.LOGBATCH_TABLE_NAME ?? ''}`.trim(),
    repository,
    entries: new QueryEntries(new RepositoryEntryQuery(repository)),
    histogram: new BatchHistogram(repository, new RepositoryEntryHistogram(repository, { maxItems: DYNAMODB_HISTOGRAM_BUDGET })),
    get deadLetters() {
      return unlessUnconfigured(() => target.deadLetters);
    },
    redrive: async () => ({ moved: (await unlessUnconfigured(() => target.redrive())).moved }),
    isLive: () => false,
    close: () => undefined,
  };
}

/** What a part of the AWS target gives, or, when the flags it needs were not given, a 503 that names them. */
function unlessUnconfigured<T>(get: () => T): T {
  const unavailable = (error: unknown) => (error instanceof UsageError ? new HttpError(503, error.message) : error);
  try {
    const value = get();
    return (value instanceof Promise ? value.catch((error: unknown) => Promise.reject(unavailable(error))) : value) as T;
  } catch (error) {
    throw unavailable(error);
  }
}

/**
 * A check that the file at `filePath` is still the one opened now (same device and inode). A store deleted, or
 * replaced by another (`rm`, then a new `run --store` at the path), would otherwise go on being served under the
 * path's name, with batch ids that may exist in the new file too, and a redrive reopening the path would act on the
 * new one. Looks at most once a second; once the file is gone or replaced, every later call throws.
 */
function sameFileCheck(filePath: string): () => void {
  const identity = (): string | undefined => {
    try {
      const stats = statSync(filePath, { bigint: true });
      return `${stats.dev}:${stats.ino}`;
    } catch {
      return undefined;
    }
  };
  const opened = identity();
  let checkedAt = 0;
  let replaced = false;
  return () => {
    const now = performance.now();
    if (!replaced && now - checkedAt >= 1000) {
      checkedAt = now;
      const current = identity();
      replaced = opened !== undefined && current !== opened;
    }
    if (replaced) {
      throw new HttpError(503, `the store ${filePath} was removed or replaced after logbatch ui opened it: restart logbatch ui to serve what is there now`);
    }
  };
}
