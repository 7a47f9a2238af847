import { DeadLetters } from '../application/dead-letters.use-case.js';
import type { LogRepository } from '../application/ports/log-repository.port.js';
import { InMemoryChunkQueue } from '../adapters/memory/in-memory-chunk-queue.js';
import type { Batch } from '../domain/batch.js';
import { TOKENS } from '../di/tokens.js';
import type { AwsTargetOptions } from './aws-target-flags.js';
import { openStoreForCli } from './store-option.js';

/** What `batches`, `status` and `dlq` work on: the deployed (or emulated) stack, or a local store. */
export interface OperatorTarget {
  readonly repository: LogRepository;
  readonly deadLetters: DeadLetters;
  /** Moves the dead letters back; on a store, also processes them (a local run has no workers left). */
  redrive(): Promise<{ moved: number; batches?: readonly Batch[]; stillDeadLettered?: number }>;
  close(): void;
}

/** `--store PATH` (or LOGBATCH_STORE) picks the store; otherwise the AWS target flags and environment. */
export async function operatorTarget(options: AwsTargetOptions & { readonly store?: string }): Promise<OperatorTarget> {
  if (options.store !== undefined) {
    const opened = await openStoreForCli(options.store, { mustExist: true });
    const queue = new InMemoryChunkQueue({ deadLetterStore: opened.deadLetterStore });
    return {
      repository: opened.logRepository,
      deadLetters: new DeadLetters(queue, opened.logRepository),
      redrive: async () => {
        const { redriveLocalStore } = await import('../local/redrive-local.js');
        return redriveLocalStore({ store: opened });
      },
      close: opened.close,
    };
  }
  const { awsTargetContainer } = await import('./aws-target.js');
  const container = awsTargetContainer(options);
  const deadLetters = container.get<DeadLetters>(TOKENS.DeadLetters);
  return {
    repository: container.get<LogRepository>(TOKENS.LogRepository),
    deadLetters,
    redrive: async () => ({ moved: await deadLetters.redrive() }),
    close: () => undefined,
  };
}
