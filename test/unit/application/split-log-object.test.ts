import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import sinon from 'sinon';
import { BatchStatus, deriveBatchId } from '../../../src/domain/batch.js';
import { decodeChunk, MAX_MESSAGE_BYTES } from '../../../src/domain/chunk.js';
import type { EncodedChunk } from '../../../src/application/ports/chunk-queue.port.js';
import { BUCKET, createMemoryPipeline, logFile } from '../../helpers/memory-pipeline.js';

const jsonLines = (count: number) =>
  Array.from({ length: count }, (_, index) =>
    index % 7 === 3 ? '' : JSON.stringify({ time: '2026-11-26T09:00:00.000Z', level: 'info', msg: `event ${index + 1} żółć`, n: index }),
  );

/** Drains the queue and decodes every chunk message sent. */
async function sentChunks(queue: ReturnType<typeof createMemoryPipeline>['queue']) {
  const messages = [];
  for (;;) {
    const received = await queue.receive(10);
    if (received.length === 0) break;
    messages.push(...received.map((message) => decodeChunk(message.body)));
  }
  return messages.sort((a, b) => a.chunk - b.chunk);
}

describe('SplitLogObject', () => {
  describe('execute', () => {
    const variants = [
      { crlf: false, bom: false, finalNewline: true, gzip: false },
      { crlf: true, bom: false, finalNewline: true, gzip: false },
      { crlf: false, bom: true, finalNewline: false, gzip: false },
      { crlf: true, bom: true, finalNewline: false, gzip: true },
      { crlf: false, bom: false, finalNewline: false, gzip: true },
    ];
    for (const variant of variants) {
      it(`sends every line exactly once, numbered from 1, for ${JSON.stringify(variant)}`, async () => {
        const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 2048 } });
        const lines = jsonLines(300);
        const upload = pipeline.objectStore.put(BUCKET, 'logs/app.log', logFile(lines, variant));

        const outcome = await pipeline.splitLogObject.execute({ bucket: BUCKET, key: upload.key });
        const chunks = await sentChunks(pipeline.queue);

        expect(outcome.kind).to.equal('split');
        expect(chunks.flatMap((chunk) => chunk.lines)).to.deep.equal(lines);
        expect(chunks[0].firstLine).to.equal(1);
        const batch = await pipeline.repository.getBatch(deriveBatchId(upload));
        expect(batch).to.deep.include({ status: BatchStatus.SPLIT, totalLines: 300, totalChunks: chunks.length, format: 'json' });
      });
    }

    it('sends chunks in batches of at most 10 messages and 1 MiB', async () => {
      const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 300 * 1024, maxChunkLines: 100_000 } });
      const sendBatch = sinon.spy(pipeline.queue, 'sendBatch');
      pipeline.objectStore.put(BUCKET, 'big.log', logFile(Array.from({ length: 40_000 }, (_, index) => `${index} ${'x'.repeat(150)}`)));
      const smallChunks = createMemoryPipeline({ settings: { maxChunkBytes: 1024 } });
      const smallSend = sinon.spy(smallChunks.queue, 'sendBatch');
      smallChunks.objectStore.put(BUCKET, 'many.log', logFile(Array.from({ length: 2000 }, (_, index) => `line ${index}`)));

      await pipeline.splitLogObject.execute({ bucket: BUCKET, key: 'big.log' });
      await smallChunks.splitLogObject.execute({ bucket: BUCKET, key: 'many.log' });

      const calls = [...sendBatch.getCalls(), ...smallSend.getCalls()].map((call) => call.args[0] as EncodedChunk[]);
      expect(calls.every((batch) => batch.length <= 10 && batch.reduce((sum, chunk) => sum + chunk.bytes, 0) <= MAX_MESSAGE_BYTES)).to.equal(true);
      expect(calls.some((batch) => batch.length === 10)).to.equal(true);
      expect(sendBatch.getCalls().some((call) => (call.args[0] as EncodedChunk[]).length < 10)).to.equal(true);
    });

    it('completes an empty object at once with zero lines', async () => {
      const pipeline = createMemoryPipeline();
      const upload = pipeline.objectStore.put(BUCKET, 'empty.log', Buffer.alloc(0));

      const outcome = await pipeline.splitLogObject.execute({ bucket: BUCKET, key: 'empty.log' });

      expect(outcome.kind).to.equal('split');
      expect(await pipeline.repository.getBatch(deriveBatchId(upload))).to.deep.include({ status: BatchStatus.COMPLETED, totalLines: 0, totalChunks: 0 });
    });

    it('fails a binary object with a reason naming it, and sends nothing', async () => {
      const pipeline = createMemoryPipeline();
      const binary = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x10, 0x00, 0xff, 0x00]);
      pipeline.objectStore.put(BUCKET, 'archive.zip', binary);

      const outcome = await pipeline.splitLogObject.execute({ bucket: BUCKET, key: 'archive.zip' });

      expect(outcome.kind).to.equal('failed');
      expect(outcome.kind === 'failed' && outcome.batch).to.deep.include({ status: BatchStatus.FAILED, failureCode: 'BINARY_CONTENT' });
      expect(outcome.kind === 'failed' && outcome.reason).to.match(/s3:\/\/ingest\/archive\.zip: binary content/);
      expect(await pipeline.queue.depth()).to.deep.include({ visible: 0 });
    });

    it('decompresses gzip by its magic bytes whatever the key is called', async () => {
      const pipeline = createMemoryPipeline();
      pipeline.objectStore.put(BUCKET, 'no-suffix.txt', gzipSync('hello\nworld\n'));

      await pipeline.splitLogObject.execute({ bucket: BUCKET, key: 'no-suffix.txt' });

      expect((await sentChunks(pipeline.queue)).flatMap((chunk) => chunk.lines)).to.deep.equal(['hello', 'world']);
    });

    it('keeps the lines before a gzip corruption and fails the batch with the byte offset', async () => {
      const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 4096 } });
      const lines = Array.from({ length: 5000 }, (_, index) => `line ${index + 1} ${(index * 7919) % 104729}`);
      const gzip = gzipSync(logFile(lines));
      const truncated = gzip.subarray(0, Math.floor(gzip.length / 2));
      const upload = pipeline.objectStore.put(BUCKET, 'cut.log.gz', truncated);

      const outcome = await pipeline.splitLogObject.execute({ bucket: BUCKET, key: 'cut.log.gz' });
      const sent = (await sentChunks(pipeline.queue)).flatMap((chunk) => chunk.lines);
      const batch = await pipeline.repository.getBatch(deriveBatchId(upload));

      expect(outcome.kind).to.equal('failed');
      expect(sent.length).to.be.greaterThan(100);
      expect(sent).to.deep.equal(lines.slice(0, sent.length));
      expect(batch).to.deep.include({ status: BatchStatus.FAILED, failureCode: 'CORRUPT_GZIP', totalLines: sent.length });
      expect(batch?.reason).to.match(/corrupt gzip near compressed byte \d+/);
    });

    it('fails the batch of an object deleted between the event and the read', async () => {
      const pipeline = createMemoryPipeline();

      const outcome = await pipeline.splitLogObject.execute({ bucket: BUCKET, key: 'gone.log', etag: 'abc', size: 10 });
      const batch = await pipeline.repository.getBatch(deriveBatchId({ bucket: BUCKET, key: 'gone.log', etag: 'abc' }));

      expect(outcome.kind).to.equal('failed');
      expect(batch).to.deep.include({ status: BatchStatus.FAILED, failureCode: 'UNREADABLE_OBJECT' });
    });

    it('does not split again on a duplicate event for a batch already split', async () => {
      const pipeline = createMemoryPipeline();
      pipeline.objectStore.put(BUCKET, 'dup.log', 'a\nb\n');
      await pipeline.splitLogObject.execute({ bucket: BUCKET, key: 'dup.log' });
      const sendBatch = sinon.spy(pipeline.queue, 'sendBatch');

      const outcome = await pipeline.splitLogObject.execute({ bucket: BUCKET, key: 'dup.log' });

      expect(outcome.kind).to.equal('duplicate');
      expect(sendBatch.called).to.equal(false);
    });

    for (const gzip of [false, true]) {
      it(`hands over at chunk boundaries and a resumed split sends the same chunks as an uninterrupted one (gzip: ${gzip})`, async () => {
        const lines = jsonLines(3000);
        const content = logFile(lines, { gzip, crlf: true, bom: true });
        const whole = createMemoryPipeline({ settings: { maxChunkBytes: 4096 } });
        whole.objectStore.put(BUCKET, 'app.log', content);
        await whole.splitLogObject.execute({ bucket: BUCKET, key: 'app.log' });
        const expected = await sentChunks(whole.queue);
        const pieces = createMemoryPipeline({ settings: { maxChunkBytes: 4096 } });
        pieces.objectStore.put(BUCKET, 'app.log', content);
        let sends = 0;
        const shouldHandOver = () => ++sends % 3 === 0;

        let outcome = await pieces.splitLogObject.execute({ bucket: BUCKET, key: 'app.log', shouldHandOver });
        let handOvers = 0;
        while (outcome.kind === 'handed-over') {
          handOvers++;
          outcome = await pieces.splitLogObject.execute({ bucket: BUCKET, key: 'app.log', resume: outcome.resume, shouldHandOver });
        }
        const actual = await sentChunks(pieces.queue);

        expect(handOvers).to.be.at.least(5);
        expect(outcome.kind).to.equal('split');
        expect(actual).to.deep.equal(expected);
      });
    }

    // Left open, the stream held its file descriptor until garbage collection (Node's DEP0137 warning) and, on S3,
    // a socket with the unread rest of the object for as long as the Lambda environment lived.
    for (const gzip of [false, true]) {
      it(`lets go of the object's stream when it hands over or fails part-way (gzip: ${gzip})`, async () => {
        const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 4096 } });
        pipeline.objectStore.put(BUCKET, 'app.log', logFile(jsonLines(5000), { gzip }));
        const openStream = sinon.spy(pipeline.objectStore, 'openStream');

        const outcome = await pipeline.splitLogObject.execute({ bucket: BUCKET, key: 'app.log', shouldHandOver: () => true });
        const handedOver = (await openStream.firstCall.returnValue) as import('node:stream').Readable;

        sinon.stub(pipeline.queue, 'sendBatch').rejects(new Error('queue down'));
        const failed = await pipeline.splitLogObject
          .execute({ bucket: BUCKET, key: 'app.log', ...(outcome.kind === 'handed-over' ? { resume: outcome.resume } : {}) })
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        const failedStream = (await openStream.secondCall.returnValue) as import('node:stream').Readable;

        expect(outcome.kind).to.equal('handed-over');
        expect(handedOver.destroyed, 'stream of the split that handed over').to.equal(true);
        expect(failed).to.be.instanceOf(Error);
        expect(failedStream.destroyed, 'stream of the split that failed').to.equal(true);
      });
    }
  });
});
