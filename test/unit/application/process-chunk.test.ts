import { expect } from 'chai';
import { BatchStatus, deriveBatchId } from '../../../src/domain/batch.js';
import { type ChunkMessage, encodeChunk } from '../../../src/domain/chunk.js';
import { BUCKET, createMemoryPipeline, logFile } from '../../helpers/memory-pipeline.js';

const source = { bucket: BUCKET, key: 'app.log', etag: 'e1' };
const batchId = deriveBatchId(source);

const chunkMessage = (overrides: Partial<ChunkMessage> = {}): ChunkMessage => ({
  v: 1,
  batchId,
  chunk: 0,
  firstLine: 1,
  source,
  format: 'json',
  lines: ['{"level":"info","msg":"one"}', '', 'not json', '{"level":"error","msg":"three"}'],
  ...overrides,
});

async function splitBatch(pipeline: ReturnType<typeof createMemoryPipeline>, totalChunks = 1, totalLines = 4) {
  await pipeline.repository.createBatch({ batchId, source, createdAt: '2026-11-26T00:00:00.000Z' });
  await pipeline.repository.finishSplitting(batchId, { totalLines, totalChunks, format: 'json' });
}

describe('ProcessChunk', () => {
  describe('execute', () => {
    it('stores one entry per non-blank line, keeping unparsed lines with their reason', async () => {
      const pipeline = createMemoryPipeline();
      await splitBatch(pipeline);

      const outcome = await pipeline.processChunk.execute(encodeChunk(chunkMessage()));
      const entries = (await pipeline.repository.listEntries(batchId)).items;

      expect(outcome.stats).to.deep.equal({ lines: 4, entries: 3, unparsed: 1, blank: 1, continuation: 0, truncated: 0, filtered: 0, redacted: 0 });
      expect(entries.map((entry) => entry.lineNumber)).to.deep.equal([1, 3, 4]);
      expect(entries[1]).to.deep.include({ body: 'not json', format: 'json' });
      expect(entries[1].parseError).to.match(/invalid JSON/);
      expect(entries[2]).to.deep.include({ severityText: 'ERROR', severityNumber: 17, body: 'three' });
      expect(outcome.batch.status).to.equal(BatchStatus.COMPLETED_WITH_ERRORS);
    });

    it("keeps each parsed entry's raw line, and builds none for a store that keeps no raw (keepsRaw false)", async () => {
      const keeping = createMemoryPipeline();
      let written: Array<{ raw?: string }> = [];
      const notKeeping = createMemoryPipeline({
        wrapRepository: (repository) =>
          Object.assign(Object.create(repository) as typeof repository, {
            keepsRaw: false,
            putEntries: async (entries: Parameters<typeof repository.putEntries>[0]) => {
              written = [...entries];
              return repository.putEntries(entries);
            },
          }),
      });
      await splitBatch(keeping);
      await splitBatch(notKeeping);

      await keeping.processChunk.execute(encodeChunk(chunkMessage()));
      await notKeeping.processChunk.execute(encodeChunk(chunkMessage()));
      const kept = (await keeping.repository.listEntries(batchId)).items;

      expect(kept.map((entry) => entry.raw)).to.deep.equal(['{"level":"info","msg":"one"}', undefined, '{"level":"error","msg":"three"}']);
      expect(written).to.have.length(3);
      expect(written.map((entry) => entry.raw)).to.deep.equal([undefined, undefined, undefined]);
    });

    it('counts entries the store could only keep unparsed as unparsed, so the batch completes with errors', async () => {
      const pipeline = createMemoryPipeline({
        wrapRepository: (repository) =>
          Object.assign(Object.create(repository) as typeof repository, {
            putEntries: async (entries: Parameters<typeof repository.putEntries>[0]) => {
              await repository.putEntries(entries);
              return { storedUnparsed: 1 };
            },
          }),
      });
      await splitBatch(pipeline);

      const outcome = await pipeline.processChunk.execute(encodeChunk(chunkMessage({ lines: ['{"level":"info","msg":"one"}', '{"level":"info","msg":"two"}'] })));

      expect(outcome.stats).to.deep.include({ entries: 2, unparsed: 1 });
      expect(outcome.batch.stats.unparsed).to.equal(1);
    });

    it('leaves entries and counters exactly as once when the same chunk is delivered twice', async () => {
      const pipeline = createMemoryPipeline();
      await splitBatch(pipeline, 2, 8);
      const body = encodeChunk(chunkMessage());

      const first = await pipeline.processChunk.execute(body);
      const batchAfterFirst = await pipeline.repository.getBatch(batchId);
      const second = await pipeline.processChunk.execute(body);
      const batchAfterSecond = await pipeline.repository.getBatch(batchId);
      const entries = (await pipeline.repository.listEntries(batchId)).items;

      expect(first.counted).to.equal(true);
      expect(second.counted).to.equal(false);
      expect(batchAfterSecond?.stats).to.deep.equal(batchAfterFirst?.stats);
      expect(batchAfterSecond?.processedChunks).to.equal(1);
      expect(entries).to.have.length(3);
    });

    it('expands multi-line events and truncation marks into entry fields', async () => {
      const pipeline = createMemoryPipeline();
      await splitBatch(pipeline, 1, 4);

      const outcome = await pipeline.processChunk.execute(
        encodeChunk(chunkMessage({ format: 'text', lines: ['ERROR boom\n  at a.b(C.java:1)\n  at d.e(F.java:2)', null, null, 'cut'], truncated: { 3: 999 } })),
      );
      const entries = (await pipeline.repository.listEntries(batchId)).items;
      const batch = await pipeline.repository.getBatch(batchId);

      expect(entries[0]).to.deep.include({ lineNumber: 1, lineCount: 3, severityText: 'ERROR' });
      expect(entries[1]).to.deep.include({ lineNumber: 4, truncated: true, originalLength: 999 });
      expect(outcome.stats).to.deep.equal({ lines: 4, entries: 2, unparsed: 0, blank: 0, continuation: 2, truncated: 1, filtered: 0, redacted: 0 });
      expect(batch?.stats).to.deep.equal(outcome.stats);
    });

    it('counts the physical lines of multi-line events, so the chunks of a split file add up to its total lines', async () => {
      const pipeline = createMemoryPipeline({ settings: { format: 'text', maxChunkLines: 4 } });
      const trace = (index: number) => [`ERROR failure ${index}`, '  at a.b(C.java:1)', '  at d.e(F.java:2)'];
      const lines = [...trace(1), 'INFO fine', '', ...trace(2), 'Caused by: java.io.IOException', '  ... 3 more', '', 'INFO done'];
      pipeline.objectStore.put(BUCKET, 'traces.log', logFile(lines));
      const split = await pipeline.splitLogObject.execute({ bucket: BUCKET, key: 'traces.log' });
      const splitBatchId = split.kind === 'split' ? split.batch.batchId : '';

      const outcomes = [];
      for (let received = await pipeline.queue.receive(10); received.length > 0; received = await pipeline.queue.receive(10)) {
        for (const message of received) outcomes.push(await pipeline.processChunk.execute(message.body));
      }
      const batch = await pipeline.repository.getBatch(splitBatchId);

      const summed = outcomes.reduce(
        (sum, outcome) => ({ lines: sum.lines + outcome.stats.lines, continuation: sum.continuation + outcome.stats.continuation }),
        { lines: 0, continuation: 0 },
      );
      expect(summed).to.deep.equal({ lines: lines.length, continuation: 6 });
      expect(batch).to.deep.include({ status: BatchStatus.COMPLETED, totalLines: lines.length });
      expect(batch?.stats).to.deep.equal({ lines: lines.length, entries: 4, unparsed: 0, blank: 2, continuation: 6, truncated: 0, filtered: 0, redacted: 0 });
    });
  });

  describe('handleDelivery', () => {
    it('dead-letters a malformed message at once with the reason', async () => {
      const pipeline = createMemoryPipeline();

      const outcome = await pipeline.processChunk.handleDelivery({ body: '{"v":1,"batchId":"x"}', receiveCount: 1 });
      const [deadLetter] = await pipeline.queue.listDeadLetters();

      expect(outcome.kind).to.equal('dead-lettered');
      expect(deadLetter.reason).to.match(/^MALFORMED_CHUNK: chunk message is invalid at chunk/);
    });

    it('dead-letters a chunk naming an unknown batch', async () => {
      const pipeline = createMemoryPipeline();

      const outcome = await pipeline.processChunk.handleDelivery({ body: encodeChunk(chunkMessage()), receiveCount: 1 });

      expect(outcome.kind).to.equal('dead-lettered');
      expect(outcome.kind === 'dead-lettered' && outcome.reason).to.match(/does not exist/);
    });

    it('asks for a retry while receives are left, then dead-letters and records the chunk on the last one', async () => {
      const pipeline = createMemoryPipeline({
        wrapRepository: (repository) =>
          Object.assign(Object.create(repository) as typeof repository, {
            putEntries: async () => {
              throw new Error('ProvisionedThroughputExceededException');
            },
          }),
      });
      await splitBatch(pipeline);
      const body = encodeChunk(chunkMessage());

      const early = await pipeline.processChunk.handleDelivery({ body, receiveCount: 4 });
      const last = await pipeline.processChunk.handleDelivery({ body, receiveCount: 5 });
      const batch = await pipeline.repository.getBatch(batchId);

      expect(early.kind).to.equal('retry');
      expect(last.kind).to.equal('dead-lettered');
      expect(batch).to.deep.include({ status: BatchStatus.FAILED, failureCode: 'DEAD_LETTERED_CHUNKS', deadLetteredChunks: [0] });
      expect((await pipeline.queue.listDeadLetters())[0].reason).to.match(/failed 5 time\(s\), last: ProvisionedThroughputExceeded/);
      // Kept with the letter, so `dlq list` and the page show it on a local store (they showed "–").
      expect((await pipeline.queue.listDeadLetters())[0].receiveCount).to.equal(5);
    });
  });
});
