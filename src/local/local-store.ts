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
 * How a command opens its store. A command that only reads it (`query`, `batches`, `status`, `dlq list`, `ui` without
 * files) passes `readOnly`: the file must hold a store at this schema version, and it is read without being created,
 * initialised, migrated or switched to WAL, also when this user cannot write it or its folder. Otherwise the store is
 * opened to write: created (unless `mustExist`), migrated, and refused when this user cannot write it.
 */
export interface StoreAccess {
  /** Only read the store; its writes are refused (`dlq list` lists dead letters without recording them in their batches). */
  readonly readOnly?: boolean;
  /** To write, but only a store that is already there (`dlq redrive`): neither create the file nor start one in an empty file. */
  readonly mustExist?: boolean;
}

/**
 * Opens the SQLite store at `filePath` with its repository and dead-letter store. Loaded on demand, so commands
 * without `--store` never load the native SQLite addon.
 */
export async function openLocalStore(filePath: string, options: StoreAccess = {}): Promise<OpenLocalStore> {
  const [{ SqliteStore }, { SqliteLogRepository }, { SqliteDeadLetterStore }] = await Promise.all([
    import('../adapters/sqlite/sqlite-store.js'),
    import('../adapters/sqlite/sqlite-log-repository.js'),
    import('../adapters/sqlite/sqlite-dead-letter-store.js'),
  ]);
  const store = SqliteStore.open(filePath, { readOnly: options.readOnly, mustExist: options.mustExist });
  return {
    store,
    logRepository: new SqliteLogRepository(store),
    deadLetterStore: new SqliteDeadLetterStore(store),
    close: () => store.close(),
  };
}
