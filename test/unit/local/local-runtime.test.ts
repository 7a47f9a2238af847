import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import type { SQSEvent } from 'aws-lambda';
import { InMemoryChunkQueue } from '../../../src/adapters/memory/in-memory-chunk-queue.js';
import { LocalRuntime } from '../../../src/local/local-runtime.js';

describe('LocalRuntime', () => {
  describe('a worker invocation that outlasts the queue visibility timeout', () => {
    /** One message, a queue that hides it for 200 ms, and a first invocation that takes 700 ms. */
    async function deliveries(visibilityHeartbeatMs: number): Promise<number[]> {
      const queue = new InMemoryChunkQueue({ visibilityTimeoutMs: 200 });
      await queue.sendBatch([{ chunk: 0, body: 'chunk 0', bytes: 7 }]);
      const receiveCounts: number[] = [];
      const worker = async (event: SQSEvent) => {
        receiveCounts.push(...event.Records.map((record) => Number(record.attributes.ApproximateReceiveCount)));
        if (receiveCounts.length === 1) await delay(700);
        return { batchItemFailures: [] };
      };
      await new LocalRuntime({ splitter: async () => undefined, worker, queue, workerConcurrency: 2, visibilityHeartbeatMs }).run([]);
      return receiveCounts;
    }

    it('keeps its messages hidden while it runs, so no other poller processes them again', async () => {
      expect(await deliveries(50)).to.deep.equal([1]);
    });

    it('(control) without an extension in time, another poller receives the message again', async () => {
      expect((await deliveries(5_000)).length).to.be.greaterThan(1);
    });
  });
});
