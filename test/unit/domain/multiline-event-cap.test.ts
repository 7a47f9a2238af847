import { expect } from 'chai';
import { ChunkPacker, type ChunkPackerOptions, DEFAULT_MAX_EVENT_BYTES } from '../../../src/domain/chunk-packer.js';
import { decodeChunk, type EncodedChunk } from '../../../src/domain/chunk.js';
import { buildEntries } from '../../../src/domain/entry-builder.js';
import { EventAssembler, type PositionedEvent } from '../../../src/domain/event-assembler.js';
import { STACK_TRACE_POLICY } from '../../../src/domain/parsing/multiline.js';

const options = (overrides: Partial<ChunkPackerOptions> = {}): ChunkPackerOptions => ({
  batchId: 'b1',
  source: { bucket: 'ingest', key: 'app.log', etag: 'e1' },
  format: 'text',
  maxChunkBytes: 256 * 1024,
  maxChunkLines: 1000,
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
  ...overrides,
});

const isAscii = (text: string): boolean => /^[\x00-\x7f]*$/.test(text);

/** Lines through the assembler (stack-trace policy) and the packer, as the splitter runs them. */
function split(lines: readonly string[], packerOptions: ChunkPackerOptions): { chunks: EncodedChunk[]; events: PositionedEvent[] } {
  const assembler = new EventAssembler(STACK_TRACE_POLICY);
  const events: PositionedEvent[] = [];
  let byteOffset = 0;
  for (const text of lines) {
    assembler.push({ text, byteOffset, ascii: isAscii(text) }, events);
    byteOffset += Buffer.byteLength(text) + 1;
  }
  assembler.flush(events);
  const packer = new ChunkPacker(packerOptions);
  const chunks: EncodedChunk[] = [];
  for (const event of events) packer.add(event, chunks);
  packer.flush(chunks);
  return { chunks, events };
}

/** Every input line's text is stored, whole and in order, in exactly one entry; the worker's totals add up. */
function expectEveryLineStored(lines: readonly string[], chunks: readonly EncodedChunk[], maxChunkBytes: number): void {
  const stored: string[] = [];
  const totals = { lines: 0, entries: 0, blank: 0, continuation: 0, truncated: 0 };
  let nextLine = 1;
  for (const chunk of chunks) {
    expect(chunk.bytes).to.equal(Buffer.byteLength(chunk.body));
    expect(chunk.bytes).to.be.at.most(maxChunkBytes);
    const message = decodeChunk(chunk.body);
    expect(message.firstLine).to.equal(nextLine);
    nextLine += message.lines.length;
    for (const text of message.lines) if (text !== null) stored.push(...text.split('\n'));
    const { stats } = buildEntries(message, new Date(0));
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += stats[key];
  }
  expect(nextLine - 1).to.equal(lines.length);
  expect(totals.lines).to.equal(lines.length);
  expect(totals.entries + totals.blank + totals.continuation).to.equal(totals.lines);
  expect(totals.truncated).to.equal(0);
  expect(stored.length).to.equal(lines.length);
  for (let index = 0; index < lines.length; index++) expect(stored[index], `line ${index + 1}`).to.equal(lines[index]);
}

