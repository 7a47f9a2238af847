import { crc32, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { type GzipProgress, GzipStreamError, gunzipMembers, newGzipProgress } from '../../../src/application/gzip-members.js';

/** The bytes as a stream of pieces of `size` bytes. */
async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

/** Everything the reader gives, and what it threw. */
async function readAll(bytes: Buffer, size = 4096): Promise<{ output: Buffer; error: unknown; progress: GzipProgress }> {
  const progress = newGzipProgress();
  const parts: Buffer[] = [];
  let error: unknown;
  try {
    for await (const part of gunzipMembers(pieces(bytes, size), progress)) parts.push(part);
  } catch (caught) {
    error = caught;
  }
  return { output: Buffer.concat(parts), error, progress };
}

const text = (lines: number, label: string) => Array.from({ length: lines }, (_, index) => `${label} line ${index + 1} ${(index * 7919) % 104729}\n`).join('');

describe('gunzipMembers', () => {
  describe('a good stream', () => {
    for (const size of [1, 7, 4096, 1 << 20]) {
      it(`gives every member's bytes, as gunzip does, read in pieces of ${size} bytes`, async () => {
        const members = [text(2000, 'first'), '', 'no final newline', text(300, 'fourth')];
        const bytes = Buffer.concat(members.map((member) => gzipSync(member)));

        const { output, error, progress } = await readAll(bytes, size);

        expect(error).to.equal(undefined);
        expect(output.equals(gunzipSync(bytes))).to.equal(true);
        expect(progress).to.deep.equal({ completeMembers: 4, outputBytes: output.length, completeOutputBytes: output.length });
      });
    }

    it('reads headers with extra field, name, comment and header CRC', async () => {
      const content = Buffer.from('hello\nworld\n');
      const header = Buffer.concat([
        Buffer.from([0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3]),
        Buffer.from([4, 0, 1, 2, 3, 4]),
        Buffer.from('app.log\0', 'latin1'),
        Buffer.from('a comment\0', 'latin1'),
      ]);
      const headerCrc = Buffer.alloc(2);
      headerCrc.writeUInt16LE(crc32(header) & 0xffff);
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE(crc32(content), 0);
      trailer.writeUInt32LE(content.length, 4);
      const bytes = Buffer.concat([header, headerCrc, deflateRawSync(content), trailer]);

      const { output, error } = await readAll(bytes, 3);

      expect(error).to.equal(undefined);
      expect(output.toString()).to.equal('hello\nworld\n');
    });

    it('takes NUL bytes after the last member as padding', async () => {
      const { output, error, progress } = await readAll(Buffer.concat([gzipSync('a\nb'), Buffer.alloc(1000)]), 100);

      expect(error).to.equal(undefined);
      expect(output.toString()).to.equal('a\nb');
      expect(progress.completeMembers).to.equal(1);
    });
  });

  describe('a stream that stops being good gzip', () => {
    it('gives every byte of the members before trailing garbage, then says how many bytes follow and where', async () => {
      const first = gzipSync(text(20_000, 'first'));
      const bytes = Buffer.concat([first, gzipSync('second\n'), Buffer.from('GARBAGE\n')]);

      const { output, error, progress } = await readAll(bytes);

      expect(output.toString()).to.equal(`${text(20_000, 'first')}second\n`);
      expect(error).to.be.instanceOf(GzipStreamError);
      expect(error).to.deep.include({ kind: 'trailing', trailingBytes: 8, member: 3, compressedOffset: bytes.length - 8 });
      expect(progress).to.deep.include({ completeMembers: 2, completeOutputBytes: output.length });
    });

    it('calls NUL padding followed by other bytes trailing garbage, counting them all', async () => {
      const { error } = await readAll(Buffer.concat([gzipSync('a\n'), Buffer.alloc(10), Buffer.from('x')]));

      expect(error).to.deep.include({ kind: 'trailing', trailingBytes: 11 });
    });

    it('calls a lone byte after the last member trailing garbage, even the first magic byte', async () => {
      const { output, error } = await readAll(Buffer.concat([gzipSync('a\n'), Buffer.from([0x1f])]));

      expect(output.toString()).to.equal('a\n');
      expect(error).to.deep.include({ kind: 'trailing', trailingBytes: 1 });
    });

    it('names a corrupt member, where it starts, and keeps every byte of the members before it', async () => {
      const first = gzipSync(text(500, 'first'));
      const second = Buffer.from(gzipSync(text(500, 'second')));
      second[10] |= 0x06; // the first deflate block claims the reserved block type

      const { output, error, progress } = await readAll(Buffer.concat([first, second]));

      expect(output.toString()).to.equal(text(500, 'first'));
      expect(error).to.deep.include({ kind: 'corrupt', problem: 'invalid block type', member: 2, memberOffset: first.length });
      expect(progress.completeMembers).to.equal(1);
    });

    it('says a cut-off member ended early, giving what decompressed but vouching for none of it', async () => {
      const bytes = gzipSync(text(5000, 'cut'));

      const { output, error, progress } = await readAll(bytes.subarray(0, Math.floor(bytes.length / 2)));

      expect(output.length).to.be.greaterThan(1000);
      expect(text(5000, 'cut').startsWith(output.toString())).to.equal(true);
      expect(error).to.deep.include({ kind: 'corrupt', problem: 'unexpected end of file', member: 1 });
      expect(progress).to.deep.include({ completeMembers: 0, completeOutputBytes: 0, outputBytes: output.length });
    });

    it('does not vouch for a member whose trailer is cut off or does not match', async () => {
      const bytes = gzipSync('whole\ncontent');
      const badCrc = Buffer.from(bytes);
      badCrc[bytes.length - 8] ^= 0xff;

      const cut = await readAll(bytes.subarray(0, bytes.length - 3));
      const mismatched = await readAll(badCrc);

      expect(cut.output.toString()).to.equal('whole\ncontent');
      expect(cut.error).to.deep.include({ kind: 'corrupt', problem: 'unexpected end of file' });
      expect(mismatched.error).to.deep.include({ kind: 'corrupt', problem: 'incorrect data check' });
      expect(cut.progress.completeOutputBytes).to.equal(0);
      expect(mismatched.progress.completeOutputBytes).to.equal(0);
    });

    it('passes an error of the compressed source through as it is', async () => {
      const bytes = gzipSync(text(5000, 'source'));
      const failing = async function* (): AsyncGenerator<Buffer> {
        yield bytes.subarray(0, 1000);
        throw new Error('connection reset by peer');
      };

      let error: unknown;
      try {
        for await (const part of gunzipMembers(failing())) expect(part.length).to.be.greaterThan(0);
      } catch (caught) {
        error = caught;
      }

      expect(error).to.not.be.instanceOf(GzipStreamError);
      expect((error as Error).message).to.equal('connection reset by peer');
    });
  });
});
