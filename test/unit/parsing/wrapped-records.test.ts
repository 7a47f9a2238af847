import { expect } from 'chai';
import type { PositionedEvent } from '../../../src/domain/event-assembler.js';
import { createMemoryPipeline } from '../../helpers/memory-pipeline.js';
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
  describe('text after the first document, on a later line', () => {
    for (const [label, lines] of [
      ['an array, then text lines', ['[{"a":1}]', '[INFO] started', '', '  indented']],
      ['an array, then an unclosed brace of text', ['[{"a":1}]', '{ dump: a=1', 'line two', '', 'line four']],
      ['an array, then a blank line and text', ['[{"a":1}]', '', 'plain text']],
      ['an array, then a further document, then text', ['[{"a":1}]', '[{"a":2}]', 'plain text']],
      ['an array, then a JSON log line', ['[{"a":1}]', '{"level":"info","msg":"one"}']],
      ['an array, then a brace of text on its own line', ['[{"a":1}]', '{', 'foo bar']],
      ['empty Records, then text', ['{"Records":[]}', 'hello', '', 'world']],
      ['an empty Config snapshot, then text', ['{"fileVersion":"1.0","configurationItems":[]}', 'hello', '', 'world']],
      ['an empty CloudWatch message, then text', ['{"messageType":"DATA_MESSAGE","logEvents":[]}', 'hello', '', 'world']],
      ['a CloudWatch control message, then text', ['{"messageType":"CONTROL_MESSAGE","logEvents":[]}', 'hello']],
      ['empty Records, then a PEM block', ['{"Records":[]}', '-----BEGIN PRIVATE KEY-----', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', '-----END PRIVATE KEY-----']],
    ] as const) {
      it(`sets strayAtStart for ${label}`, () => {
        const { reader } = read(lines);

        expect(reader.strayAtStart).to.equal(true);
      });
    }

    for (const [label, lines] of [
      ['documents separated by blank lines', ['[{"a":1}]', '', '  ', '[{"a":2}]']],
      ['pretty-printed documents', ['{', '  "Records": [', '    {"e": 1}', '  ]', '}', '', '{', '  "Records": [{"e": 2}]', '}']],
      ['a later document cut short by the next', ['{"Records":[{"e":1}]}', '{"Records":[{"e":2}', '{"Records":[{"e":3}]}']],
      ['a later document cut off by the end of the file', ['{"Records":[{"e":1}]}', '{"Records":[{"e":2}']],
      ['a later array cut off by the end of the file', ['[{"a":1}]', '[{"a":2},', '{"a":3']],
    ] as const) {
      it(`keeps documents for ${label}`, () => {
        const { reader } = read(lines);

        expect(reader.kind).to.not.equal(undefined);
        expect(reader.strayAtStart).to.equal(false);
      });
    }

    it('reads such files as lines from their first line, every line once (auto)', async () => {
      const files: Record<string, { content: string; totalLines: number; bodies: string[] }> = {
        'r.log': { content: '[{"a":1}]\n[INFO] started\n\n  indented\n', totalLines: 4, bodies: ['[{"a":1}]', '[INFO] started', '  indented'] },
        'dump.log': { content: '[{"a":1}]\n{ dump: a=1\nline two\n\nline four\n', totalLines: 5, bodies: ['[{"a":1}]', '{ dump: a=1', 'line two', 'line four'] },
        'records.log': { content: '{"Records":[]}\nhello\n\nworld\n', totalLines: 4, bodies: ['{"Records":[]}', 'hello', 'world'] },
        'config.log': {
          content: '{"fileVersion":"1.0","configurationItems":[]}\nhello\n\nworld\n',
          totalLines: 4,
          bodies: ['{"fileVersion":"1.0","configurationItems":[]}', 'hello', 'world'],
        },
        'cloudwatch.log': {
          content: '{"messageType":"DATA_MESSAGE","logEvents":[]}\nhello\n\nworld\n',
          totalLines: 4,
          bodies: ['{"messageType":"DATA_MESSAGE","logEvents":[]}', 'hello', 'world'],
        },
      };
      const pipeline = createMemoryPipeline();

      const { batches, entries } = await pipeline.run(Object.fromEntries(Object.entries(files).map(([key, file]) => [key, Buffer.from(file.content)])));

      Object.values(files).forEach((file, index) => {
        expect(batches[index], file.content).to.deep.include({ status: 'COMPLETED', totalLines: file.totalLines });
        expect(
          entries[index].map((entry) => entry.body),
          file.content,
        ).to.deep.equal(file.bodies);
      });
      expect(entries[0].map((entry) => entry.lineNumber)).to.deep.equal([1, 2, 4]);
    });

    it('joins and redacts a PEM block after an empty Records document, as in any text file (auto)', async () => {
      const pem = ['-----BEGIN PRIVATE KEY-----', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH', '-----END PRIVATE KEY-----'];
      const pipeline = createMemoryPipeline();

      const { batches, entries } = await pipeline.run({ 'pem.log': Buffer.from(`{"Records":[]}\n${pem.join('\n')}\n`) });

      expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 5 });
      expect(entries[0]).to.have.length(2);
      expect(JSON.stringify(entries[0])).to.not.include('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
    });
  });
});
