import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import sinon from 'sinon';
import { S3ObjectStore, unquoteEtag } from '../../../src/adapters/aws/s3-object-store.js';
import { ObjectChangedError, ObjectNotFoundError, TransientFailureError } from '../../../src/domain/errors.js';
import { readAll } from '../../helpers/streams.js';

const content = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');

/** A body that delivers `bytes` and then breaks like a reset connection. */
function breakingBody(bytes: Buffer): Readable {
  return new Readable({
    read() {
      this.push(bytes);
      this.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    },
  });
}

function rangeStart(call: sinon.SinonSpyCall): number {
  const range = (call.args[0] as GetObjectCommand).input.Range;
  return range === undefined ? 0 : Number(/^bytes=(\d+)-$/.exec(range)?.[1]);
}

describe('S3ObjectStore', () => {
  describe('openStream', () => {
    it('continues with a ranged GET from the next undelivered byte after a connection reset', async () => {
      const send = sinon.stub().callsFake(async (command: GetObjectCommand) => {
        const start = rangeStart({ args: [command] } as unknown as sinon.SinonSpyCall);
        const rest = content.subarray(start);
        // The first response breaks after 10 bytes; the resumed one delivers the rest.
        const body = start === 0 ? breakingBody(rest.subarray(0, 10)) : Readable.from([rest]);
        return { Body: body, ETag: '"e1"', ContentLength: rest.length };
      });
      const sleep = sinon.stub().resolves();
      const store = new S3ObjectStore({ send } as unknown as S3Client, { sleep });

      const { bytes } = await readAll(await store.openStream('bucket', 'key'));

      expect(bytes.equals(content)).to.equal(true);
      expect(send.callCount).to.equal(2);
      expect((send.secondCall.args[0] as GetObjectCommand).input).to.deep.include({ Range: 'bytes=10-', IfMatch: '"e1"' });
      expect(sleep.callCount).to.equal(1);
    });

    it('treats a body that ends short of its Content-Length as a break', async () => {
      const send = sinon.stub();
      send.onCall(0).resolves({ Body: Readable.from([content.subarray(4, 8)]), ETag: '"e1"', ContentLength: content.length - 4 });
      send.onCall(1).resolves({ Body: Readable.from([content.subarray(8)]), ETag: '"e1"', ContentLength: content.length - 8 });
      const store = new S3ObjectStore({ send } as unknown as S3Client, { sleep: sinon.stub().resolves() });

      const { bytes } = await readAll(await store.openStream('bucket', 'key', { startByte: 4 }));

      expect(bytes.toString()).to.equal(content.subarray(4).toString());
      expect(rangeStart(send.secondCall)).to.equal(8);
    });

    it('gives up with a TransientFailureError after maxAttempts breaks in a row', async () => {
      const send = sinon.stub().callsFake(async () => ({ Body: breakingBody(Buffer.alloc(0)), ETag: '"e1"', ContentLength: content.length }));
      const store = new S3ObjectStore({ send } as unknown as S3Client, { maxAttempts: 3, sleep: sinon.stub().resolves() });

      const error = await readAll(await store.openStream('bucket', 'key')).catch((caught: unknown) => caught);

      expect(error).to.be.instanceOf(TransientFailureError);
      expect(send.callCount).to.equal(3);
    });

    it('maps NoSuchKey to ObjectNotFoundError', async () => {
      const send = sinon.stub().rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
      const store = new S3ObjectStore({ send } as unknown as S3Client);

      const error = await store.openStream('bucket', 'gone.log').catch((caught: unknown) => caught);

      expect(error).to.be.instanceOf(ObjectNotFoundError);
    });

    it('returns an empty stream for a start at the end of the object (416)', async () => {
      const send = sinon.stub().rejects(Object.assign(new Error('range'), { name: 'InvalidRange', $metadata: { httpStatusCode: 416 } }));
      const store = new S3ObjectStore({ send } as unknown as S3Client);

      const { bytes } = await readAll(await store.openStream('bucket', 'key', { startByte: 36 }));

      expect(bytes.length).to.equal(0);
    });
  });

  describe('openStream with ifMatch', () => {
    const preconditionFailed = () =>
      Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
        name: 'PreconditionFailed',
        $metadata: { httpStatusCode: 412 },
      });

    it('sends If-Match with the quoted ETag on the first GET, ranged or not', async () => {
      const send = sinon.stub().callsFake(async () => ({ Body: Readable.from([content]), ETag: '"e1"', ContentLength: content.length }));
      const store = new S3ObjectStore({ send } as unknown as S3Client);

      await readAll(await store.openStream('bucket', 'key', { ifMatch: 'e1' }));
      await readAll(await store.openStream('bucket', 'key', { startByte: 4, ifMatch: '"e1"' }));

      expect((send.firstCall.args[0] as GetObjectCommand).input).to.deep.include({ IfMatch: '"e1"', Range: undefined });
      expect((send.secondCall.args[0] as GetObjectCommand).input).to.deep.include({ IfMatch: '"e1"', Range: 'bytes=4-' });
    });

    it('throws ObjectChangedError with both ETags when S3 answers 412 to the first GET', async () => {
      const send = sinon.stub().callsFake(async (command: unknown) => {
        if (command instanceof HeadObjectCommand) return { ETag: '"e2"', ContentLength: 3 };
        throw preconditionFailed();
      });
      const store = new S3ObjectStore({ send } as unknown as S3Client);

      const error = await store.openStream('bucket', 'logs/a.log', { ifMatch: 'e1' }).catch((caught: unknown) => caught);

      expect(error).to.be.instanceOf(ObjectChangedError);
      expect(error).to.deep.include({ code: 'OBJECT_CHANGED', bucket: 'bucket', key: 'logs/a.log', expectedEtag: 'e1', actualEtag: 'e2' });
      expect((error as Error).message).to.include('s3://bucket/logs/a.log').and.include('e1').and.include('e2');
    });

    it('still throws ObjectChangedError when the HEAD for the new ETag fails too', async () => {
      const send = sinon.stub().rejects(preconditionFailed());
      const store = new S3ObjectStore({ send } as unknown as S3Client);

      const error = await store.openStream('bucket', 'key', { ifMatch: 'e1' }).catch((caught: unknown) => caught);

      expect(error).to.be.instanceOf(ObjectChangedError);
      expect((error as ObjectChangedError).actualEtag).to.equal(undefined);
    });

    it('fails the stream with ObjectChangedError when the object changed before a resume after a reset', async () => {
      const send = sinon.stub();
      send.onCall(0).resolves({ Body: breakingBody(content.subarray(0, 10)), ETag: '"e1"', ContentLength: content.length });
      send.onCall(1).rejects(preconditionFailed());
      send.onCall(2).resolves({ ETag: '"e2"', ContentLength: 3 });
      const store = new S3ObjectStore({ send } as unknown as S3Client, { sleep: sinon.stub().resolves() });

      const error = await readAll(await store.openStream('bucket', 'key')).catch((caught: unknown) => caught);

      expect(error).to.be.instanceOf(ObjectChangedError);
      expect((send.secondCall.args[0] as GetObjectCommand).input).to.deep.include({ Range: 'bytes=10-', IfMatch: '"e1"' });
      expect(error).to.deep.include({ expectedEtag: 'e1', actualEtag: 'e2' });
    });
  });

  describe('unquoteEtag', () => {
    it('drops the quotes S3 puts around ETags, as event notifications do', () => {
      expect(unquoteEtag('"9b2cf535f27731c974343645a3985328"')).to.equal('9b2cf535f27731c974343645a3985328');
      expect(unquoteEtag('"abc-3"')).to.equal('abc-3');
      expect(unquoteEtag('plain')).to.equal('plain');
    });
  });

  describe('list', () => {
    it('follows continuation tokens through every page, retrying a throttled page', async () => {
      const pages: Record<string, { keys: string[]; next?: string }> = { '': { keys: ['a', 'b'], next: 't1' }, t1: { keys: ['c'], next: 't2' }, t2: { keys: ['d'] } };
      let throttled = false;
      const send = sinon.stub().callsFake(async (command: ListObjectsV2Command) => {
        const token = command.input.ContinuationToken ?? '';
        if (token === 't1' && !throttled) {
          throttled = true;
          throw Object.assign(new Error('SlowDown'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
        }
        const page = pages[token]!;
        return {
          Contents: page.keys.map((key) => ({ Key: key, Size: 1, ETag: `"e-${key}"`, LastModified: new Date('2026-11-26T09:00:00Z') })),
          IsTruncated: page.next !== undefined,
          NextContinuationToken: page.next,
        };
      });
      const store = new S3ObjectStore({ send } as unknown as S3Client, { sleep: sinon.stub().resolves() });

      const listed = [];
      for await (const object of store.list('bucket', { prefix: 'logs/' })) listed.push(object);

      expect(listed.map((object) => [object.key, object.etag])).to.deep.equal([['a', 'e-a'], ['b', 'e-b'], ['c', 'e-c'], ['d', 'e-d']]);
      expect(send.getCalls().map((call) => (call.args[0] as ListObjectsV2Command).input.Prefix)).to.deep.equal(['logs/', 'logs/', 'logs/', 'logs/']);
      expect(throttled).to.equal(true);
    });
  });
});
