import { InMemoryChunkQueue } from '../../src/adapters/memory/in-memory-chunk-queue.js';
import { InMemoryLogRepository } from '../../src/adapters/memory/in-memory-log-repository.js';
import { InMemoryObjectStore } from '../../src/adapters/memory/in-memory-object-store.js';
import { describeChunkQueueContract } from './chunk-queue.contract.js';
import { describeLogRepositoryContract } from './log-repository.contract.js';
import { describeObjectStoreContract } from './object-store.contract.js';

describeObjectStoreContract('InMemoryObjectStore', async () => {
  const store = new InMemoryObjectStore();
  return {
    store,
    bucket: 'ingest',
    put: async (name, content) => {
      store.put('ingest', name, content);
      return name;
    },
    missingKey: () => 'missing.log',
  };
});

describeChunkQueueContract('InMemoryChunkQueue', async () => ({
  queue: new InMemoryChunkQueue({ visibilityTimeoutMs: 30_000, maxReceiveCount: 5 }),
  maxReceiveCount: 5,
}));

describeLogRepositoryContract('InMemoryLogRepository', async () => ({ repository: new InMemoryLogRepository() }));
