import type { PipelineSettings } from '../application/pipeline-settings.js';
import type { ClaimedDeadLetter, DeadLetterStore, StoredDeadLetter } from '../application/ports/dead-letter-store.port.js';
import { LocalFileObjectStore } from '../adapters/local/local-file-object-store.js';
import { InMemoryChunkQueue } from '../adapters/memory/in-memory-chunk-queue.js';
import { InMemorySplitContinuations } from '../adapters/memory/in-memory-split-continuations.js';
import type { Batch } from '../domain/batch.js';
import { peekChunkIdentity } from '../domain/chunk.js';
import { ConfigurationError } from '../domain/errors.js';
import { adaptersModule } from '../di/adapters.module.js';
import { createContainer } from '../di/container.js';
import { createLocalHandlers } from './local-handlers.js';
import { LocalRuntime } from './local-runtime.js';
import type { LocalStoreAdapters } from './local-store.js';

export interface LocalRedriveResult {
  /** Dead letters moved back to the queue. */
  readonly moved: number;
  /** The batches the moved chunks belong to, as they stand after processing. */
  readonly batches: readonly Batch[];
  /** Chunks of this redrive that failed again and are dead letters once more. */
  readonly stillDeadLettered: number;
}

/**
 * `logbatch dlq redrive --store`: a local run has no queue left once it ends, so redriving claims the store's dead
 * letters, puts them on a fresh in-memory queue and runs the real worker handler over it until it drains, exactly as
 * the chunk queue's event source would after an SQS redrive. Each letter's chunk is processed with the filters and
 * redaction of the run that dead-lettered it (one queue per distinct set); chunks that fail again go back to the
 * store's dead letters. A letter leaves the store only once its chunk settles, so an interrupted redrive loses
 * nothing, and a redrive running at the same time claims only what this one did not.
 */
export async function redriveLocalStore(options: {
  readonly store: LocalStoreAdapters;
  readonly settings?: Partial<PipelineSettings>;
  readonly workerConcurrency?: number;
  /** The HMAC key for letters redacted with `hmac`. @default LOGBATCH_REDACT_KEY */
  readonly redactionKey?: string;
}): Promise<LocalRedriveResult> {
  const base = options.settings ?? {};
  const store = options.store.deadLetterStore;
  const claimed = store.claim();
  const groups = new Map<string, ClaimedDeadLetter[]>();
  for (const letter of claimed) {
    const key = JSON.stringify(letter.workerSettings ?? null);
    groups.set(key, [...(groups.get(key) ?? []), letter]);
  }
  const redactionKey = options.redactionKey ?? process.env.LOGBATCH_REDACT_KEY;
  if (redactionKey === undefined && claimed.some((letter) => letter.workerSettings?.redaction.replacement === 'hmac')) {
    store.release(claimed.map((letter) => letter.claim));
    throw new ConfigurationError(
      'dead letters of a run with --redact-replacement hmac need its key to be redriven: set LOGBATCH_REDACT_KEY to the key that run used',
    );
  }
  const again = new CountingDeadLetters(store);
  for (const letters of groups.values()) {
    const kept = letters[0]!.workerSettings;
    const settings: Partial<PipelineSettings> =
      kept === undefined ? base : { ...base, filters: kept.filters, redaction: { ...kept.redaction, ...(redactionKey === undefined ? {} : { key: redactionKey }) } };
    const queue = new InMemoryChunkQueue({
      maxReceiveCount: settings.maxReceiveCount ?? 5,
      deadLetterStore: again,
      workerSettings: kept,
    });
    const continuations = new InMemorySplitContinuations();
    const container = createContainer({
      adapters: adaptersModule({ objectStore: new LocalFileObjectStore(), chunkQueue: queue, logRepository: options.store.logRepository, continuations }),
      settings,
    });
    const { splitter, worker } = createLocalHandlers(container);
    queue.requeue(letters);
    await new LocalRuntime({ splitter, worker, continuations, queue, workerConcurrency: options.workerConcurrency }).run([]);
  }
  const batchIds = new Set(claimed.flatMap((letter) => peekChunkIdentity(letter.body).batchId ?? []));
  const batches: Batch[] = [];
  for (const batchId of batchIds) {
    const batch = await options.store.logRepository.getBatch(batchId);
    if (batch !== undefined) batches.push(batch);
  }
  return { moved: claimed.length, batches, stillDeadLettered: again.added };
}

/** The store, counting the letters this redrive adds to it. */
class CountingDeadLetters implements DeadLetterStore {
  added = 0;

  constructor(private readonly store: DeadLetterStore) {}

  add(message: StoredDeadLetter): void {
    this.store.add(message);
    this.added += 1;
  }

  list(limit?: number): StoredDeadLetter[] {
    return this.store.list(limit);
  }

  count(): number {
    return this.store.count();
  }

  claim(): ClaimedDeadLetter[] {
    return this.store.claim();
  }

  settle(claim: number): void {
    this.store.settle(claim);
  }

  release(claims: readonly number[]): void {
    this.store.release(claims);
  }
}
