import { expect } from 'chai';
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

describeChunkQueueContract('InMemoryChunkQueue', async () => {
  // Real time plus what `elapse` adds: long polls still end, and the visibility timeout can be stepped over.
  let elapsedMs = 0;
  return {
    // The queue's default visibility timeout, on purpose: it must be SQS's default, 30 s.
    queue: new InMemoryChunkQueue({ maxReceiveCount: 5, now: () => Date.now() + elapsedMs }),
    maxReceiveCount: 5,
    visibilityTimeoutMs: 30_000,
    visibilityToleranceMs: 1_000,
    elapse: async (ms) => {
      elapsedMs += ms;
    },
  };
});

describeLogRepositoryContract('InMemoryLogRepository', async () => ({ repository: new InMemoryLogRepository() }));

describe('InMemoryChunkQueue long poll', () => {
  it('ends a wait in progress when its signal aborts, and delivers what arrives during a wait', async () => {
    const queue = new InMemoryChunkQueue();
    const controller = new AbortController();
    const started = performance.now();

    const waiting = queue.receive(10, { waitMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const aborted = await waiting;
    const elapsed = performance.now() - started;

    const delivering = queue.receive(10, { waitMs: 60_000, signal: new AbortController().signal });
    await queue.sendBatch([{ chunk: 0, body: 'late', bytes: 4 }]);
    const delivered = await delivering;

    expect(aborted).to.deep.equal([]);
    expect(elapsed).to.be.below(5_000);
    expect(delivered.map((message) => message.body)).to.deep.equal(['late']);
  });
});
