import { expect } from 'chai';
import type { ObjectStore } from '../../src/application/ports/object-store.port.js';
import { ObjectChangedError, ObjectNotFoundError } from '../../src/domain/errors.js';
import { readAll } from '../helpers/streams.js';

export interface ObjectStoreFixture {
  readonly store: ObjectStore;
  readonly bucket: string;
  /** Stores `content` under a name and returns its key in this store. */
  put(name: string, content: Buffer): Promise<string>;
  /** A key that does not exist in this store. */
  missingKey(): string;
  cleanup?(): Promise<void>;
}

/** What every ObjectStore adapter must do; run against each adapter with its own fixture. */
export function describeObjectStoreContract(adapterName: string, makeFixture: () => Promise<ObjectStoreFixture>): void {
  describe(`ObjectStore contract: ${adapterName}`, () => {
    let fixture: ObjectStoreFixture;

    beforeEach(async () => {
      fixture = await makeFixture();
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    describe('head', () => {
      it('returns the size and an ETag that changes with the content', async () => {
        const first = await fixture.put('a.log', Buffer.from('line one\nline two\n'));
        const second = await fixture.put('b.log', Buffer.from('other content\n'));

        const infoA = await fixture.store.head(fixture.bucket, first);
        const infoB = await fixture.store.head(fixture.bucket, second);

        expect(infoA.size).to.equal(18);
        expect(infoA.etag).to.be.a('string').and.not.equal('');
        expect(infoA.etag).to.not.equal(infoB.etag);
      });

      it('tells when the object was last written, within a minute of now', async () => {
        const key = await fixture.put('c.log', Buffer.from('x\n'));

        const info = await fixture.store.head(fixture.bucket, key);

        expect(info.lastModified).to.be.a('string');
        expect(Math.abs(Date.parse(info.lastModified as string) - Date.now())).to.be.below(60_000);
      });

      it('throws ObjectNotFoundError for a missing object', async () => {
        const error = await fixture.store.head(fixture.bucket, fixture.missingKey()).catch((caught: unknown) => caught);

        expect(error).to.be.instanceOf(ObjectNotFoundError);
      });
    });

    describe('list', () => {
      it('lists the objects under a prefix in key order, each as head describes it, and nothing outside it', async () => {
        const keyB = await fixture.put('listed/b.log', Buffer.from('b\n'));
        const keyA = await fixture.put('listed/a.log', Buffer.from('a\n'));
        const keyC = await fixture.put('listed/sub/c.log', Buffer.from('c c\n'));
        await fixture.put('listed-not/d.log', Buffer.from('d\n'));
        const prefix = keyA.slice(0, keyA.length - 'a.log'.length);

        const listed = [];
        for await (const object of fixture.store.list(fixture.bucket, { prefix })) listed.push(object);

        expect(listed.map((object) => object.key)).to.deep.equal([keyA, keyB, keyC]);
        for (const object of listed) {
          const head = await fixture.store.head(fixture.bucket, object.key);
          // HEAD's Last-Modified is an HTTP date, to the second; a listing may say more.
          const comparable = (info: typeof head) => ({ ...info, etag: unquote(info.etag), lastModified: info.lastModified?.slice(0, 19) });
          expect(comparable(object), object.key).to.deep.equal(comparable(head));
        }
      });

      it('lists nothing under a prefix no object has', async () => {
        const key = await fixture.put('present/a.log', Buffer.from('a\n'));
        const prefix = `${key.slice(0, key.length - 'present/a.log'.length)}absent/`;

        const listed = [];
        for await (const object of fixture.store.list(fixture.bucket, { prefix })) listed.push(object);

        expect(listed).to.deep.equal([]);
      });
    });

    describe('openStream', () => {
      it('streams the whole object in several buffers, byte for byte', async () => {
        const content = Buffer.alloc(3 * 1024 * 1024 + 17);
        for (let i = 0; i < content.length; i++) content[i] = (i * 31 + 7) % 251;
        const key = await fixture.put('big.bin', content);

        const stream = await fixture.store.openStream(fixture.bucket, key);
        const { bytes, buffers } = await readAll(stream);

        expect(buffers).to.be.greaterThan(1);
        expect(bytes.equals(content)).to.equal(true);
      });

      it('starts at a byte offset when asked (a ranged read)', async () => {
        const key = await fixture.put('ranged.log', Buffer.from('0123456789abcdef'));

        const { bytes } = await readAll(await fixture.store.openStream(fixture.bucket, key, { startByte: 10 }));

        expect(bytes.toString()).to.equal('abcdef');
      });

      it('throws ObjectNotFoundError for a missing object', async () => {
        const error = await fixture.store.openStream(fixture.bucket, fixture.missingKey()).catch((caught: unknown) => caught);

        expect(error).to.be.instanceOf(ObjectNotFoundError);
      });
    });

    describe('openStream with ifMatch', () => {
      it('streams the object when ifMatch is its current ETag, quoted or not', async () => {
        const key = await fixture.put('pinned.log', Buffer.from('version one\n'));
        const { etag } = await fixture.store.head(fixture.bucket, key);
        const unquoted = etag.replace(/^"(.*)"$/, '$1');

        const plain = await readAll(await fixture.store.openStream(fixture.bucket, key, { ifMatch: unquoted }));
        const quoted = await readAll(await fixture.store.openStream(fixture.bucket, key, { ifMatch: `"${unquoted}"` }));

        expect(plain.bytes.toString()).to.equal('version one\n');
        expect(quoted.bytes.toString()).to.equal('version one\n');
      });

      it('throws ObjectChangedError naming the key and the pinned ETag when the object was overwritten', async () => {
        const key = await fixture.put('overwritten.log', Buffer.from('version one\n'));
        const stale = (await fixture.store.head(fixture.bucket, key)).etag;
        await fixture.put('overwritten.log', Buffer.from('version two, longer\n'));
        const current = (await fixture.store.head(fixture.bucket, key)).etag;

        const error = await fixture.store.openStream(fixture.bucket, key, { ifMatch: stale }).catch((caught: unknown) => caught);

        expect(error).to.be.instanceOf(ObjectChangedError);
        const changed = error as ObjectChangedError;
        expect(changed.code).to.equal('OBJECT_CHANGED');
        expect(changed.key).to.equal(key);
        expect(changed.message).to.include(key).and.include(unquote(stale));
        expect(changed.expectedEtag).to.equal(unquote(stale));
        if (changed.actualEtag !== undefined) expect(changed.actualEtag).to.equal(unquote(current));
      });

      it('throws ObjectChangedError for a ranged read of an overwritten object too', async () => {
        const key = await fixture.put('overwritten-ranged.log', Buffer.from('0123456789abcdef'));
        const stale = (await fixture.store.head(fixture.bucket, key)).etag;
        await fixture.put('overwritten-ranged.log', Buffer.from('fedcba9876543210 and more'));

        const error = await fixture.store
          .openStream(fixture.bucket, key, { startByte: 10, ifMatch: stale })
          .catch((caught: unknown) => caught);

        expect(error).to.be.instanceOf(ObjectChangedError);
      });

      it('streams a ranged read when ifMatch is the current ETag', async () => {
        const key = await fixture.put('pinned-ranged.log', Buffer.from('0123456789abcdef'));
        const { etag } = await fixture.store.head(fixture.bucket, key);

        const { bytes } = await readAll(await fixture.store.openStream(fixture.bucket, key, { startByte: 10, ifMatch: etag }));

        expect(bytes.toString()).to.equal('abcdef');
      });
    });
  });
}

function unquote(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1');
}
