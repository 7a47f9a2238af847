import type { PipelineSettings } from '../application/pipeline-settings.js';
import { LocalFileObjectStore } from '../adapters/local/local-file-object-store.js';
import { InMemoryChunkQueue } from '../adapters/memory/in-memory-chunk-queue.js';
import { InMemorySplitContinuations } from '../adapters/memory/in-memory-split-continuations.js';
import type { Batch } from '../domain/batch.js';
import { peekChunkIdentity } from '../domain/chunk.js';
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
  /** Dead letters in the store afterwards (chunks that failed again). */
  readonly stillDeadLettered: number;
}

/**
 * `logbatch dlq redrive --store`: a local run has no queue left once it ends, so redriving moves the store's dead
 * letters onto a fresh in-memory queue and runs the real worker handler over it until it drains, exactly as the
 * chunk queue's event source would after an SQS redrive. Chunks that fail again go back to the store's dead letters.
 */
export async function redriveLocalStore(options: {
  readonly store: LocalStoreAdapters;
  readonly settings?: Partial<PipelineSettings>;
  readonly workerConcurrency?: number;
}): Promise<LocalRedriveResult> {
  const settings = options.settings ?? {};
  const queue = new InMemoryChunkQueue({ maxReceiveCount: settings.maxReceiveCount ?? 5, deadLetterStore: options.store.deadLetterStore });
  const continuations = new InMemorySplitContinuations();
  const container = createContainer({
    adapters: adaptersModule({ objectStore: new LocalFileObjectStore(), chunkQueue: queue, logRepository: options.store.logRepository, continuations }),
    settings,
  });
  const { splitter, worker } = createLocalHandlers(container);
  const batchIds = new Set<string>();
  for (const message of await queue.listDeadLetters()) {
    const { batchId } = peekChunkIdentity(message.body);
    if (batchId !== undefined) batchIds.add(batchId);
  }
  const moved = await queue.redriveDeadLetters();
  await new LocalRuntime({ splitter, worker, continuations, queue, workerConcurrency: options.workerConcurrency }).run([]);
  const batches: Batch[] = [];
  for (const batchId of batchIds) {
    const batch = await options.store.logRepository.getBatch(batchId);
    if (batch !== undefined) batches.push(batch);
  }
  return { moved, batches, stillDeadLettered: (await queue.depth()).deadLettered };
}
