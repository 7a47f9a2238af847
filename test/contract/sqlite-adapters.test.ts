import { mkdtemp, rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
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

  describe('claims of a redrive', () => {
    const letter = (chunk: number) => ({ messageId: `m${chunk}`, body: `{"v":2,"batchId":"b","chunk":${chunk}}\n`, reason: 'failed' });

    it('holds claimed letters (not listed) until settled, and gives released ones back', async () => {
      const { store, cleanup } = await temporaryStore();
      const letters = new SqliteDeadLetterStore(store);
      for (const chunk of [1, 2, 3]) letters.add(letter(chunk));

      const claimed = letters.claim();
      const again = letters.claim();
      const listedWhileClaimed = letters.count();
      letters.settle(claimed[0].claim);
      letters.release([claimed[1].claim]);
      const afterwards = letters.claim().map((message) => message.messageId);
      await cleanup();

      expect(claimed.map((message) => message.messageId)).to.deep.equal(['m1', 'm2', 'm3']);
      expect(again).to.deep.equal([]);
      expect(listedWhileClaimed).to.equal(0);
      expect(afterwards).to.deep.equal(['m2']);
    });

    it('takes over the claim of a redrive whose process is gone, not of one that still runs', async () => {
      const { store, cleanup } = await temporaryStore();
      const letters = new SqliteDeadLetterStore(store);
      letters.add(letter(1));
      letters.add(letter(2));
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      const mark = store.db.prepare('UPDATE dead_letters SET claimed_by = ?, claimed_at = ? WHERE message_id = ?');
      mark.run(`${hostname()}:${gone}`, new Date().toISOString(), 'm1');
      mark.run(`${hostname()}:${process.ppid}`, new Date().toISOString(), 'm2');

      const listed = letters.list().map((message) => message.messageId);
      const claimed = letters.claim().map((message) => message.messageId);
      await cleanup();

      expect(listed).to.deep.equal(['m1']);
      expect(claimed).to.deep.equal(['m1']);
    });

    it('keeps the batch and the worker settings of each letter, and --reprocess drops the batch\'s letters', async () => {
      const { store, cleanup } = await temporaryStore();
      const letters = new SqliteDeadLetterStore(store);
      const repository = new SqliteLogRepository(store);
      await repository.createBatch({ batchId: 'b', source: { bucket: 'x', key: 'k', etag: 'e' }, createdAt: '2026-12-03T00:00:00.000Z' });
      const workerSettings = { filters: { include: [], exclude: ['^GET /health'], minSeverity: 'warn' }, redaction: { redact: 'email', replacement: 'hmac' as const } };
      letters.add({ ...letter(1), workerSettings });
      letters.add({ ...letter(2), body: '{"v":2,"batchId":"other","chunk":2}\n' });

      const listed = letters.list();
      repository.deleteBatch('b');
      const left = letters.list().map((message) => message.body);
      await cleanup();

      expect(listed[0].workerSettings).to.deep.equal(workerSettings);
      expect(listed[1]).to.not.have.property('workerSettings');
      expect(left).to.deep.equal(['{"v":2,"batchId":"other","chunk":2}\n']);
    });
  });
});
