import { expect } from 'chai';
import fc from 'fast-check';
import { InMemoryChunkQueue } from '../../src/adapters/memory/in-memory-chunk-queue.js';
import { seededRandom } from '../../bench/generate.js';
import { assertExactlyOnce, faultArbitrary, poisonedRepository, referenceChunks, scheduledFileLines } from '../helpers/fault-invariant.js';
import { FaultInjector } from '../helpers/faults.js';
import { createMemoryPipeline, logFile } from '../helpers/memory-pipeline.js';

/**
 * Drives whole files through the local runtime while injecting, on a seeded random schedule: duplicate deliveries,
 * reordered deliveries, crashes before and after every port call of the handlers, throttles, splitter time-outs
 * (hand-overs to continuations) and poison chunks. After each schedule: every line stored exactly once with the
 * right content, batch counters exact, status right; poison chunks — and only they — in the DLQ and in the batch.
 *
 * A failing schedule prints fast-check's seed and path; replay it with LOGBATCH_FC_SEED=<seed> LOGBATCH_FC_PATH=<path>.
 */
const MAX_RECEIVE_COUNT = 8;
/** Transient faults per schedule stay below the receive limit, so only poison chunks can exhaust their receives. */
const MAX_FAULTS = MAX_RECEIVE_COUNT - 2;

const scheduleArbitrary = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
  lines: fc.integer({ min: 1, max: 400 }),
  maxChunkLines: fc.integer({ min: 1, max: 60 }),
  duplicateRate: fc.constantFrom(0, 0.1, 0.3),
  reorder: fc.boolean(),
  handOverRate: fc.constantFrom(0, 0, 0.2, 0.5),
  poisonLines: fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 2 }),
  faults: fc.array(faultArbitrary(12), { maxLength: MAX_FAULTS }),
  gzip: fc.boolean(),
});

type Schedule = typeof scheduleArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function runSchedule(schedule: Schedule): Promise<void> {
  const lines = scheduledFileLines(schedule);
  const content = logFile(lines, { gzip: schedule.gzip });
  const reference = await referenceChunks(content, schedule.maxChunkLines);

  const injector = new FaultInjector(schedule.faults);
  const random = seededRandom(schedule.seed ^ 0x5bd1e995);
  const pipeline = createMemoryPipeline({
    settings: { maxChunkLines: schedule.maxChunkLines, maxReceiveCount: MAX_RECEIVE_COUNT, format: 'json' },
    queue: { maxReceiveCount: MAX_RECEIVE_COUNT, duplicateDeliveryRate: schedule.duplicateRate, reorder: schedule.reorder, random, capacity: 20 },
    wrapRepository: (repository) => injector.wrap(poisonedRepository(repository), 'repo'),
    wrapQueue: (queue) => injector.wrap(queue, 'queue'),
    wrapContinuations: (continuations) => injector.wrap(continuations, 'continuations'),
    aroundInvocation: injector.aroundInvocation,
    splitterAttempts: MAX_FAULTS + 1,
    splitterContext: () => ({ getRemainingTimeInMillis: () => (random() < schedule.handOverRate ? 0 : 900_000) }),
    handOverMarginMs: 1000,
  });

  const { report } = await pipeline.run({ 'app.log': content });
  // The DLQ alarm fires for any poison chunk and the operator lists the DLQ, which reconciles batches with it
  // (a worker that died on a chunk's last receive leaves SQS to move the chunk without telling the batch).
  const deadLetters = await pipeline.deadLetters.list();
  const batch = (await pipeline.repository.listBatches())[0];
  const entries = (await pipeline.repository.listEntries(batch.batchId, { limit: 1_000_000 })).items;

  assertExactlyOnce({ lines, reference, batch, entries, deadLetters, queueDrained: pipeline.queue.isDrained, splitterErrors: report.splitterErrors });
}

describe('fault injection on in-memory adapters', () => {
  // 200 schedules in npm test; `npm run test:faults` (which .ci/run calls) runs 1,000 through LOGBATCH_FC_RUNS.
  const runs = Number(process.env.LOGBATCH_FC_RUNS ?? 200);
  it(`stores every line exactly once and counts exactly under ${runs} random fault schedules`, async function () {
    this.timeout(Math.max(240_000, runs * 1_000));
    const seed = process.env.LOGBATCH_FC_SEED === undefined ? undefined : Number(process.env.LOGBATCH_FC_SEED);
    await fc.assert(fc.asyncProperty(scheduleArbitrary, runSchedule), {
      numRuns: runs,
      seed,
      path: process.env.LOGBATCH_FC_PATH,
      endOnFailure: true,
    });
  });

  it('the invariant check catches a pipeline that loses a chunk', async () => {
    // A queue that silently drops its third message: the property must fail, or it proves nothing.
    const original = InMemoryChunkQueue.prototype.sendBatch;
    let sent = 0;
    InMemoryChunkQueue.prototype.sendBatch = async function (this: InMemoryChunkQueue, chunks) {
      const kept = chunks.filter(() => ++sent !== 3);
      return original.call(this, kept);
    };
    try {
      const error = await runSchedule({
        seed: 7,
        lines: 50,
        maxChunkLines: 5,
        duplicateRate: 0,
        reorder: false,
        handOverRate: 0,
        poisonLines: [],
        faults: [],
        gzip: false,
      }).catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).name).to.equal('AssertionError');
    } finally {
      InMemoryChunkQueue.prototype.sendBatch = original;
    }
  });
});
