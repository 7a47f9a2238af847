import { expect } from 'chai';
import fc from 'fast-check';
import type { ChunkQueue } from '../../src/application/ports/chunk-queue.port.js';
import type { AwsClients } from '../../src/di/aws.module.js';
import type { ResourceNames } from '../../src/local/emulator-stack.js';
import { seededRandom } from '../../bench/generate.js';
import { createEmulatorPipeline } from '../helpers/emulator-pipeline.js';
import { assertExactlyOnce, faultArbitrary, poisonedRepository, referenceChunks, scheduledFileLines } from '../helpers/fault-invariant.js';
import { FaultInjector } from '../helpers/faults.js';
import { logFile } from '../helpers/memory-pipeline.js';
import { type SdkCall, SdkFaultInjector, type SdkFaultPlan } from '../helpers/sdk-faults.js';

/**
 * The fault-injection property of `fault-injection.test.ts`, on the AWS adapters against the emulators: S3 and SQS
 * on fauxqs (visibility, receive counts and the redrive to the DLQ are fauxqs's), DynamoDB Local for entries,
 * transactions and conditional writes. Fewer, smaller schedules: each gets fresh resources and real HTTP calls.
 * Duplicate deliveries are played by sending a chunk message twice (SQS's at-least-once); delivery order varies
 * with the event source's batch size and two concurrent pollers. Below the ports, the SDK clients themselves fail
 * the way the emulators never do (`SdkFaultInjector`): throttling, `UnprocessedItems` from BatchWriteItem, failed
 * entries in SendMessageBatch — each bounded so the adapters' retries absorb it, as they must on AWS.
 *
 * A failing schedule prints fast-check's seed and path; replay it with LOGBATCH_FC_SEED=<seed> LOGBATCH_FC_PATH=<path>.
 */
const MAX_RECEIVE_COUNT = 5;
/** Transient faults per schedule stay below the receive limit, so only poison chunks can exhaust their receives. */
const MAX_FAULTS = MAX_RECEIVE_COUNT - 2;

const scheduleArbitrary = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
  lines: fc.integer({ min: 1, max: 150 }),
  maxChunkLines: fc.integer({ min: 8, max: 40 }),
  duplicateRate: fc.constantFrom(0, 0.2, 0.5),
  batchSize: fc.constantFrom(1, 3, 10),
  handOverRate: fc.constantFrom(0, 0.3),
  poisonLines: fc.uniqueArray(fc.integer({ min: 1, max: 150 }), { maxLength: 2 }),
  faults: fc.array(faultArbitrary(6), { maxLength: MAX_FAULTS }),
  gzip: fc.boolean(),
  sdkFaults: fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
    throttleRate: fc.constantFrom(0, 0.1, 0.3),
    partialRate: fc.constantFrom(0, 0.3, 0.7),
  }),
});

type Schedule = typeof scheduleArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** Sends some chunk messages a second time, in a separate call, as SQS may deliver any message twice. */
function duplicating(queue: ChunkQueue, rate: number, random: () => number): ChunkQueue {
  return Object.assign(Object.create(queue) as ChunkQueue, {
    sendBatch: async (chunks: Parameters<ChunkQueue['sendBatch']>[0]) => {
      await queue.sendBatch(chunks);
      const again = chunks.filter(() => random() < rate);
      if (again.length > 0) await queue.sendBatch(again);
    },
  });
}

/**
 * SDK faults on the pipeline's clients, except on the local runtime's own take of split continuations (it plays
 * the SQS trigger, which retries on AWS's side).
 */
function installSdkFaults(plan: SdkFaultPlan, sdkFaults: SdkFaultInjector[]) {
  return (clients: AwsClients, names: ResourceNames): void => {
    const playsTheTrigger = (call: SdkCall) =>
      call.input.QueueUrl === names.continuationQueueUrl && (call.operation === 'ReceiveMessage' || call.operation === 'DeleteMessage');
    sdkFaults.push(new SdkFaultInjector({ ...plan, targets: (call) => !playsTheTrigger(call) }).installOn(clients));
  };
}

