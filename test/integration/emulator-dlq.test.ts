import { expect } from 'chai';
import type { ChunkQueue } from '../../src/application/ports/chunk-queue.port.js';
import { BatchStatus } from '../../src/domain/batch.js';
import { peekChunkIdentity } from '../../src/domain/chunk.js';
import type { LogEntry } from '../../src/domain/log-entry.js';
import { createEmulatorPipeline, type EmulatorPipeline } from '../helpers/emulator-pipeline.js';
import { logFile } from '../helpers/memory-pipeline.js';

const MAX_RECEIVE_COUNT = 3;
const LINES = Array.from({ length: 30 }, (_, index) =>
  index === 4 ? '' : JSON.stringify({ time: '2026-11-26T09:00:00.000Z', level: index % 3 === 0 ? 'error' : 'info', msg: `line ${index + 1}` }),
);
const FAULTY_LINE = 15;

/** What an entry says, without when it was observed and the batch id (both differ between runs and buckets). */
function contentOf(entries: readonly LogEntry[]) {
  return entries.map(({ observedTimestamp: _observed, batchId: _batchId, ...entry }) => entry);
}

describe('DLQ flow on the emulators', function () {
  this.timeout(60_000);
  let pipeline: EmulatorPipeline | undefined;

  afterEach(async () => {
    await pipeline?.cleanup();
    pipeline = undefined;
  });

  it('dead-letters a chunk failing on every receive, and completes the batch with exact counters once it is redriven after the fault is gone', async () => {
    let faultActive = true;
    const receivesOfFaultyChunk: number[] = [];
    pipeline = await createEmulatorPipeline({
      label: 'dlq',
      settings: { maxChunkLines: 10, format: 'json' },
      maxReceiveCount: MAX_RECEIVE_COUNT,
      wrapRepository: (repository) =>
        Object.assign(Object.create(repository) as typeof repository, {
          putEntries: async (entries: Parameters<typeof repository.putEntries>[0]) => {
            if (entries.some((entry) => entry.lineNumber === FAULTY_LINE)) {
              receivesOfFaultyChunk.push(receivesOfFaultyChunk.length + 1);
              if (faultActive) throw new Error('ProvisionedThroughputExceededException: table is overloaded');
            }
            return repository.putEntries(entries);
          },
        }),
    });
    const upload = await pipeline.upload('logs/app.log', logFile(LINES));

    await pipeline.run([upload]);
    const deadLetters = await pipeline.deadLetters.list();
    const failed = await pipeline.readBack(upload);
    const depthAfterFailure = await pipeline.queue.depth();

    expect(receivesOfFaultyChunk, 'receives of the faulty chunk').to.have.length(MAX_RECEIVE_COUNT);
    expect(deadLetters.map((message) => peekChunkIdentity(message.body).chunk)).to.deep.equal([1]);
    expect(deadLetters[0].reason).to.equal(`failed ${MAX_RECEIVE_COUNT} time(s), last: ProvisionedThroughputExceededException: table is overloaded`);
    expect(failed.batch).to.deep.include({
      status: BatchStatus.FAILED,
      failureCode: 'DEAD_LETTERED_CHUNKS',
      deadLetteredChunks: [1],
      totalChunks: 3,
      processedChunks: 2,
    });
    expect(failed.batch.reason).to.include('1 chunk(s) dead-lettered: 1');
    expect(failed.entries.map((entry) => entry.lineNumber)).to.deep.equal([...range(1, 10).filter((line) => line !== 5), ...range(21, 30)]);
    expect(depthAfterFailure).to.deep.equal({ visible: 0, inFlight: 0, deadLettered: 1 });

    // The operator fixes the cause and redrives; the chunk runs again through the same event source.
    faultActive = false;
    const redriven = await pipeline.deadLetters.redrive();
    await pipeline.run([]);
    const completed = await pipeline.readBack(upload);
    const depthAfterRedrive = await pipeline.queue.depth();

    expect(redriven).to.equal(1);
    expect(completed.batch).to.deep.include({ status: BatchStatus.COMPLETED, totalLines: 30, totalChunks: 3, processedChunks: 3, deadLetteredChunks: [] });
    expect(completed.batch.failureCode).to.equal(undefined);
    expect(completed.batch.stats).to.deep.include({ lines: 30, entries: 29, blank: 1, unparsed: 0, continuation: 0 });
    expect(completed.entries.map((entry) => entry.lineNumber)).to.deep.equal(range(1, 30).filter((line) => line !== 5));
    expect(completed.entries.find((entry) => entry.lineNumber === FAULTY_LINE)?.body).to.equal(`line ${FAULTY_LINE}`);
    expect(depthAfterRedrive).to.deep.equal({ visible: 0, inFlight: 0, deadLettered: 0 });
  });

  it('leaves entries and counters exactly as once when the S3 event arrives twice and every chunk is delivered twice', async () => {
    // Through the handlers and the event source; aws-pipeline.test.ts checks the same at the use-case level.
    const clean = await createEmulatorPipeline({ label: 'once', settings: { maxChunkLines: 7, format: 'json' } });
    let once: Awaited<ReturnType<EmulatorPipeline['readBack']>>;
    try {
      const upload = await clean.upload('logs/app.log', logFile(LINES));
      await clean.run([upload]);
      once = await clean.readBack(upload);
    } finally {
      await clean.cleanup();
    }
    pipeline = await createEmulatorPipeline({
      label: 'twice',
      settings: { maxChunkLines: 7, format: 'json' },
      wrapQueue: (queue) =>
        Object.assign(Object.create(queue) as ChunkQueue, {
          sendBatch: async (chunks: Parameters<ChunkQueue['sendBatch']>[0]) => {
            await queue.sendBatch(chunks);
            await queue.sendBatch(chunks);
          },
        }),
    });
    const upload = await pipeline.upload('logs/app.log', logFile(LINES));

    const report = await pipeline.run([upload, upload]);
    const twice = await pipeline.readBack(upload);

    expect(report.workerErrors).to.deep.equal([]);
    expect(twice.batch).to.deep.include({ status: BatchStatus.COMPLETED, totalLines: 30, totalChunks: 5, processedChunks: 5 });
    expect(twice.batch.stats).to.deep.equal(once.batch.stats);
    expect(contentOf(twice.entries)).to.deep.equal(contentOf(once.entries));
    expect(twice.entries).to.have.length(29);
  });
});

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, index) => first + index);
}
