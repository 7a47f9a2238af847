import { DeadLetters } from '../application/dead-letters.use-case.js';
import type { LogRepository } from '../application/ports/log-repository.port.js';
import { InMemoryChunkQueue } from '../adapters/memory/in-memory-chunk-queue.js';
import type { Batch } from '../domain/batch.js';
import { TOKENS } from '../di/tokens.js';
import { type AwsTargetOptions, NO_TARGET_MESSAGE, namesAwsTarget } from './aws-target-flags.js';
import { openStoreForCli } from './store-option.js';
import { UsageError } from './usage-error.js';

/** What `batches`, `status` and `dlq` work on: the deployed (or emulated) stack, or a local store. */
export interface OperatorTarget {
  /** What the batches are in, as messages name it. */
  readonly holder: 'store' | 'table';
  readonly repository: LogRepository;
  readonly deadLetters: DeadLetters;
  /** Moves the dead letters back; on a store, also processes them (a local run has no workers left). */
  redrive(): Promise<{ moved: number; batches?: readonly Batch[]; stillDeadLettered?: number }>;
  close(): void;
}

/**
 * `--store PATH` (or LOGBATCH_STORE; an empty one is no store, as for `run` and `ui`) picks the store; otherwise the
 * AWS target flags and environment. On AWS each part asks only for what it uses, when it is first used: the
 * repository (`status`, `batches`) the table; the dead letters (`dlq list`) the table and the DLQ; `redrive` the DLQ
 * and the chunk queue.
 */
export async function operatorTarget(
  options: AwsTargetOptions & { readonly store?: string },
  access: { readonly readOnly?: boolean } = {},
): Promise<OperatorTarget> {
  if (options.store !== undefined && options.store !== '') {
    // batches, status and dlq list only read the store (readOnly: also one this user cannot write, left as it is);
    // dlq redrive writes to it.
    const opened = await openStoreForCli(options.store, { mustExist: true, readOnly: access.readOnly });
    const queue = new InMemoryChunkQueue({ deadLetterStore: opened.deadLetterStore });
    return {
      holder: 'store',
      repository: opened.logRepository,
      deadLetters: new DeadLetters(queue, opened.logRepository),
      redrive: async () => {
        const { redriveLocalStore } = await import('../local/redrive-local.js');
        return redriveLocalStore({ store: opened });
      },
      close: opened.close,
    };
  }
  if (!namesAwsTarget(options)) throw new UsageError(NO_TARGET_MESSAGE);
  const { awsTargetContainer } = await import('./aws-target.js');
  let repository: LogRepository | undefined;
  let deadLetters: DeadLetters | undefined;
  return {
    holder: 'table',
    get repository() {
      repository ??= awsTargetContainer(options, ['tableName']).get<LogRepository>(TOKENS.LogRepository);
      return repository;
    },
    get deadLetters() {
      deadLetters ??= awsTargetContainer(options, ['tableName', 'deadLetterQueueUrl']).get<DeadLetters>(TOKENS.DeadLetters);
      return deadLetters;
    },
    redrive: async () => ({ moved: await awsTargetContainer(options, ['queueUrl', 'deadLetterQueueUrl']).get<DeadLetters>(TOKENS.DeadLetters).redrive() }),
    close: () => undefined,
  };
}
