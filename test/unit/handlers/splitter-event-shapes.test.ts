import { expect } from 'chai';
import { deriveBatchId } from '../../../src/domain/batch.js';
import { reprocessRequest } from '../../../src/domain/continuation.js';
import type { SplitterEvent } from '../../../src/handlers/splitter.js';
import {
  eventBridgeObjectCreatedFactory,
  s3EventFactory,
  s3TestEventFactory,
  snsEnvelopeFactory,
  snsEventFactory,
  sqsEventFactory,
} from '../../helpers/events.js';
import { BUCKET, createMemoryPipeline, logFile } from '../../helpers/memory-pipeline.js';

/** A key that S3 notifications encode (`+`, `%2B`, `%C5%BC`) and EventBridge does not. */
const KEY = 'logs/2026 11/app+v2 żółć.log';

/** A pipeline with one three-line object uploaded under `key`; the batch id its events must lead to. */
function pipelineWithObject(key = KEY) {
  const pipeline = createMemoryPipeline();
  const upload = pipeline.objectStore.put(BUCKET, key, logFile(['one', 'two', 'three']));
  const etag = upload.etag.replace(/"/g, '');
  return { pipeline, etag, size: upload.size, batchId: deriveBatchId({ bucket: BUCKET, key, etag }) };
}

async function splitLines(pipeline: ReturnType<typeof createMemoryPipeline>, batchId: string): Promise<number | undefined> {
  return (await pipeline.repository.getBatch(batchId))?.totalLines;
}

describe('createSplitterHandler', () => {
  describe('event shapes', () => {
    const shapes: ReadonlyArray<readonly [string, (object: { key: string; etag: string; size: number }) => SplitterEvent]> = [
      ['a direct S3 notification', (object) => s3EventFactory(object)],
      ['SQS carrying an S3 notification', (object) => sqsEventFactory([JSON.stringify(s3EventFactory(object))])],
      ['SQS carrying SNS carrying an S3 notification', (object) => sqsEventFactory([snsEnvelopeFactory(s3EventFactory(object))])],
      ['SNS carrying an S3 notification, invoking directly', (object) => snsEventFactory(s3EventFactory(object)) as never],
      ['a direct EventBridge Object Created event', (object) => eventBridgeObjectCreatedFactory(object) as never],
      ['SQS carrying an EventBridge Object Created event', (object) => sqsEventFactory([JSON.stringify(eventBridgeObjectCreatedFactory(object))])],
    ];
    for (const [shape, eventFor] of shapes) {
      it(`splits the object named by ${shape}, with its key decoded`, async () => {
        const { pipeline, etag, size, batchId } = pipelineWithObject();

        const result = await pipeline.splitter(eventFor({ key: KEY, etag, size }));

        expect(result.outcomes).to.deep.equal(['split']);
        expect(result.batchItemFailures).to.deep.equal([]);
        expect(await splitLines(pipeline, batchId)).to.equal(3);
      });
    }

    it('does not URL-decode EventBridge keys (a literal + stays a +)', async () => {
      const { pipeline, etag, size, batchId } = pipelineWithObject('logs/a+b.log');

      const result = await pipeline.splitter(eventBridgeObjectCreatedFactory({ key: 'logs/a+b.log', etag, size }) as never);

      expect(result.outcomes).to.deep.equal(['split']);
      expect(await splitLines(pipeline, batchId)).to.equal(3);
    });

    it('asks the store for the ETag and size when an EventBridge event carries none', async () => {
      const { pipeline, batchId } = pipelineWithObject();
      const event = eventBridgeObjectCreatedFactory({ key: KEY });
      const { etag: _etag, size: _size, 'version-id': _version, ...object } = event.detail.object;

      const result = await pipeline.splitter({ ...event, detail: { ...event.detail, object } } as never);

      expect(result.outcomes).to.deep.equal(['split']);
      expect(await splitLines(pipeline, batchId)).to.equal(3);
    });

    it('asks the store for the ETag when an event names only a version id (an If-Match on it would never match)', async () => {
      const { pipeline, batchId } = pipelineWithObject();
      const bridged = eventBridgeObjectCreatedFactory({ key: KEY });
      const { etag: _etag, ...object } = bridged.detail.object;
      const notified = s3EventFactory({ key: KEY });
      const [record] = notified.Records;
      const { eTag: _eTag, ...s3Object } = record.s3.object;

      const results = [
        await pipeline.splitter({ ...bridged, detail: { ...bridged.detail, object } } as never),
        await pipeline.splitter({ Records: [{ ...record, s3: { ...record.s3, object: { ...s3Object, versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' } } }] } as never),
      ];

      expect(results.map((result) => result.outcomes)).to.deep.equal([['split'], ['duplicate']]);
      expect((await pipeline.repository.getBatch(batchId))?.status).to.equal('SPLIT');
      expect(await splitLines(pipeline, batchId)).to.equal(3);
    });

    it('treats a redelivered queued notification as the duplicate it is', async () => {
      const { pipeline, etag, size } = pipelineWithObject();
      const event = sqsEventFactory([snsEnvelopeFactory(s3EventFactory({ key: KEY, etag, size }))]);

      await pipeline.splitter(event);
      const again = await pipeline.splitter(event);

      expect(again.outcomes).to.deep.equal(['duplicate']);
    });
  });

  describe('s3:TestEvent', () => {
    const wrappers: ReadonlyArray<readonly [string, () => SplitterEvent]> = [
      ['directly', () => s3TestEventFactory() as never],
      ['in an SQS message', () => sqsEventFactory([JSON.stringify(s3TestEventFactory())])],
      ['in SNS in an SQS message', () => sqsEventFactory([snsEnvelopeFactory(s3TestEventFactory())])],
      ['in SNS invoking directly', () => snsEventFactory(s3TestEventFactory()) as never],
    ];
    for (const [wrapper, event] of wrappers) {
      it(`ignores it ${wrapper}, without failing the message`, async () => {
        const pipeline = createMemoryPipeline();

        const result = await pipeline.splitter(event());

        expect(result.outcomes).to.deep.equal([]);
        expect(result.batchItemFailures).to.deep.equal([]);
        expect(await pipeline.repository.listBatches()).to.deep.equal([]);
      });
    }

    it('ignores EventBridge events other than Object Created, and S3 records other than ObjectCreated', async () => {
      const pipeline = createMemoryPipeline();
      const deleted = { ...eventBridgeObjectCreatedFactory({ key: 'gone.log' }), 'detail-type': 'Object Deleted' };
      const removed = s3EventFactory({ key: 'gone.log' });
      removed.Records[0].eventName = 'ObjectRemoved:Delete';

      const result = await pipeline.splitter(sqsEventFactory([JSON.stringify(deleted), JSON.stringify(removed)]));

      expect(result.outcomes).to.deep.equal([]);
      expect(result.batchItemFailures).to.deep.equal([]);
    });
  });

  describe('reprocess requests', () => {
    it('splits an object already split into a new batch, and a redelivered request finds that batch', async () => {
      const { pipeline, etag, size, batchId } = pipelineWithObject();
      await pipeline.splitter(s3EventFactory({ key: KEY, etag, size }));
      const request = JSON.stringify(reprocessRequest({ bucket: BUCKET, key: KEY, etag: `"${etag}"`, size }, 'r1'));

      const result = await pipeline.splitter(sqsEventFactory([request, request]));

      expect(result.outcomes).to.deep.equal(['split', 'duplicate']);
      expect(result.batchItemFailures).to.deep.equal([]);
      expect(await splitLines(pipeline, deriveBatchId({ bucket: BUCKET, key: KEY, etag }, 'r1'))).to.equal(3);
      expect((await pipeline.repository.listBatches()).map((batch) => batch.batchId).sort()).to.deep.equal([batchId, deriveBatchId({ bucket: BUCKET, key: KEY, etag }, 'r1')].sort());
    });

    it('cannot be forged by an S3 event: fields beside the records, a key spelling a request, SNS and direct invocations give no new batch', async () => {
      const { pipeline, etag, size, batchId } = pipelineWithObject();
      await pipeline.splitter(s3EventFactory({ key: KEY, etag, size }));
      const request = reprocessRequest({ bucket: BUCKET, key: KEY, etag, size }, 'forged');
      const withExtra = { ...s3EventFactory({ key: KEY, etag, size }), reprocess: request.reprocess, v: 1 };
      const eventBridge = eventBridgeObjectCreatedFactory({ key: KEY, etag, size }) as Record<string, unknown>;
      const eventBridgeWithExtra = { ...eventBridge, reprocess: request.reprocess, detail: { ...(eventBridge.detail as object), reprocess: request.reprocess } };
      const spelledKey = JSON.stringify(request);
      const spelled = pipeline.objectStore.put(BUCKET, spelledKey, logFile(['x']));

      const queued = await pipeline.splitter(
        sqsEventFactory([JSON.stringify(withExtra), JSON.stringify(eventBridgeWithExtra), snsEnvelopeFactory(request), JSON.stringify(s3EventFactory({ key: spelledKey, etag: spelled.etag.replace(/"/g, ''), size: spelled.size }))]),
      );
      const direct = await pipeline.splitter(withExtra as never);
      const directRequest = await pipeline.splitter(request as never);

      expect(queued.outcomes).to.deep.equal(['duplicate', 'duplicate', 'split']);
      expect(queued.batchItemFailures).to.deep.equal([{ itemIdentifier: 'm-2' }]);
      expect(direct.outcomes).to.deep.equal(['duplicate']);
      expect(directRequest.outcomes).to.deep.equal([]);
      const batches = await pipeline.repository.listBatches();
      expect(batches.map((batch) => batch.source.key).sort()).to.deep.equal([KEY, spelledKey].sort());
      expect(batches.map((batch) => batch.batchId)).to.include(batchId);
    });

    it('fails a malformed request as its message alone', async () => {
      const { pipeline, etag, size } = pipelineWithObject();
      const good = JSON.stringify(reprocessRequest({ bucket: BUCKET, key: KEY, etag, size }, 'r1'));

      const result = await pipeline.splitter(sqsEventFactory([JSON.stringify({ v: 1, reprocess: {}, bucket: BUCKET, key: KEY, etag }), good]));

      expect(result.outcomes).to.deep.equal(['split']);
      expect(result.batchItemFailures).to.deep.equal([{ itemIdentifier: 'm-0' }]);
    });
  });

  describe('queue-fed splitting', () => {
    it('reports only the messages that failed as batch item failures', async () => {
      const failingKey = 'throttled.log';
      const pipeline = createMemoryPipeline({
        wrapRepository: (repository) =>
          Object.assign(Object.create(repository) as typeof repository, {
            createBatch: async (init: Parameters<typeof repository.createBatch>[0]) => {
              if (init.source.key === failingKey) throw new Error('ProvisionedThroughputExceededException');
              return repository.createBatch(init);
            },
          }),
      });
      const good = pipeline.objectStore.put(BUCKET, 'good.log', logFile(['a', 'b']));
      const bad = pipeline.objectStore.put(BUCKET, failingKey, logFile(['c']));
      const notify = (upload: { key: string; etag: string; size: number }) =>
        JSON.stringify(s3EventFactory({ key: upload.key, etag: upload.etag.replace(/"/g, ''), size: upload.size }));

      const result = await pipeline.splitter(sqsEventFactory([notify(good), 'not a message at all', notify(bad), snsEnvelopeFactory({ hello: 1 })]));

      expect(result.outcomes).to.deep.equal(['split']);
      expect(result.batchItemFailures).to.deep.equal([{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }, { itemIdentifier: 'm-3' }]);
    });

    it('tells its own continuations apart from S3 events on the same queue', async () => {
      const pipeline = createMemoryPipeline({ settings: { maxChunkLines: 1 }, handOverMarginMs: 60_000 });
      const long = pipeline.objectStore.put(BUCKET, 'long.log', logFile(['1', '2', '3']));
      const other = pipeline.objectStore.put(BUCKET, 'other.log', logFile(['x']));
      const longEtag = long.etag.replace(/"/g, '');
      const timeLimited = { getRemainingTimeInMillis: () => 30_000 };
      await pipeline.splitter(s3EventFactory({ key: 'long.log', etag: longEtag, size: long.size }), timeLimited);
      const continuation = await pipeline.continuations.take();
      const otherEvent = JSON.stringify(s3EventFactory({ key: 'other.log', etag: other.etag.replace(/"/g, ''), size: other.size }));

      const result = await pipeline.splitter(sqsEventFactory([continuation ?? '', otherEvent]));

      expect(result.outcomes).to.deep.equal(['split', 'split']);
      expect(result.batchItemFailures).to.deep.equal([]);
      expect(await splitLines(pipeline, deriveBatchId({ bucket: BUCKET, key: 'long.log', etag: longEtag }))).to.equal(3);
    });
  });
});