async function runSchedule(schedule: Schedule, sdkFaults: SdkFaultInjector[] = []): Promise<void> {
  const lines = scheduledFileLines(schedule);
  const content = logFile(lines, { gzip: schedule.gzip });
  const reference = await referenceChunks(content, schedule.maxChunkLines);
  const injector = new FaultInjector(schedule.faults);
  const random = seededRandom(schedule.seed ^ 0x5bd1e995);
  const pipeline = await createEmulatorPipeline({
    label: 'fault',
    configureClients: installSdkFaults(schedule.sdkFaults, sdkFaults),
    settings: { maxChunkLines: schedule.maxChunkLines, format: 'json' },
    maxReceiveCount: MAX_RECEIVE_COUNT,
    wrapRepository: (repository) => injector.wrap(poisonedRepository(repository), 'repo'),
    wrapQueue: (queue) => injector.wrap(duplicating(queue, schedule.duplicateRate, random), 'queue'),
    wrapContinuations: (continuations) => injector.wrap(continuations, 'continuations'),
    aroundInvocation: injector.aroundInvocation,
    splitterAttempts: MAX_FAULTS + 1,
    splitterContext: () => ({ getRemainingTimeInMillis: () => (random() < schedule.handOverRate ? 0 : 900_000) }),
    handOverMarginMs: 1000,
    batchSize: schedule.batchSize,
  });
  try {
    const upload = await pipeline.upload('logs/app.log', content);

    const report = await pipeline.run([upload]);
    // As on AWS, the operator lists the DLQ when its alarm fires; listing reconciles the batches with it.
    const deadLetters = await pipeline.deadLetters.list();
    const { batch, entries } = await pipeline.readBack(upload);
    const depth = await pipeline.queue.depth();

    assertExactlyOnce({
      lines,
      reference,
      batch,
      entries,
      deadLetters,
      queueDrained: depth.visible === 0 && depth.inFlight === 0,
      splitterErrors: report.splitterErrors,
    });
  } finally {
    await pipeline.cleanup();
  }
}

describe('fault injection on the emulators (AWS adapters on fauxqs and DynamoDB Local)', () => {
  it('stores every line exactly once and counts exactly under 10 random fault schedules', async function () {
    this.timeout(180_000);
    const seed = process.env.LOGBATCH_FC_SEED === undefined ? undefined : Number(process.env.LOGBATCH_FC_SEED);
    await fc.assert(fc.asyncProperty(scheduleArbitrary, (schedule) => runSchedule(schedule)), {
      numRuns: Number(process.env.LOGBATCH_FC_EMULATOR_RUNS ?? 10),
      seed,
      path: process.env.LOGBATCH_FC_PATH,
      endOnFailure: true,
    });
  });

  it('stores every line exactly once when the SDK calls are throttled, write part of their items and fail some entries', async function () {
    this.timeout(60_000);
    // Port-level faults and duplicates as in the property, and SDK faults on most batch calls.
    const sdkFaults: SdkFaultInjector[] = [];
    const schedule: Schedule = {
      seed: 7,
      lines: 120,
      maxChunkLines: 8,
      duplicateRate: 0.2,
      batchSize: 3,
      handOverRate: 0.3,
      poisonLines: [50],
      faults: [{ method: 'repo.putEntries', call: 2, kind: 'throttle' }],
      gzip: false,
      sdkFaults: { seed: 7, throttleRate: 0.3, partialRate: 0.7 },
    };

    await runSchedule(schedule, sdkFaults);

    const [injected] = sdkFaults.map((faults) => faults.injected);
    expect(injected.unprocessedItems, 'BatchWriteItem items handed back').to.be.greaterThan(0);
    expect(injected.failedEntries, 'SendMessageBatch entries failed').to.be.greaterThan(0);
    expect(sdkFaults[0].throttleCount, 'throttles').to.be.greaterThan(0);
  });

  it('the invariant check catches a pipeline that counts a redelivered chunk twice', async function () {
    this.timeout(60_000);
    // A repository whose chunk markers do not deduplicate: the property must fail, or it proves nothing on AWS.
    const lines = scheduledFileLines({ seed: 3, lines: 40, poisonLines: [] });
    const content = logFile(lines);
    const reference = await referenceChunks(content, 10);
    let markers = 0;
    const pipeline = await createEmulatorPipeline({
      label: 'fault-neg',
      settings: { maxChunkLines: 10, format: 'json' },
      maxReceiveCount: MAX_RECEIVE_COUNT,
      wrapQueue: (queue) => duplicating(queue, 1, () => 0),
      wrapRepository: (repository) =>
        Object.assign(Object.create(repository) as typeof repository, {
          recordChunkProcessed: (batchId: string, chunk: number, stats: Parameters<typeof repository.recordChunkProcessed>[2]) =>
            repository.recordChunkProcessed(batchId, chunk + 1000 * ++markers, stats),
        }),
    });
    try {
      const upload = await pipeline.upload('logs/app.log', content);
      const report = await pipeline.run([upload]);
      const { batch, entries } = await pipeline.readBack(upload);

      const error = (() => {
        try {
          assertExactlyOnce({ lines, reference, batch, entries, deadLetters: [], queueDrained: true, splitterErrors: report.splitterErrors });
          return undefined;
        } catch (caught) {
          return caught as Error;
        }
      })();

      if (error === undefined) throw new Error('the invariant accepted a batch whose chunks were counted twice');
      if (error.name !== 'AssertionError') throw error;
    } finally {
      await pipeline.cleanup();
    }
  });
});
