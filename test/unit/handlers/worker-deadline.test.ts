import type { Context } from 'aws-lambda';
import { expect } from 'chai';
import sinon from 'sinon';
import type { DeliveryOutcome, ProcessChunk } from '../../../src/application/process-chunk.use-case.js';
import { TransientFailureError } from '../../../src/domain/errors.js';
import { workerRuntimeOptions } from '../../../src/handlers/lambda-runtime.js';
import { createWorkerHandler } from '../../../src/handlers/worker.js';
import { InvocationDeadline, workerTimeBudget, worstCaseRetryWaitMs } from '../../../src/handlers/worker-deadline.js';
import { deriveBatchId } from '../../../src/domain/batch.js';
import { sqsEvent } from '../../../src/local/aws-events.js';
import { s3EventFactory, sqsEventFactory } from '../../helpers/events.js';
import { BUCKET, createMemoryPipeline } from '../../helpers/memory-pipeline.js';

/** A Lambda context whose remaining time follows `Date.now()` (fake timers move both). */
function fakeInvocation(timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const context = { getRemainingTimeInMillis: () => deadline - Date.now(), awsRequestId: 'req-1' } as unknown as Context;
  return { context };
}

describe('worker deadline', () => {
  describe('createWorkerHandler', () => {
    it('stops starting chunks near its deadline and returns the rest of the batch as failures at once', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['Date'] });
      const timeoutMs = 120_000;
      const started: string[] = [];
      const processChunk = {
        handleDelivery: async ({ body }: { body: string }): Promise<DeliveryOutcome> => {
          started.push(body);
          // Each chunk takes 30 s of the invocation (a throttled table).
          clock.tick(30_000);
          return { kind: 'processed', outcome: { stats: { lines: 0, entries: 0, unparsed: 0 } } as never };
        },
        handleUnstarted: async (_delivery: unknown, reason: string): Promise<DeliveryOutcome> => ({ kind: 'retry', reason, error: undefined }),
      } as unknown as ProcessChunk;
      const { budget } = workerRuntimeOptions(timeoutMs);
      const returned: string[][] = [];
      const handler = createWorkerHandler(() => ({
        processChunk,
        timeBudget: { reserveMs: budget.reserveMs },
        returnUnstarted: async (receiptHandles) => {
          returned.push([...receiptHandles]);
        },
      }));
      const bodies = Array.from({ length: 10 }, (_, index) => `chunk-${index}`);

      let response;
      try {
        response = await handler(sqsEventFactory(bodies), fakeInvocation(timeoutMs).context);
      } finally {
        clock.restore();
      }

      // 120 s: chunk 0 at 120 s left, 1 at 90, 2 at 60 (≥ 24 s reserve + 30 s longest); at 30 s left it stops.
      expect(started).to.deep.equal(['chunk-0', 'chunk-1', 'chunk-2']);
      expect(response.batchItemFailures.map(({ itemIdentifier }) => itemIdentifier)).to.deep.equal(
        ['m-3', 'm-4', 'm-5', 'm-6', 'm-7', 'm-8', 'm-9'],
      );
      // Made visible again at once, in one call, rather than left to the queue's visibility timeout.
      expect(returned).to.deep.equal([['r-3', 'r-4', 'r-5', 'r-6', 'r-7', 'r-8', 'r-9']]);
    });

    it('dead-letters with its reason a chunk it cannot start on its last allowed receive, and starts chunks on later receives first', async () => {
      const pipeline = createMemoryPipeline({ settings: { maxChunkLines: 1 } });
      const upload = pipeline.objectStore.put(BUCKET, 'app.log', 'one\ntwo\nthree\n');
      await pipeline.splitter(s3EventFactory({ key: 'app.log', size: upload.size, etag: upload.etag }));
      const messages = await pipeline.queue.receive(10);
      expect(messages).to.have.length(3);
      // Chunk 0 on its first receive, chunks 1 and 2 on their fifth and last (maxReceiveCount 5).
      const event = sqsEvent(messages.map((message, index) => ({ ...message, receiveCount: index === 0 ? 1 : 5 })));
      const clock = sinon.useFakeTimers({ toFake: ['Date'] });
      const started: number[] = [];
      const processChunk = Object.assign(Object.create(pipeline.processChunk) as ProcessChunk, {
        handleDelivery: async (delivery: { body: string; receiveCount: number }) => {
          started.push(delivery.receiveCount);
          clock.tick(60_000);
          return pipeline.processChunk.handleDelivery(delivery);
        },
      });
      const returned: string[] = [];
      const handler = createWorkerHandler(() => ({
        processChunk,
        timeBudget: { reserveMs: 24_000 },
        returnUnstarted: async (receiptHandles) => {
          returned.push(...receiptHandles);
        },
      }));

      let response;
      try {
        // Time for one chunk: the first started takes 60 s, and 24 s + 60 s no longer fit in the 40 s left.
        response = await handler(event, fakeInvocation(100_000).context);
      } finally {
        clock.restore();
      }

      expect(started).to.deep.equal([5]);
      const batchId = deriveBatchId({ bucket: BUCKET, key: 'app.log', etag: upload.etag.replace(/"/g, '') });
      const batch = await pipeline.repository.getBatch(batchId);
      expect(batch?.processedChunks).to.equal(1);
      expect(batch?.deadLetteredChunks).to.have.length(1);
      const letters = await pipeline.queue.listDeadLetters();
      expect(letters).to.have.length(1);
      expect(letters[0].reason).to.match(/^not started on its last allowed receive \(5\): returned unprocessed: 40000 ms left, 84000 ms needed to start a chunk$/);
      // The chunk on its first receive is given back, visible again at once.
      expect(response.batchItemFailures).to.deep.equal([{ itemIdentifier: messages[0].messageId }]);
      expect(returned).to.deep.equal([messages[0].receiptHandle]);
    });

    it('processes the whole batch when there is time, and without a context (locally)', async () => {
      const processChunk = {
        handleDelivery: async (): Promise<DeliveryOutcome> => ({ kind: 'processed', outcome: { stats: { lines: 0, entries: 0, unparsed: 0 } } as never }),
      } as unknown as ProcessChunk;
      const handler = createWorkerHandler(() => ({ processChunk, timeBudget: { reserveMs: 24_000 } }));

      expect((await handler(sqsEventFactory(['a', 'b']), fakeInvocation(120_000).context)).batchItemFailures).to.deep.equal([]);
      expect((await handler(sqsEventFactory(['a', 'b']))).batchItemFailures).to.deep.equal([]);
    });

    it('reports a chunk whose handling throws (dead-lettering failed) as a failure, and goes on with the rest', async () => {
      let calls = 0;
      const processChunk = {
        handleDelivery: async (): Promise<DeliveryOutcome> => {
          calls += 1;
          if (calls === 1) throw new TransientFailureError('DLQ unavailable');
          return { kind: 'processed', outcome: { stats: { lines: 0, entries: 0, unparsed: 0 } } as never };
        },
      } as unknown as ProcessChunk;
      const handler = createWorkerHandler(() => ({ processChunk }));

      const response = await handler(sqsEventFactory(['a', 'b']));

      expect(response.batchItemFailures).to.deep.equal([{ itemIdentifier: 'm-0' }]);
      expect(calls).to.equal(2);
    });

    it('resolves its dependencies with the first invocation\'s context, from which the runtime sizes its budget', async () => {
      const seen: Array<Context | undefined> = [];
      const processChunk = { handleDelivery: async () => ({ kind: 'retry', reason: 'x', error: undefined }) } as unknown as ProcessChunk;
      const handler = createWorkerHandler((context) => {
        seen.push(context);
        return { processChunk };
      });
      const { context } = fakeInvocation(120_000);

      await handler(sqsEventFactory([]), context);
      await handler(sqsEventFactory([]), context);

      expect(seen).to.deep.equal([context]);
    });
  });

  describe('workerTimeBudget', () => {
    it('keeps the adapters\' retry policy at the default 120 s timeout: 8 attempts, waits up to 5 s, in a 24 s reserve', () => {
      const budget = workerTimeBudget(120_000);

      expect(budget).to.deep.include({ reserveMs: 24_000, finalGuardMs: 6_000, worstCaseRetryWaitMs: 6_350 });
      expect(budget.retry).to.deep.equal({ maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5_000 });
    });

    it('cuts attempts and waits for a short timeout so one call\'s retries fit in half the reserve', () => {
      const budget = workerTimeBudget(10_000);

      expect(budget.reserveMs).to.equal(2_000);
      expect(budget.retry.maxDelayMs).to.equal(500);
      expect(budget.retry.maxAttempts).to.be.below(8);
      expect(budget.worstCaseRetryWaitMs).to.be.at.most(1_000);
    });

    it('fits every timeout Lambda allows: retries within half the reserve, reserve and guard within the timeout', () => {
      for (const timeoutMs of [1_000, 3_000, 10_000, 30_000, 60_000, 120_000, 300_000, 900_000]) {
        const budget = workerTimeBudget(timeoutMs);

        expect(budget.worstCaseRetryWaitMs, `${timeoutMs}`).to.be.at.most(budget.reserveMs / 2);
        expect(budget.worstCaseRetryWaitMs).to.equal(worstCaseRetryWaitMs(budget.retry));
        expect(budget.reserveMs, `${timeoutMs}`).to.be.at.most(timeoutMs / 2);
        expect(budget.finalGuardMs, `${timeoutMs}`).to.be.at.most(budget.reserveMs / 2);
        expect(budget.retry.maxAttempts).to.be.at.least(1);
      }
    });
  });

  describe('InvocationDeadline', () => {
    it('refuses a retry wait that would run into the end of the invocation, as a transient failure', async () => {
      const waited: number[] = [];
      const deadline = new InvocationDeadline(6_000, async (ms) => waited.push(ms));
      deadline.begin(fakeInvocation(10_000).context);

      await deadline.sleep(3_000);
      const refused = await deadline.sleep(5_000).then(
        () => undefined,
        (error: unknown) => error,
      );

      expect(waited).to.deep.equal([3_000]);
      expect(refused).to.be.instanceOf(TransientFailureError);
    });

    it('is what the runtime\'s retry policy sleeps on', async () => {
      const { retry, deadline } = workerRuntimeOptions(120_000);
      deadline.begin(fakeInvocation(7_000).context);

      const refused = await retry.sleep!(2_000).then(
        () => undefined,
        (error: unknown) => error,
      );

      expect(refused).to.be.instanceOf(TransientFailureError);
      expect(retry).to.deep.include({ maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5_000 });
    });
  });
});
