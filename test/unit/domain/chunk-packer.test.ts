import { expect } from 'chai';
import { ChunkPacker, type ChunkPackerOptions, type LogEvent } from '../../../src/domain/chunk-packer.js';
import { decodeChunk, type EncodedChunk } from '../../../src/domain/chunk.js';
import { buildEntries } from '../../../src/domain/entry-builder.js';

const options = (overrides: Partial<ChunkPackerOptions> = {}): ChunkPackerOptions => ({
  batchId: 'b1',
  source: { bucket: 'ingest', key: 'app.log', etag: 'e1' },
  format: 'text',
  maxChunkBytes: 4096,
  maxChunkLines: 1000,
  maxEventBytes: 128 * 1024,
  ...overrides,
});

function pack(events: readonly LogEvent[], packerOptions: ChunkPackerOptions): EncodedChunk[] {
  const packer = new ChunkPacker(packerOptions);
  const out: EncodedChunk[] = [];
  for (const event of events) packer.add(event, out);
  packer.flush(out);
  return out;
}

const line = (text: string): LogEvent => ({ text, lineCount: 1 });

describe('ChunkPacker', () => {
  describe('add and flush', () => {
    it('keeps every message within the byte budget and its size exact', () => {
      const events = Array.from({ length: 500 }, (_, index) => line(`line ${index} "quoted" \\ żółć ${'x'.repeat(index % 90)}`));

      const chunks = pack(events, options({ maxChunkBytes: 4096 }));

      expect(chunks.length).to.be.greaterThan(5);
      for (const chunk of chunks) {
        expect(chunk.bytes).to.equal(Buffer.byteLength(chunk.body));
        expect(chunk.bytes).to.be.at.most(4096);
      }
    });

    it('cuts a long line whose kept prefix is only spaces as a truncated event, and a line of only spaces as blank', () => {
      const chunks = pack([line(`${' '.repeat(140_000)}ERROR disk full`), line(' '.repeat(140_000))], options({ maxChunkBytes: 256 * 1024 }));

      const message = decodeChunk(chunks[0].body);
      expect(message.lines.map((text) => text?.length)).to.deep.equal([128 * 1024, 0]);
      expect(message.truncated).to.deep.equal({ '0': 140_015 });
      const { stats, entries } = buildEntries(message, new Date(0));
      expect(stats).to.deep.include({ entries: 1, blank: 1, truncated: 1 });
      expect(entries[0]).to.deep.include({ lineNumber: 1, truncated: true, originalLength: 140_015 });
    });

    it('keeps the longest prefix that fits when escapes make a line of control characters overflow the chunk', () => {
      const controls = '\x01'.repeat(60_000);

      const chunks = pack([line(controls)], options({ maxChunkBytes: 256 * 1024 }));

      const message = decodeChunk(chunks[0].body);
      const kept = message.lines[0] as string;
      expect(kept.length).to.be.greaterThan(40_000);
      expect(controls.startsWith(kept)).to.equal(true);
      expect(message.truncated).to.deep.equal({ '0': 60_000 });
      expect(chunks[0].bytes).to.be.at.most(256 * 1024);
    });

    it('keeps a non-empty prefix of a 200 KB run of NUL bytes and never splits a surrogate pair', () => {
      const nuls = '\u0000'.repeat(200_000);
      const emoji = '\u{1F680}'.repeat(2_000);

      const chunks = pack([line(nuls), line(emoji)], options({ maxChunkBytes: 8192 }));

      const lines = chunks.flatMap((chunk) => decodeChunk(chunk.body).lines) as string[];
      expect(lines).to.have.length(2);
      expect(lines[0].length).to.be.greaterThan(1000);
      expect(/^\u0000+$/.test(lines[0])).to.equal(true);
      expect(lines[1].length % 2).to.equal(0);
      expect(emoji.startsWith(lines[1])).to.equal(true);
      for (const chunk of chunks) expect(chunk.bytes).to.be.at.most(8192);
    });

    it('numbers chunks and lines contiguously, so every line is in exactly one chunk', () => {
      const events = Array.from({ length: 95 }, (_, index) => line(`line ${index + 1}`));

      const messages = pack(events, options({ maxChunkLines: 10 })).map((chunk) => decodeChunk(chunk.body));

      expect(messages.map((message) => message.chunk)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(messages.map((message) => message.firstLine)).to.deep.equal([1, 11, 21, 31, 41, 51, 61, 71, 81, 91]);
      expect(messages.flatMap((message) => message.lines)).to.deep.equal(events.map((event) => event.text));
    });

    it('with a line budget of 1 makes one message per line', () => {
      const chunks = pack([line('a'), line(''), line('c')], options({ maxChunkLines: 1 }));

      expect(chunks.map((chunk) => decodeChunk(chunk.body).lines)).to.deep.equal([['a'], [''], ['c']]);
    });

    it('never tears a multi-line event across chunks and marks its continuation lines', () => {
      const trace = { text: 'Exception\n  at a\n  at b', lineCount: 3 };

      const messages = pack([line('x'), line('y'), trace, line('z')], options({ maxChunkLines: 4 })).map((chunk) => decodeChunk(chunk.body));

      expect(messages.map((message) => message.lines)).to.deep.equal([['x', 'y'], ['Exception\n  at a\n  at b', null, null, 'z']]);
      expect(messages[1].firstLine).to.equal(3);
    });

    it('cuts an event larger than any chunk and records its original length', () => {
      const huge = 'é'.repeat(10_000);

      const [chunk] = pack([line(huge)], options({ maxChunkBytes: 4096 }));
      const message = decodeChunk(chunk.body);

      expect(chunk.bytes).to.be.at.most(4096);
      expect(message.lines[0]!.length).to.be.greaterThan(1000);
      expect(huge.startsWith(message.lines[0]!)).to.equal(true);
      expect(message.truncated).to.deep.equal({ 0: 20_000 });
    });

    it('cuts events at maxEventBytes even when the chunk has room', () => {
      const [chunk] = pack([line('a'.repeat(5000)), line('ok')], options({ maxChunkBytes: 64 * 1024, maxEventBytes: 1000 }));
      const message = decodeChunk(chunk.body);

      expect(message.lines[0]).to.have.length(1000);
      expect(message.lines[1]).to.equal('ok');
      expect(message.truncated).to.deep.equal({ 0: 5000 });
    });

    it('rejects a byte budget above the SQS limit', () => {
      expect(() => new ChunkPacker(options({ maxChunkBytes: 2 * 1024 * 1024 }))).to.throw(RangeError, /SQS limit/);
    });
  });
});

describe('sqsSafeJson', () => {
  it('escapes surrogate pairs and noncharacters so any SQS accepts the body, and round-trips the text', async () => {
    const { sqsSafeJson } = await import('../../../src/domain/chunk.js');
    const text = 'rocket 🚀 żółć \uFFFE end\u0001';

    const json = sqsSafeJson({ text });

    expect(json).to.not.match(/[\ud800-\udfff\ufffe\uffff\u0000-\u001f]/);
    expect(json).to.contain('żółć');
    expect(JSON.parse(json)).to.deep.equal({ text });
  });
});

describe('encodeChunk and decodeChunk', () => {
  it('round-trips every kind of line through the v2 body, escaping what SQS rejects', async () => {
    const { encodeChunk } = await import('../../../src/domain/chunk.js');
    const lines = ['{"quoted":"yes \\\\ back"}', '', 'multi\nline', null, 'tab\tand\rcr', 'ctrl\u0001\u001f', '\\N', 'emoji 🚀 \uFFFE', '\\n literal'];
    const message = { v: 2 as const, batchId: 'b', chunk: 3, firstLine: 7, source: { bucket: 'b', key: 'k 🚀', etag: 'e' }, format: 'text', lines };

    const body = encodeChunk(message);
    const decoded = decodeChunk(body);

    expect(body.split('\n')).to.have.length(lines.length + 1);
    expect(body).to.not.match(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/);
    expect(decoded).to.deep.equal(message);
  });

  it('rejects a body whose line count does not match its header', async () => {
    const { encodeChunk } = await import('../../../src/domain/chunk.js');
    const body = encodeChunk({ v: 2, batchId: 'b', chunk: 0, firstLine: 1, source: { bucket: 'b', key: 'k', etag: 'e' }, format: 'text', lines: ['a', 'b'] });

    expect(() => decodeChunk(body.slice(0, body.lastIndexOf('\n')))).to.throw(/declares 2 line\(s\) but carries 1/);
  });

  it('still reads a v1 message from an older splitter', () => {
    const v1 = JSON.stringify({ v: 1, batchId: 'b', chunk: 0, firstLine: 1, source: { bucket: 'b', key: 'k', etag: 'e' }, format: 'text', lines: ['a', null] });

    expect(decodeChunk(v1).lines).to.deep.equal(['a', null]);
  });
});
