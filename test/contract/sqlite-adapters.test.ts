import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { InMemoryChunkQueue } from '../../src/adapters/memory/in-memory-chunk-queue.js';
import { SqliteDeadLetterStore } from '../../src/adapters/sqlite/sqlite-dead-letter-store.js';
import { SqliteLogRepository } from '../../src/adapters/sqlite/sqlite-log-repository.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { describeChunkQueueContract } from './chunk-queue.contract.js';
import { describeLogRepositoryContract } from './log-repository.contract.js';

/** A fresh store file in its own directory, removed afterwards. */
export async function temporaryStore(): Promise<{ store: SqliteStore; file: string; cleanup: () => Promise<void> }> {
  const directory = await mkdtemp(path.join(tmpdir(), 'logbatch-sqlite-'));
  const file = path.join(directory, 'store.db');
  const store = SqliteStore.open(file);
  return {
    store,
    file,
    cleanup: async () => {
      store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

describeLogRepositoryContract('SqliteLogRepository', async () => {
  const { store, cleanup } = await temporaryStore();
  return { repository: new SqliteLogRepository(store), cleanup };
});

describeChunkQueueContract('InMemoryChunkQueue with SqliteDeadLetterStore', async () => {
  const { store, cleanup } = await temporaryStore();
  let elapsedMs = 0;
  const fixture = {
    queue: new InMemoryChunkQueue({ maxReceiveCount: 5, now: () => Date.now() + elapsedMs, deadLetterStore: new SqliteDeadLetterStore(store) }),
    maxReceiveCount: 5,
    visibilityTimeoutMs: 30_000,
    visibilityToleranceMs: 1_000,
    elapse: async (ms: number) => {
      elapsedMs += ms;
    },
    cleanup,
  };
  return fixture;
});

describe('SqliteDeadLetterStore', () => {
  describe('across processes', () => {
    it('keeps dead letters, reason and body, for a queue on the store opened again', async () => {
      const { store, file, cleanup } = await temporaryStore();
      const first = new InMemoryChunkQueue({ maxReceiveCount: 1, deadLetterStore: new SqliteDeadLetterStore(store) });
      await first.deadLetter('{"v":2,"batchId":"b","chunk":3}\n', 'worker gave up: store unavailable');
      await first.sendBatch([{ chunk: 4, body: 'poison', bytes: 6 }]);
      const [poison] = await first.receive(1);
      await first.changeVisibility(poison.receiptHandle, 0);
      await first.receive(1);
      store.close();

      const reopened = SqliteStore.open(file);
      const second = new InMemoryChunkQueue({ deadLetterStore: new SqliteDeadLetterStore(reopened) });
      const listed = await second.listDeadLetters();
      const moved = await second.redriveDeadLetters();
      const received = await second.receive(10);
      const remaining = (await second.depth()).deadLettered;
      reopened.close();
      await cleanup();

      expect(listed.map((message) => [message.body, message.reason])).to.deep.equal([
        ['{"v":2,"batchId":"b","chunk":3}\n', 'worker gave up: store unavailable'],
        ['poison', 'moved by the queue after 1 receives (maxReceiveCount 1)'],
      ]);
      expect(moved).to.equal(2);
      expect(received.map((message) => message.body)).to.deep.equal(['{"v":2,"batchId":"b","chunk":3}\n', 'poison']);
      expect(remaining).to.equal(0);
    });
  });
});
