import { ContainerModule } from 'inversify';
import type { ChunkQueue } from '../application/ports/chunk-queue.port.js';
import type { LogRepository } from '../application/ports/log-repository.port.js';
import type { ObjectStore } from '../application/ports/object-store.port.js';
import type { QueueConsumer } from '../application/ports/queue-consumer.port.js';
import type { SplitContinuations } from '../application/ports/split-continuations.port.js';
import { countCalls, type RequestCounter } from '../adapters/instrumentation/request-counter.js';
import { TOKENS } from './tokens.js';

/** Adapter instances for the three ports, however they were built. */
export interface PortAdapters {
  readonly objectStore: ObjectStore;
  readonly chunkQueue: ChunkQueue;
  readonly logRepository: LogRepository;
  readonly continuations: SplitContinuations;
  /** The queue's consuming side, when operator tools need it (the in-memory queue is both). */
  readonly queueConsumer?: QueueConsumer;
}

/**
 * Binds ready-made adapter instances (in-memory, local files, or pre-built AWS adapters). With a counter, every
 * port call is counted (`objectStore.openStream`, `chunkQueue.sendBatch`, `logRepository.putEntries`, ...).
 */
export function adaptersModule(adapters: PortAdapters, counter?: RequestCounter): ContainerModule {
  const wrap = <T extends object>(port: T, prefix: string): T => (counter === undefined ? port : countCalls(port, prefix, counter));
  return new ContainerModule(({ bind }) => {
    bind<ObjectStore>(TOKENS.ObjectStore).toConstantValue(wrap(adapters.objectStore, 'objectStore'));
    bind<ChunkQueue>(TOKENS.ChunkQueue).toConstantValue(wrap(adapters.chunkQueue, 'chunkQueue'));
    bind<LogRepository>(TOKENS.LogRepository).toConstantValue(wrap(adapters.logRepository, 'logRepository'));
    if (adapters.queueConsumer !== undefined) bind<QueueConsumer>(TOKENS.QueueConsumer).toConstantValue(adapters.queueConsumer);
    bind<SplitContinuations>(TOKENS.SplitContinuations).toConstantValue(wrap(adapters.continuations, 'continuations'));
  });
}
