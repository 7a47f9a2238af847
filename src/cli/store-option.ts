import { Option } from 'commander';
import { LogBatchError } from '../domain/errors.js';
import { type OpenLocalStore, openLocalStore, type StoreAccess } from '../local/local-store.js';
import type { AwsTargetOptions } from './aws-target-flags.js';
import { UsageError } from './usage-error.js';

/**
 * `--store PATH` (or LOGBATCH_STORE): the SQLite file a local run keeps batches, entries and dead letters in. An empty
 * LOGBATCH_STORE is no store, for every command, as if it were unset: the option is then undefined. (Not a parser of
 * the value: commander stores an empty string for a parser's undefined, which every command would take for a path.)
 */
export function storeOption(): Option {
  const option = new Option('--store <path>', 'SQLite store file (default: LOGBATCH_STORE)');
  // Read when the command line is parsed: the variable is the option's default only while it names something.
  Object.defineProperty(option, 'envVar', { get: () => ((process.env.LOGBATCH_STORE ?? '') === '' ? undefined : 'LOGBATCH_STORE'), configurable: true });
  return option;
}

/**
 * Opens the store named by `--store` (see {@link StoreAccess}: a command that only reads passes `readOnly`); a store it
 * cannot use (missing directory, not a logbatch store, a newer schema, or, read-only, an older one, missing when it
 * must exist, read-only for this user when it writes) is a usage error: one line, exit 2, nothing written.
 */
export async function openStoreForCli(filePath: string, options: StoreAccess = {}): Promise<OpenLocalStore> {
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

/**
 * What a command that reads a store or the stack works on. LOGBATCH_STORE is a default: AWS target flags typed on the
 * command line (`--table`, `--queue-url`, `--dlq-url`, `--endpoint-url`) win over it, as they do for `ui` and as
 * `--out` does for `run`; `--store` typed with them is a usage error. `storeSource` is commander's value source of
 * the option (`env` when it came from LOGBATCH_STORE).
 */
export function storeOrStack<T extends AwsTargetOptions & { readonly store?: string }>(options: T, storeSource: string | undefined): T {
  const awsFlagGiven = options.table !== undefined || options.queueUrl !== undefined || options.dlqUrl !== undefined || options.endpointUrl !== undefined;
  if (options.store === undefined || options.store === '' || (awsFlagGiven && storeSource === 'env')) return { ...options, store: undefined };
  if (awsFlagGiven) throw new UsageError('--store and the AWS target flags: choose one');
  return options;
}
