import { expect } from 'chai';
import { deriveBatchId } from '../../../src/domain/batch.js';
import { s3EventFactory } from '../../helpers/events.js';
import { BUCKET, createMemoryPipeline, logFile } from '../../helpers/memory-pipeline.js';

/**
 * A Lambda context whose clock advances by `stepMs` each time it is asked (about once per chunk sent), from a
 * function timeout of `timeoutMs`; `lastRemainingMs` is the last answer given.
 */
function fakeContext(timeoutMs: number, stepMs: number) {
  let asked = 0;
  const context = {
    lastRemainingMs: timeoutMs,
    getRemainingTimeInMillis: () => {
      context.lastRemainingMs = Math.max(0, timeoutMs - stepMs * asked++);
      return context.lastRemainingMs;
    },
  };
  return context;
}

/** A pipeline with ten lines per chunk, and an uploaded log file of `lineCount` lines. */
function pipelineWithFile(lineCount: number, handOverMarginMs?: number) {
  const pipeline = createMemoryPipeline({ settings: { maxChunkLines: 10 }, handOverMarginMs });
  const lines = Array.from({ length: lineCount }, (_, index) => `2026-11-26T09:00:00Z INFO request ${index + 1} served`);
  const upload = pipeline.objectStore.put(BUCKET, 'app.log', logFile(lines));
  const event = s3EventFactory({ key: 'app.log', size: upload.size, etag: upload.etag.replace(/"/g, '') });
  const batchId = deriveBatchId({ bucket: BUCKET, key: 'app.log', etag: upload.etag.replace(/"/g, '') });
  return { pipeline, event, batchId };
}

describe('createSplitterHandler', () => {
  describe('hand-over margin', () => {
    it('lets a 30 s function split a file in one invocation when it has the time (no hand-over at every chunk)', async () => {
      const { pipeline, event, batchId } = pipelineWithFile(100);
      const context = fakeContext(30_000, 1_000);

      const result = await pipeline.splitter(event, context);

      expect(result.outcomes).to.deep.equal(['split']);
      expect((await pipeline.repository.getBatch(batchId))?.totalChunks).to.equal(10);
    });

    it('hands a 30 s function over with a quarter of its time left, after real progress', async () => {
      const { pipeline, event, batchId } = pipelineWithFile(600);
      const context = fakeContext(30_000, 1_000);

      const result = await pipeline.splitter(event, context);
      const checkpoint = (await pipeline.repository.getBatch(batchId))?.checkpoint;

      expect(result.outcomes).to.deep.equal(['handed-over']);
      expect(context.lastRemainingMs).to.be.within(6_000, 7_499);
      expect(checkpoint?.nextChunkIndex).to.be.greaterThan(15);
    });

    it('keeps at most 60 s of margin for a 15-minute function', async () => {
      const { pipeline, event } = pipelineWithFile(600);
      const context = fakeContext(900_000, 20_000);

      const result = await pipeline.splitter(event, context);

      expect(result.outcomes).to.deep.equal(['handed-over']);
      expect(context.lastRemainingMs).to.be.within(40_000, 59_999);
    });

    it('uses a configured margin as given (tests force a hand-over at every chunk with it)', async () => {
      const { pipeline, event, batchId } = pipelineWithFile(100, 60_000);
      const context = fakeContext(30_000, 0);

      const result = await pipeline.splitter(event, context);
      const checkpoint = (await pipeline.repository.getBatch(batchId))?.checkpoint;

      expect(result.outcomes).to.deep.equal(['handed-over']);
      expect(checkpoint?.nextChunkIndex).to.equal(1);
    });
  });
});
