import { expect } from 'chai';
import type { PositionedEvent } from '../../../src/domain/event-assembler.js';
import { looksLikeWrappedRecords, recordsOf, WrappedRecordReader } from '../../../src/domain/parsing/wrapped-records.js';

/** Feeds the lines to a new reader; gives its events' texts and the reader. */
function read(lines: readonly string[]): { texts: string[]; reader: WrappedRecordReader } {
  const reader = new WrappedRecordReader(1024 * 1024);
  const events: PositionedEvent[] = [];
  let byteOffset = 0;
  for (const text of lines) {
    reader.push({ text, byteOffset }, events);
    byteOffset += Buffer.byteLength(text) + 1;
  }
  reader.flush(events);
  return { texts: events.map((event) => event.text), reader };
}

describe('WrappedRecordReader', () => {
  describe('recordsOf', () => {
    it('takes an array of records, but not an empty array, which wraps nothing', () => {
      expect(recordsOf([{ a: 1 }])).to.deep.equal({ kind: 'array', records: [{ a: 1 }] });
      expect(recordsOf([])).to.equal(undefined);
    });
  });

  describe('looksLikeWrappedRecords', () => {
    it('sees an array of objects, compact or pretty-printed, and not an empty array', () => {
      expect(looksLikeWrappedRecords('[{"a":1}]')).to.equal(true);
      expect(looksLikeWrappedRecords('[\n  {\n    "a": 1')).to.equal(true);
      expect(looksLikeWrappedRecords('[]\nhello world')).to.equal(false);
      expect(looksLikeWrappedRecords('[ ]')).to.equal(false);
    });
  });

  describe('push', () => {
    for (const [label, lines] of [
      ['text', ['[]', 'hello world', 'second line']],
      ['JSON log lines', ['[]', '{"level":"info","msg":"one"}']],
      ['a document of records', ['[]', '[{"a":1}]']],
      ['nothing', ['[]']],
      ['nothing, pretty-printed', ['[', ']']],
    ] as const) {
      it(`sets strayAtStart for a file whose first document is [] followed by ${label}`, () => {
        const { reader } = read(lines);

        expect(reader.strayAtStart).to.equal(true);
      });
    }

    it('keeps a [] later in a file of documents as one line, so the count misses nothing', () => {
      const { texts, reader } = read(['[{"a":1},{"a":2}]', '[]', '[{"a":3}]']);

      expect(reader.strayAtStart).to.equal(false);
      expect(reader.kind).to.equal('array');
      expect(texts).to.deep.equal(['{"a":1}', '{"a":2}', '[]', '{"a":3}']);
    });
  });
});
