import { expect } from 'chai';
import { BatchStatus } from '../../src/domain/batch.js';
import { BUCKET, createMemoryPipeline, logFile } from '../helpers/memory-pipeline.js';

const lines = Array.from({ length: 50 }, (_, index) => JSON.stringify({ level: 'info', msg: `event ${index + 1}` }));

/**
 * What docs/operations.md tells operators about splitting an object again: the batch id derives from bucket, key
 * and ETag, so whether "copy the object onto itself" re-splits into the same batch or a new one depends on the ETag
 * the copy gets. S3's CopyObject writes a single-part object whose ETag is the content's MD5: the same ETag for a
 * single-part original, a new one for a multipart upload (`<md5 of part md5s>-<parts>`).
 */
describe('SplitLogObject and the same key with a new ETag', () => {
  it('splits a multipart object copied onto itself as a second batch: every entry is stored twice', async () => {
    const pipeline = createMemoryPipeline();
    const content = logFile(lines);
    const multipart = pipeline.objectStore.put(BUCKET, 'app.log', content, { partBytes: 1024 });
    await pipeline.runtime.run([multipart]);

    const copied = pipeline.objectStore.put(BUCKET, 'app.log', content);
    await pipeline.runtime.run([copied]);
    const batches = await pipeline.repository.listBatches();
    const entryCounts = await Promise.all(
      batches.map(async (batch) => (await pipeline.repository.listEntries(batch.batchId, { limit: 1000 })).items.length),
    );

    expect(multipart.etag).to.match(/-\d+"$/);
    expect(copied.etag).to.not.equal(multipart.etag);
    expect(batches).to.have.length(2);
    expect(new Set(batches.map((batch) => batch.batchId)).size).to.equal(2);
    expect(batches.map((batch) => batch.status)).to.deep.equal([BatchStatus.COMPLETED, BatchStatus.COMPLETED]);
    expect(batches.map((batch) => `${batch.source.bucket}/${batch.source.key}`)).to.deep.equal([`${BUCKET}/app.log`, `${BUCKET}/app.log`]);
    expect(entryCounts).to.deep.equal([50, 50]);
  });

  it('finds the same batch for a single-part object copied onto itself (same ETag): nothing is stored twice', async () => {
    const pipeline = createMemoryPipeline();
    const content = logFile(lines);
    const original = pipeline.objectStore.put(BUCKET, 'app.log', content);
    await pipeline.runtime.run([original]);

    const copied = pipeline.objectStore.put(BUCKET, 'app.log', content);
    await pipeline.runtime.run([copied]);
    const batches = await pipeline.repository.listBatches();

    expect(copied.etag).to.equal(original.etag);
    expect(batches).to.have.length(1);
    expect((await pipeline.repository.listEntries(batches[0].batchId, { limit: 1000 })).items).to.have.length(50);
  });
});
