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

    it('strips a BOM at the start of any line, also when starting mid-file, keeping the offsets of the bytes', () => {
      const lines = split([Buffer.from('\uFEFFx\ny\n\uFEFF{"a":1}\n')], 100);

      expect(lines.map((line) => line.text)).to.deep.equal(['x', 'y', '{"a":1}']);
      expect(lines.map((line) => line.byteOffset)).to.deep.equal([100, 105, 107]);
    });

    it('ends lines at a lone CR as well as at LF and CRLF, in any mix', () => {
      const lines = split([Buffer.from('one\rtwo\r\nthree\nfour\r\rsix\r')]);

      expect(lines.map((line) => line.text)).to.deep.equal(['one', 'two', 'three', 'four', '', 'six']);
      expect(lines.map((line) => line.byteOffset)).to.deep.equal([0, 4, 9, 15, 20, 21]);
    });

    it('gives the same lines however the buffers cut CR and CRLF terminators', () => {
      const text = 'a\rb\r\nc\r\r\nd\re';
      const whole = split([Buffer.from(text)]);

      const single = split(byteByByte(Buffer.from(text)));

      expect(whole.map((line) => line.text)).to.deep.equal(['a', 'b', 'c', '', 'd', 'e']);
      expect(single).to.deep.equal(whole);
    });

    it('splits five thousand CR-separated records into five thousand lines', () => {
      const records = Array.from({ length: 5000 }, (_, index) => `<13>Nov 20 08:00:00 switch-1 record ${index} ${'x'.repeat(40)}`);

      const lines = split([Buffer.from(records.join('\r'))]);

      expect(lines).to.have.length(5000);
      expect(lines[4999].text).to.equal(records[4999]);
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
