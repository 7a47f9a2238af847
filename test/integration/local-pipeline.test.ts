import { expect } from 'chai';
import { BatchStatus } from '../../src/domain/batch.js';
import { createMemoryPipeline, logFile } from '../helpers/memory-pipeline.js';

const mixedLines = (count: number) =>
  Array.from({ length: count }, (_, index) => {
    if (index % 11 === 5) return '';
    if (index % 13 === 7) return `plain text line ${index} WARN something odd`;
    return JSON.stringify({ ts: '2026-11-26T09:00:00.000Z', level: index % 5 === 0 ? 'error' : 'info', msg: `event ${index}` });
  });

describe('LocalRuntime with in-memory adapters', () => {
  describe('run', () => {
    for (const count of [1, 2, 999, 20_000]) {
      for (const variant of [{}, { crlf: true, bom: true }, { gzip: true, finalNewline: false }, { crlf: true, gzip: true, bom: true }]) {
        it(`stores entries + blank = lines for ${count} lines, ${JSON.stringify(variant)}`, async () => {
          const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 16 * 1024 }, queue: { capacity: 16 } });
          const lines = mixedLines(count);

          const { batches, entries } = await pipeline.run({ 'app.log': logFile(lines, variant) });
          const [batch] = batches;

          const blank = lines.filter((line) => line === '').length;
          expect(batch.totalLines).to.equal(count);
          expect(batch.stats.entries + batch.stats.blank).to.equal(count);
          expect(batch.stats.blank).to.equal(blank);
          expect(entries[0].map((entry) => entry.lineNumber)).to.deep.equal(
            lines.flatMap((line, index) => (line === '' ? [] : [index + 1])),
          );
          expect(batch.status).to.be.oneOf([BatchStatus.COMPLETED, BatchStatus.COMPLETED_WITH_ERRORS]);
        });
      }
    }

    it('stores invalid UTF-8 with replacement characters and a line far larger than a chunk truncated, losing no line', async () => {
      const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 16 * 1024, maxEventBytes: 8 * 1024 } });
      const huge = `{"msg":"${'x'.repeat(200_000)}"}`;
      const content = Buffer.concat([
        Buffer.from('{"msg":"before"}\n'),
        Buffer.from([0x7b, 0x22, 0x6d, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]),
        Buffer.from(`${huge}\n{"msg":"after"}\n`),
      ]);

      const { batches, entries } = await pipeline.run({ 'odd.log': content });
      const [batch] = batches;

      expect(batch).to.deep.include({ status: BatchStatus.COMPLETED_WITH_ERRORS, totalLines: 4 });
      expect(batch.stats).to.deep.include({ entries: 4, truncated: 1 });
      expect(entries[0][1]).to.deep.include({ lineNumber: 2, attributes: { m: '\uFFFD\uFFFD' } });
      expect(entries[0][2]).to.deep.include({ lineNumber: 3, truncated: true, originalLength: huge.length });
      expect(entries[0][2].parseError).to.be.a('string');
      expect(entries[0][2].body.length).to.be.at.most(8 * 1024);
      expect(entries[0][3]).to.deep.include({ lineNumber: 4, body: 'after' });
    });

    it('stores a stack trace beyond its line cap as two events, every frame kept', async () => {
      const pipeline = createMemoryPipeline();
      const frames = Array.from({ length: 700 }, (_, index) => `\tat com.example.Frame${index}.run(Frame.java:${index})`);
      const lines = ['2026-11-26T09:00:00Z ERROR boom', ...frames, '2026-11-26T09:00:01Z INFO next'];

      const { batches, entries } = await pipeline.run({ 'trace.log': logFile(lines) });

      expect(batches[0].stats).to.deep.include({ lines: 702, entries: 3, continuation: 699, truncated: 0 });
      expect(entries[0][0]).to.deep.include({ lineNumber: 1, lineCount: 500, severityText: 'ERROR' });
      expect(entries[0][1]).to.deep.include({ lineNumber: 501, lineCount: 201 });
      expect(entries[0][2]).to.deep.include({ lineNumber: 702, severityText: 'INFO' });
      const stored = entries[0].slice(0, 2).map((entry) => entry.raw ?? entry.body).join('\n');
      for (const frame of frames) expect(stored).to.include(frame);
    });

    it('stores every line exactly once under duplicate deliveries', async () => {
      let seed = 42;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const pipeline = createMemoryPipeline({ settings: { maxChunkLines: 50 }, queue: { duplicateDeliveryRate: 0.5, random } });
      const lines = mixedLines(5000);

      const { batches, entries } = await pipeline.run({ 'dup.log': logFile(lines) });

      expect(pipeline.repository.entryWrites).to.be.greaterThan(entries[0].length);
      expect(entries[0]).to.have.length(lines.filter((line) => line !== '').length);
      expect(batches[0].stats.entries + batches[0].stats.blank).to.equal(5000);
      expect(batches[0].processedChunks).to.equal(batches[0].totalChunks);
    });

    it('dead-letters a chunk that fails on every receive and shows it in the batch', async () => {
      const pipeline = createMemoryPipeline({
        settings: { maxChunkLines: 10, maxReceiveCount: 3 },
        queue: { maxReceiveCount: 3 },
        wrapRepository: (repository) =>
          Object.assign(Object.create(repository) as typeof repository, {
            putEntries: async (entries: readonly { lineNumber: number }[]) => {
              if (entries.some((entry) => entry.lineNumber === 15)) throw new Error('poison line 15');
              return repository.putEntries(entries as never);
            },
          }),
      });

      const { batches } = await pipeline.run({ 'poison.log': logFile(Array.from({ length: 30 }, (_, index) => `line ${index + 1}`)) });
      const deadLetters = await pipeline.queue.listDeadLetters();

      expect(batches[0]).to.deep.include({ status: BatchStatus.FAILED, failureCode: 'DEAD_LETTERED_CHUNKS', deadLetteredChunks: [1], processedChunks: 2 });
      expect(deadLetters).to.have.length(1);
      expect(deadLetters[0].reason).to.match(/failed 3 time\(s\), last: poison line 15/);
      expect(deadLetters[0].receiveCount).to.equal(3);
    });

    it('completes a batch after its dead-lettered chunk is redriven once the fault is gone', async () => {
      let faulty = true;
      const pipeline = createMemoryPipeline({
        settings: { maxChunkLines: 10, maxReceiveCount: 2 },
        queue: { maxReceiveCount: 2 },
        wrapRepository: (repository) =>
          Object.assign(Object.create(repository) as typeof repository, {
            putEntries: async (entries: readonly { lineNumber: number }[]) => {
              if (faulty && entries.some((entry) => entry.lineNumber === 5)) throw new Error('transient');
              return repository.putEntries(entries as never);
            },
          }),
      });
      const { batches } = await pipeline.run({ 'redrive.log': logFile(Array.from({ length: 25 }, (_, index) => `line ${index + 1}`)) });

      faulty = false;
      const moved = await pipeline.queue.redriveDeadLetters();
      await pipeline.runtime.run([]);
      const after = await pipeline.repository.getBatch(batches[0].batchId);

      expect(batches[0].status).to.equal(BatchStatus.FAILED);
      expect(moved).to.equal(1);
      expect(after).to.deep.include({ status: BatchStatus.COMPLETED, processedChunks: 3, deadLetteredChunks: [] });
      expect(after?.stats.entries).to.equal(25);
    });

    it('ends as soon as the last chunk is done, not after the pollers sit out their long polls', async () => {
      // With a minute-long poll, a run that waited for its pollers' waits to run out would take minutes (and time out).
      const pipeline = createMemoryPipeline({ settings: { maxChunkLines: 7 }, pollWaitMs: 60_000, workerConcurrency: 3 });
      const started = performance.now();

      const { batches } = await pipeline.run({ 'quick.log': logFile(Array.from({ length: 100 }, (_, index) => `line ${index}`)) });

      expect(batches[0]).to.deep.include({ status: BatchStatus.COMPLETED, totalLines: 100 });
      expect(performance.now() - started).to.be.below(10_000);
    });

    it('keeps the splitter bounded: the queue never holds more than its capacity', async () => {
      const pipeline = createMemoryPipeline({ settings: { maxChunkLines: 10 }, queue: { capacity: 8 } });
      let peak = 0;
      const original = pipeline.queue.sendBatch.bind(pipeline.queue);
      pipeline.queue.sendBatch = async (chunks) => {
        await original(chunks);
        const depth = await pipeline.queue.depth();
        peak = Math.max(peak, depth.visible + depth.inFlight);
      };

      const { batches } = await pipeline.run({ 'bounded.log': logFile(Array.from({ length: 3000 }, (_, index) => `line ${index}`)) });

      expect(batches[0].status).to.equal(BatchStatus.COMPLETED);
      expect(peak).to.be.at.most(8 + 10);
    });
  });
});
