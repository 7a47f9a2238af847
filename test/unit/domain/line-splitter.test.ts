import { expect } from 'chai';
import { LineSplitter, type RawLine, truncateUtf8 } from '../../../src/domain/line-splitter.js';

function split(buffers: readonly Buffer[], startOffset = 0): RawLine[] {
  const splitter = new LineSplitter(startOffset);
  const out: RawLine[] = [];
  for (const buffer of buffers) splitter.push(buffer, out);
  splitter.end(out);
  return out;
}

/** Feeds a buffer one byte at a time: the worst case for characters and terminators split across reads. */
const byteByByte = (bytes: Buffer) => [...bytes].map((byte) => Buffer.from([byte]));

describe('LineSplitter', () => {
  describe('push and end', () => {
    it('splits LF and CRLF lines and keeps a last line without terminator', () => {
      const lines = split([Buffer.from('one\r\ntwo\nthree')]);

      expect(lines.map((line) => line.text)).to.deep.equal(['one', 'two', 'three']);
      expect(lines.map((line) => line.byteOffset)).to.deep.equal([0, 5, 9]);
    });

    it('skips a UTF-8 BOM at the start but counts its bytes in offsets', () => {
      const lines = split(byteByByte(Buffer.from('\uFEFFfirst\nsecond\n')));

      expect(lines.map((line) => line.text)).to.deep.equal(['first', 'second']);
      expect(lines[0].byteOffset).to.equal(3);
    });

    it('reassembles multi-byte characters split across buffers', () => {
      const text = 'żółć 日本語 🚀\nnext ✓\n';

      const lines = split(byteByByte(Buffer.from(text)));

      expect(lines.map((line) => line.text)).to.deep.equal(['żółć 日本語 🚀', 'next ✓']);
    });

    it('replaces invalid UTF-8 with U+FFFD instead of failing', () => {
      const lines = split([Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a, 0xc3, 0x0a])]);

      expect(lines.map((line) => line.text)).to.deep.equal(['a\uFFFD\uFFFDb', '\uFFFD']);
    });

    it('keeps blank lines, including CRLF-only ones, and yields nothing for empty input', () => {
      expect(split([Buffer.from('\n\r\n\nx\n')]).map((line) => line.text)).to.deep.equal(['', '', '', 'x']);
      expect(split([])).to.deep.equal([]);
      expect(split([Buffer.from([0xef, 0xbb, 0xbf])])).to.deep.equal([]);
    });

    it('does not strip a BOM when starting mid-file, and offsets continue from the start offset', () => {
      const lines = split([Buffer.from('\uFEFFx\ny\n')], 100);

      expect(lines.map((line) => line.text)).to.deep.equal(['\uFEFFx', 'y']);
      expect(lines.map((line) => line.byteOffset)).to.deep.equal([100, 105]);
    });
  });
});

describe('truncateUtf8', () => {
  it('cuts on a character boundary within the byte budget', () => {
    const cut = truncateUtf8('ab🚀cd', 4);

    expect(cut).to.equal('ab');
    expect(truncateUtf8('short', 100)).to.equal('short');
  });
});

describe('LineSplitter ascii flag', () => {
  it('marks ASCII lines, and not lines with multi-byte or invalid bytes', () => {
    const lines = split([Buffer.concat([Buffer.from('plain\nżółć\n'), Buffer.from([0x61, 0xff, 0x0a])])]);

    expect(lines.map((line) => line.ascii)).to.deep.equal([true, false, false]);
  });
});
