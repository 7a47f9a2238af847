import { expect } from 'chai';
import { deriveBatchId } from '../../../src/domain/batch.js';
import { encodeChunk } from '../../../src/domain/chunk.js';
import { decodeS3Key } from '../../../src/handlers/splitter.js';
import { BUCKET, createMemoryPipeline } from '../../helpers/memory-pipeline.js';
import { s3EventFactory, sqsEventFactory } from '../../helpers/events.js';

describe('splitter handler', () => {
  it('decodes URL-encoded keys with + for spaces and unicode', async () => {
    const pipeline = createMemoryPipeline();
    const key = 'logs/2026 11/app+v2 żółć.log';
    const upload = pipeline.objectStore.put(BUCKET, key, 'one\ntwo\n');
    const event = s3EventFactory({ key, size: upload.size, etag: upload.etag });

    const result = await pipeline.splitter(event);

    expect(event.Records[0].s3.object.key).to.equal('logs/2026+11/app%2Bv2+%C5%BC%C3%B3%C5%82%C4%87.log');
    expect(result.outcomes).to.deep.equal(['split']);
    expect(await pipeline.repository.getBatch(deriveBatchId({ bucket: BUCKET, key, etag: upload.etag.replace(/"/g, '') }))).to.not.equal(undefined);
    expect(decodeS3Key('a+b%2Bc')).to.equal('a b+c');
  });

  it('keeps a % that starts no escape as it stands, and splits the other records of the event', async () => {
    const pipeline = createMemoryPipeline();
    const literal = pipeline.objectStore.put(BUCKET, 'logs/100%zz.log', 'one\n');
    const plain = pipeline.objectStore.put(BUCKET, 'logs/plain.log', 'two\n');
    const event = s3EventFactory({ key: 'logs/100%zz.log', size: literal.size, etag: literal.etag });
    // Written by hand: S3 would have sent logs/100%25zz.log.
    event.Records[0].s3.object.key = 'logs/100%zz.log';
    event.Records.push(s3EventFactory({ key: 'logs/plain.log', size: plain.size, etag: plain.etag }).Records[0]);

    const result = await pipeline.splitter(event);

    expect(result.outcomes).to.deep.equal(['split', 'split']);
    expect(decodeS3Key('100%+done%zz%E2%82%AC%C3%E2%82x')).to.equal('100% done%zz€%C3%E2%82x');
    expect(decodeS3Key('%F0%9F%98%80%2F%80')).to.equal('😀/%80');
    expect(decodeS3Key('a%2')).to.equal('a%2');
  });

  it('ignores the s3:TestEvent sent when a notification is configured', async () => {
    const pipeline = createMemoryPipeline();

    const result = await pipeline.splitter({ Event: 's3:TestEvent' } as never);

    expect(result.outcomes).to.deep.equal([]);
  });

  it('resolves its dependencies once per cold start', async () => {
    const pipeline = createMemoryPipeline();
    let resolutions = 0;
    const { createSplitterHandler } = await import('../../../src/handlers/splitter.js');
    const handler = createSplitterHandler(() => {
      resolutions++;
      return { splitLogObject: pipeline.splitLogObject };
    });

    await handler({ Records: [] });
    await handler({ Records: [] });

    expect(resolutions).to.equal(1);
  });
});

describe('worker handler', () => {
  it('reports only the failed records as batch item failures', async () => {
    const pipeline = createMemoryPipeline({
      wrapRepository: (repository) =>
        Object.assign(Object.create(repository) as typeof repository, {
          putEntries: async (entries: readonly { lineNumber: number }[]) => {
            if (entries.some((entry) => entry.lineNumber === 2)) throw new Error('ThrottlingException');
            return repository.putEntries(entries as never);
          },
        }),
    });
    const source = { bucket: BUCKET, key: 'k.log', etag: 'e' };
    const batchId = deriveBatchId(source);
    await pipeline.repository.createBatch({ batchId, source, createdAt: new Date().toISOString() });
    const body = (chunk: number) => encodeChunk({ v: 1, batchId, chunk, firstLine: chunk + 1, source, format: 'text', lines: [`line ${chunk + 1}`] });

    const response = await pipeline.worker(sqsEventFactory([body(0), body(1), body(2)]));

    expect(response.batchItemFailures).to.deep.equal([{ itemIdentifier: 'm-1' }]);
    expect((await pipeline.repository.getBatch(batchId))?.processedChunks).to.equal(2);
  });

  it('deletes (does not fail) a malformed message after sending it to the DLQ', async () => {
    const pipeline = createMemoryPipeline();

    const response = await pipeline.worker(sqsEventFactory(['not json at all']));

    expect(response.batchItemFailures).to.deep.equal([]);
    expect((await pipeline.queue.listDeadLetters())[0].reason).to.match(/not JSON/);
  });
});
