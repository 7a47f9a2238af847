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

  describe('run', () => {
    it('emits no MaxListenersExceededWarning when more than ten pollers wait on the queue at once', async () => {
      const queue = new InMemoryChunkQueue();
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      // No upload for 200 ms: every poller finds the queue empty and long-polls on the runtime's shared wake signal.
      const uploads = (async function* () {
        await delay(200);
      })();
      process.on('warning', onWarning);

      try {
        await new LocalRuntime({ splitter: async () => undefined, worker: async () => ({ batchItemFailures: [] }), queue, workerConcurrency: 16, pollWaitMs: 1_000 }).run(uploads);
        // Warnings are emitted on the next tick.
        await delay(10);
      } finally {
        process.off('warning', onWarning);
      }

      expect(warnings.map((warning) => `${warning.name}: ${warning.message}`)).to.deep.equal([]);
    });
  });
});
