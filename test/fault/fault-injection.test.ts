import { expect } from 'chai';
import fc from 'fast-check';
import { InMemoryChunkQueue } from '../../src/adapters/memory/in-memory-chunk-queue.js';
import { BatchStatus } from '../../src/domain/batch.js';
import { decodeChunk, peekChunkIdentity } from '../../src/domain/chunk.js';
import { seededRandom } from '../../bench/generate.js';
import { type Fault, FaultInjector } from '../helpers/faults.js';
import { BUCKET, createMemoryPipeline, logFile } from '../helpers/memory-pipeline.js';

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

const FAULT_SITES = [
  'repo.createBatch',
  'repo.saveCheckpoint',
  'repo.finishSplitting',
  'repo.putEntries',
  'repo.recordChunkProcessed',
  'repo.completeBatch',
  'repo.getBatch',
  'repo.recordChunkDeadLettered',
  'queue.deadLetter',
  'queue.sendBatch',
  'continuations.handOver',
] as const;

const faultArbitrary: fc.Arbitrary<Fault> = fc.record({
  method: fc.constantFrom(...FAULT_SITES),
  call: fc.integer({ min: 1, max: 12 }),
  kind: fc.constantFrom('crash-before', 'crash-after', 'throttle'),
});

const scheduleArbitrary = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
  lines: fc.integer({ min: 1, max: 400 }),
  maxChunkLines: fc.integer({ min: 1, max: 60 }),
  duplicateRate: fc.constantFrom(0, 0.1, 0.3),
  reorder: fc.boolean(),
  handOverRate: fc.constantFrom(0, 0, 0.2, 0.5),
  poisonLines: fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 2 }),
  faults: fc.array(faultArbitrary, { maxLength: MAX_FAULTS }),
  gzip: fc.boolean(),
});

type Schedule = typeof scheduleArbitrary extends fc.Arbitrary<infer T> ? T : never;

function fileLines(schedule: Schedule): string[] {
  const random = seededRandom(schedule.seed);
  return Array.from({ length: schedule.lines }, (_, index) => {
    const lineNumber = index + 1;
    if (schedule.poisonLines.includes(lineNumber)) return `POISON line ${lineNumber}`;
    const roll = random();
    if (roll < 0.05) return '';
    if (roll < 0.1) return `not json ${lineNumber}`;
    return JSON.stringify({ time: '2026-11-26T09:00:00.000Z', level: roll < 0.3 ? 'error' : 'info', msg: `line ${lineNumber}` });
  });
}

/** The chunks a fault-free split makes of the file: which line lands in which chunk. */
async function referenceChunks(content: Buffer, maxChunkLines: number) {
  const pipeline = createMemoryPipeline({ settings: { maxChunkLines, format: 'json' } });
  pipeline.objectStore.put(BUCKET, 'app.log', content);
  await pipeline.splitLogObject.execute({ bucket: BUCKET, key: 'app.log' });
  const chunks = [];
  for (let received = await pipeline.queue.receive(10); received.length > 0; received = await pipeline.queue.receive(10)) {
    chunks.push(...received.map((message) => decodeChunk(message.body)));
  }
  return chunks;
}

async function runSchedule(schedule: Schedule): Promise<void> {
  const lines = fileLines(schedule);
  const content = logFile(lines, { gzip: schedule.gzip });
  const reference = await referenceChunks(content, schedule.maxChunkLines);
  const poisonChunks = reference
    .filter((chunk) => chunk.lines.some((line) => line?.startsWith('POISON') === true))
    .map((chunk) => chunk.chunk)
    .sort((a, b) => a - b);
  const poisonLineNumbers = new Set(
    reference.filter((chunk) => poisonChunks.includes(chunk.chunk)).flatMap((chunk) => chunk.lines.map((_, index) => chunk.firstLine + index)),
  );

  const injector = new FaultInjector(schedule.faults);
  const random = seededRandom(schedule.seed ^ 0x5bd1e995);
  const pipeline = createMemoryPipeline({
    settings: { maxChunkLines: schedule.maxChunkLines, maxReceiveCount: MAX_RECEIVE_COUNT, format: 'json' },
    queue: { maxReceiveCount: MAX_RECEIVE_COUNT, duplicateDeliveryRate: schedule.duplicateRate, reorder: schedule.reorder, random, capacity: 20 },
    wrapRepository: (repository) => {
      const poisoned = Object.assign(Object.create(repository) as typeof repository, {
        putEntries: async (entries: Parameters<typeof repository.putEntries>[0]) => {
          if (entries.some((entry) => entry.body.startsWith('POISON'))) throw new Error('poison chunk: always fails');
          return repository.putEntries(entries);
        },
      });
      return injector.wrap(poisoned, 'repo');
    },
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
  const entries = [[...(await pipeline.repository.listEntries(batch.batchId, { limit: 1_000_000 })).items]];

  // Every line not in a poison chunk is stored exactly once, with its own content.
  const expectedLines = lines.flatMap((text, index) => (text === '' || poisonLineNumbers.has(index + 1) ? [] : [{ lineNumber: index + 1, text }]));
  expect(entries[0].map((entry) => entry.lineNumber), 'stored line numbers').to.deep.equal(expectedLines.map((line) => line.lineNumber));
  for (const [index, entry] of entries[0].entries()) {
    const text = expectedLines[index].text;
    expect(entry.parseError === undefined ? JSON.parse(text).msg : text, `line ${entry.lineNumber}`).to.equal(entry.body);
  }
  // Counters are exact: processed chunks count once each.
  const processed = reference.filter((chunk) => !poisonChunks.includes(chunk.chunk));
  const expectedUnparsed = processed.flatMap((chunk) => chunk.lines).filter((line) => line?.startsWith('not json') === true).length;
  expect(batch.totalLines, 'totalLines').to.equal(lines.length);
  expect(batch.totalChunks, 'totalChunks').to.equal(reference.length);
  expect(batch.processedChunks, 'processedChunks').to.equal(processed.length);
  expect(batch.stats.lines, 'lines counted').to.equal(processed.reduce((sum, chunk) => sum + chunk.lines.length, 0));
  expect(batch.stats.entries, 'entries counted').to.equal(expectedLines.length);
  expect(batch.stats.unparsed, 'unparsed counted').to.equal(expectedUnparsed);
  // Poison chunks, and only they, are in the DLQ and marked in the batch; the status says so.
  const deadChunks = [...new Set(deadLetters.map((message) => peekChunkIdentity(message.body).chunk))].sort((a, b) => a! - b!);
  expect(deadChunks, 'dead-lettered chunks').to.deep.equal(poisonChunks);
  expect(batch.deadLetteredChunks, 'batch marks').to.deep.equal(poisonChunks);
  const expectedStatus =
    poisonChunks.length > 0 ? BatchStatus.FAILED : expectedUnparsed > 0 ? BatchStatus.COMPLETED_WITH_ERRORS : BatchStatus.COMPLETED;
  expect(batch.status, `status (splitter errors: ${report.splitterErrors.join('; ')})`).to.equal(expectedStatus);
  expect(pipeline.queue.isDrained, 'queue drained').to.equal(true);
}

describe('fault injection on in-memory adapters', () => {
  it('stores every line exactly once and counts exactly under 200 random fault schedules', async function () {
    this.timeout(240_000);
    const seed = process.env.LOGBATCH_FC_SEED === undefined ? undefined : Number(process.env.LOGBATCH_FC_SEED);
    await fc.assert(fc.asyncProperty(scheduleArbitrary, runSchedule), {
      numRuns: Number(process.env.LOGBATCH_FC_RUNS ?? 200),
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
