import { expect } from 'chai';
import { BackfillObjects } from '../../../src/application/backfill-objects.use-case.js';
import { deriveBatchId } from '../../../src/domain/batch.js';
import { s3EventFactory, sqsEventFactory } from '../../helpers/events.js';
import { BUCKET, createMemoryPipeline, logFile } from '../../helpers/memory-pipeline.js';

function setUp() {
  const pipeline = createMemoryPipeline();
  const backfill = new BackfillObjects(pipeline.objectStore, pipeline.repository, pipeline.continuations);
  const put = (key: string, lastModified = '2026-11-20T10:00:00.000Z') => pipeline.objectStore.put(BUCKET, key, logFile([`line of ${key}`]), { lastModified });
  return { pipeline, backfill, put };
}

describe('BackfillObjects', () => {
  describe('execute', () => {
    it('queues each object without a batch as an S3 notification the splitter handler splits', async () => {
      const { pipeline, backfill, put } = setUp();
      put('logs/a.log');
      put('logs/b.log');
      put('other/c.log');

      const summary = await backfill.execute({ bucket: BUCKET, prefix: 'logs/', ratePerSecond: 1000 });
      const bodies = [(await pipeline.continuations.take()) ?? '', (await pipeline.continuations.take()) ?? ''];
      const result = await pipeline.splitter(sqsEventFactory(bodies));

      expect(summary).to.deep.equal({ listed: 2, queued: 2, reprocessed: 0, skippedDone: 0, skippedOutsideRange: 0, dryRun: false });
      expect(bodies.map((body) => (JSON.parse(body) as { Records: { s3: { object: { key: string } } }[] }).Records[0].s3.object.key)).to.deep.equal([
        'logs/a.log',
        'logs/b.log',
      ]);
      expect(result.outcomes).to.deep.equal(['split', 'split']);
    });

    it('skips objects whose batch exists, and queues those whose split failed on something worth retrying', async () => {
      const { pipeline, backfill, put } = setUp();
      const done = put('done.log');
      const failed = put('failed.log');
      const binary = put('binary.log');
      put('new.log');
      for (const object of [done, failed, binary]) {
        await pipeline.repository.createBatch({ batchId: deriveBatchId(object), source: object, createdAt: '2026-11-20T10:00:00.000Z' });
      }
      await pipeline.repository.failBatch(deriveBatchId(failed), 'QUEUE_UNAVAILABLE', 'queue down');
      await pipeline.repository.failBatch(deriveBatchId(binary), 'BINARY_CONTENT', 'NUL bytes');
      const decisions: string[] = [];

      const summary = await backfill.execute({ bucket: BUCKET, ratePerSecond: 1000, onObject: (object, decision) => decisions.push(`${object.key} ${decision}`) });

      expect(decisions).to.deep.equal(['binary.log done', 'done.log done', 'failed.log queued', 'new.log queued']);
      expect(summary).to.include({ listed: 4, queued: 2, skippedDone: 2 });
      expect(pipeline.continuations.size).to.equal(2);
    });

    it('with reprocess, queues finished objects for a new batch each, leaves those still processing, and queues new ones as usual', async () => {
      const { pipeline, backfill, put } = setUp();
      const completed = put('completed.log');
      const binary = put('binary.log');
      const splitting = put('splitting.log');
      put('new.log');
      for (const object of [completed, binary, splitting]) {
        await pipeline.repository.createBatch({ batchId: deriveBatchId(object), source: object, createdAt: '2026-11-20T10:00:00.000Z' });
      }
      await pipeline.repository.finishSplitting(deriveBatchId(completed), { totalLines: 0, totalChunks: 0, format: 'text' });
      await pipeline.repository.completeBatch((await pipeline.repository.getBatch(deriveBatchId(completed)))!, { status: 'COMPLETED' });
      await pipeline.repository.failBatch(deriveBatchId(binary), 'BINARY_CONTENT', 'NUL bytes');
      const decisions: string[] = [];

      const dry = await backfill.execute({ bucket: BUCKET, reprocess: true, dryRun: true });
      const summary = await backfill.execute({ bucket: BUCKET, ratePerSecond: 1000, reprocess: true, reprocessId: 'r1', onObject: (object, decision) => decisions.push(`${object.key} ${decision}`) });

      expect(dry).to.deep.equal({ listed: 4, queued: 1, reprocessed: 2, skippedDone: 1, skippedOutsideRange: 0, dryRun: true });
      expect(decisions).to.deep.equal(['binary.log reprocess', 'completed.log reprocess', 'new.log queued', 'splitting.log done']);
      expect(summary).to.deep.equal({
        listed: 4,
        queued: 1,
        reprocessed: 2,
        skippedDone: 1,
        skippedOutsideRange: 0,
        dryRun: false,
        reprocessId: 'r1',
        reprocessedBatches: [binary, completed].map((object) => ({ key: object.key, previousBatchId: deriveBatchId(object), batchId: deriveBatchId(object, 'r1') })),
      });
      const bodies = [];
      for (let body = await pipeline.continuations.take(); body !== undefined; body = await pipeline.continuations.take()) bodies.push(JSON.parse(body) as { reprocess?: unknown; Records?: unknown });
      expect(bodies.map((body) => (body.reprocess === undefined ? 'notification' : 'reprocess'))).to.deep.equal(['reprocess', 'reprocess', 'notification']);
    });

    it('leaves objects last modified outside [since, until) alone, and queues nothing on a dry run', async () => {
      const { pipeline, backfill, put } = setUp();
      put('before.log', '2026-10-31T23:59:59.999Z');
      put('first.log', '2026-11-01T00:00:00.000Z');
      put('last.log', '2026-11-30T23:59:59.999Z');
      put('after.log', '2026-12-01T00:00:00.000Z');

      const summary = await backfill.execute({ bucket: BUCKET, since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-12-01T00:00:00Z'), dryRun: true });

      expect(summary).to.deep.equal({ listed: 4, queued: 2, reprocessed: 0, skippedDone: 0, skippedOutsideRange: 2, dryRun: true });
      expect(pipeline.continuations.size).to.equal(0);
    });

    it('with reprocess, splits every finished object again through the splitter and workers into a new batch with exact counters, once however often the request comes', async () => {
      const { pipeline, backfill } = setUp();
      const files = { 'a.log': logFile(['2026-11-26T09:00:00Z ERROR a1', '', '2026-11-26T09:00:01Z INFO a2']), 'b.log': logFile(['not parsed {', 'plain b']) };
      const first = await pipeline.run(files);
      const takeAll = async () => {
        const bodies: string[] = [];
        for (let body = await pipeline.continuations.take(); body !== undefined; body = await pipeline.continuations.take()) bodies.push(body);
        return bodies;
      };

      const summary = await backfill.execute({ bucket: BUCKET, ratePerSecond: 1000, reprocess: true, reprocessId: 'fix-1' });
      const requests = await takeAll();
      // Each request delivered twice, and the original upload's event again: at-least-once everywhere.
      const split = await pipeline.splitter(sqsEventFactory([...requests, ...requests]));
      const again = await pipeline.splitter(s3EventFactory({ key: 'a.log', etag: first.batches[0].source.etag, size: first.batches[0].source.size }));
      await pipeline.runtime.run([]);

      expect(summary).to.include({ listed: 2, queued: 0, reprocessed: 2, skippedDone: 0 });
      expect(split.outcomes).to.deep.equal(['split', 'split', 'duplicate', 'duplicate']);
      expect(again.outcomes).to.deep.equal(['duplicate']);
      for (const [index, object] of (summary.reprocessedBatches ?? []).entries()) {
        const previous = first.batches[index];
        const batch = await pipeline.repository.getBatch(object.batchId);
        const entries = (await pipeline.repository.listEntries(object.batchId, { limit: 100 })).items;
        expect(object.previousBatchId).to.equal(previous.batchId);
        expect(batch?.status, object.key).to.equal(previous.status);
        expect(batch?.stats, object.key).to.deep.equal(previous.stats);
        expect([batch?.totalLines, batch?.totalChunks, batch?.processedChunks], object.key).to.deep.equal([previous.totalLines, previous.totalChunks, previous.processedChunks]);
        expect(entries.map((entry) => [entry.lineNumber, entry.body])).to.deep.equal(first.entries[index].map((entry) => [entry.lineNumber, entry.body]));
        expect(await pipeline.repository.getBatch(previous.batchId)).to.deep.equal(previous);
      }
      expect((await pipeline.repository.listBatches()).length).to.equal(4);
    });

    it('paces what it queues at the rate asked for', async () => {
      const { backfill, put } = setUp();
      for (let index = 0; index < 5; index++) put(`k${index}.log`);
      const waits: number[] = [];

      await backfill.execute({
        bucket: BUCKET,
        ratePerSecond: 4,
        sleep: async (ms) => {
          waits.push(ms);
          await new Promise((resolve) => setTimeout(resolve, ms));
        },
      });

      expect(waits).to.have.length(4);
      // 4 a second: a quarter of a second apart, less what each send took.
      for (const wait of waits) expect(wait).to.be.within(200, 251);
    });
  });
});
