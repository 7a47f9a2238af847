import { expect } from 'chai';
import type { ObjectStore } from '../../src/application/ports/object-store.port.js';
import { ObjectNotFoundError } from '../../src/domain/errors.js';
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

      it('throws ObjectNotFoundError for a missing object', async () => {
        const error = await fixture.store.head(fixture.bucket, fixture.missingKey()).catch((caught: unknown) => caught);

        expect(error).to.be.instanceOf(ObjectNotFoundError);
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
  });
}