describe('multi-line events beyond the caps', () => {
  it('stores every line of a 33-line trace that does not fit a 1 KiB chunk (b.log)', () => {
    const lines = ['2024-05-01T10:00:00Z ERROR failed', 'java.lang.IllegalStateException: boom'];
    for (let i = 0; i < 30; i++) lines.push(`\tat com.example.Service${i}.handle(Service${i}.java:${i})`);
    lines.push('2024-05-01T10:00:01Z INFO next');

    const { chunks } = split(lines, options({ maxChunkBytes: 1024 }));

    expectEveryLineStored(lines, chunks, 1024);
  });

  it('stores every line of a 475-line trace of 65,015 bytes in 64 KiB chunks', () => {
    const lines = ['2024-05-01T10:00:00Z ERROR failed', 'java.lang.IllegalStateException: boom'];
    for (let i = 0; lines.length < 475; i++) lines.push(`\tat com.example.Service${i}.handle(Service${i}.java:${i})${'x'.repeat(80)}`);
    // Pad the last frame so the trace is 65,015 bytes with its newlines.
    const size = (): number => lines.reduce((sum, text) => sum + text.length + 1, 0);
    lines[474] += 'y'.repeat(65_015 - size());
    expect(size()).to.equal(65_015);
    lines.push('2024-05-01T10:00:01Z INFO next');

    const { chunks } = split(lines, options({ maxChunkBytes: 65_536 }));

    expectEveryLineStored(lines, chunks, 65_536);
  });

  it('measures the 64 KiB cap in UTF-8 bytes and stores every character of CJK frames (a.log)', () => {
    const lines = ['2024-05-01T10:00:00Z ERROR failed', `\tat ${'中'.repeat(25_000)}`, `\tat ${'文'.repeat(25_000)}`, '2024-05-01T10:00:01Z INFO next'];

    const { chunks, events } = split(lines, options());

    // A single line may exceed the cap (the packer cuts it at maxEventBytes); lines are joined only within it.
    expect(events.map((event) => event.lineCount ?? 1)).to.deep.equal([1, 1, 1, 1]);
    for (const event of events) if ((event.lineCount ?? 1) > 1) expect(Buffer.byteLength(event.text)).to.be.at.most(STACK_TRACE_POLICY.maxBytes);
    expectEveryLineStored(lines, chunks, 256 * 1024);
  });

  it('stores every line of a trace whose control characters escape beyond the chunk room (c.log)', () => {
    const lines = ['2024-05-01T10:00:00Z ERROR failed', `\tat ${'\x01'.repeat(30_000)}`, `\tat ${'\x02'.repeat(30_000)}`, '2024-05-01T10:00:01Z INFO next'];

    const { chunks } = split(lines, options());

    expectEveryLineStored(lines, chunks, 256 * 1024);
  });

  it('makes a piece that starts with a continuation line an entry of its own, and keeps line numbers', () => {
    const lines = ['ERROR failed', `\tat ${'a'.repeat(700)}`, `\tat ${'b'.repeat(700)}`, 'INFO next'];

    const { chunks } = split(lines, options({ maxChunkBytes: 1024 }));

    const entries = chunks.flatMap((chunk) => buildEntries(decodeChunk(chunk.body), new Date(0)).entries);
    expect(entries.map((entry) => entry.lineNumber)).to.deep.equal([1, 3, 4]);
    expect(entries.map((entry) => entry.lineCount ?? 1)).to.deep.equal([2, 1, 1]);
  });

  it('still cuts a single physical line longer than any chunk, recording its original size', () => {
    const long = `\tat ${'z'.repeat(3000)}`;
    const lines = ['ERROR failed', long, 'INFO next'];

    const { chunks } = split(lines, options({ maxChunkBytes: 1024 }));

    const messages = chunks.map((chunk) => decodeChunk(chunk.body));
    const stored = messages.flatMap((message) => message.lines);
    expect(stored).to.have.length(3);
    expect(stored[0]).to.equal('ERROR failed');
    expect(long.startsWith(stored[1] as string)).to.equal(true);
    expect((stored[1] as string).length).to.be.lessThan(long.length);
    expect(stored[2]).to.equal('INFO next');
    const entries = messages.flatMap((message) => buildEntries(message, new Date(0)).entries);
    expect(entries[1]).to.deep.include({ lineNumber: 2, truncated: true, originalLength: Buffer.byteLength(long) });
  });

  it('never splits an event holding a private key block: it is cut whole, as before', () => {
    const key = ['-----BEGIN RSA PRIVATE KEY-----', ...Array.from({ length: 30 }, () => 'A'.repeat(64)), '-----END RSA PRIVATE KEY-----'];
    const lines = ['ERROR failed to load key', ...key, 'INFO next'];

    const { chunks } = split(lines, options({ maxChunkBytes: 1024 }));

    const messages = chunks.map((chunk) => decodeChunk(chunk.body));
    // The event is stored as one (cut) entry whose lines after the first are continuation markers: no key line alone.
    const stored = messages.flatMap((message) => message.lines);
    expect(stored).to.have.length(lines.length);
    expect(stored.slice(1, key.length + 1).every((text) => text === null)).to.equal(true);
    const totals = messages.map((message) => buildEntries(message, new Date(0)).stats);
    expect(totals.reduce((sum, stats) => sum + stats.truncated, 0)).to.equal(1);
    expect(totals.reduce((sum, stats) => sum + stats.entries, 0)).to.equal(2);
  });
});
