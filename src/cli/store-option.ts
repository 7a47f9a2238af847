import { Option } from 'commander';
import { LogBatchError } from '../domain/errors.js';
import { type OpenLocalStore, openLocalStore } from '../local/local-store.js';
import { UsageError } from './usage-error.js';

/** `--store PATH` (or LOGBATCH_STORE): the SQLite file a local run keeps batches, entries and dead letters in. */
export function storeOption(): Option {
  return new Option('--store <path>', 'SQLite store file (default: LOGBATCH_STORE)').env('LOGBATCH_STORE');
}

/**
 * Opens the store named by `--store`; a bad store (missing directory, not a SQLite file, newer schema, or missing
 * when it must exist) is a usage error: one line, exit 2, nothing written.
 */
export async function openStoreForCli(filePath: string, options: { mustExist?: boolean } = {}): Promise<OpenLocalStore> {
  try {
    return await openLocalStore(filePath, options);
  } catch (error) {
    if (error instanceof LogBatchError && error.code === 'STORE_UNUSABLE') throw new UsageError(error.message);
    throw error;
  }
}

/** Quotes a path for a shell command line only when it needs it. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
