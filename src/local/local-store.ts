import type { DeadLetterStore } from '../application/ports/dead-letter-store.port.js';
import type { LogRepository } from '../application/ports/log-repository.port.js';
import type { SqliteStore } from '../adapters/sqlite/sqlite-store.js';

/** What a local run keeps in a store rather than in memory: batches and entries, and the queue's dead letters. */
export interface LocalStoreAdapters {
  readonly logRepository: LogRepository & { readonly entryWrites: number };
  readonly deadLetterStore: DeadLetterStore;
}

/** An open SQLite store with its adapters (`--store PATH`). */
export interface OpenLocalStore extends LocalStoreAdapters {
  readonly store: SqliteStore;
  readonly logRepository: LogRepository & { readonly entryWrites: number; deleteBatch(batchId: string): void };
  close(): void;
}

/**
 * Opens the SQLite store at `filePath` with its repository and dead-letter store. Loaded on demand, so commands
 * without `--store` never load the native SQLite addon.
 */
export async function openLocalStore(filePath: string, options: { mustExist?: boolean } = {}): Promise<OpenLocalStore> {
  const [{ SqliteStore }, { SqliteLogRepository }, { SqliteDeadLetterStore }] = await Promise.all([
    import('../adapters/sqlite/sqlite-store.js'),
    import('../adapters/sqlite/sqlite-log-repository.js'),
    import('../adapters/sqlite/sqlite-dead-letter-store.js'),
  ]);
  const store = SqliteStore.open(filePath, options);
  return {
    store,
    logRepository: new SqliteLogRepository(store),
    deadLetterStore: new SqliteDeadLetterStore(store),
    close: () => store.close(),
  };
}
