import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { TransientFailureError } from '../../src/domain/errors.js';
import type { LogEntry } from '../../src/domain/log-entry.js';
import { BUCKET, createMemoryPipeline, logFile } from '../helpers/memory-pipeline.js';

/** A splitter that is always out of time: it hands over at every chunk boundary it reaches. */
const alwaysOutOfTime = { splitterContext: () => ({ getRemainingTimeInMillis: () => 0 }), handOverMarginMs: 1 } as const;

const lineNumbers = (entries: readonly LogEntry[]) => entries.map((entry) => entry.lineNumber);
const oneTo = (count: number) => Array.from({ length: count }, (_, index) => index + 1);

const cloudTrailRecord = (index: number) => ({
  eventVersion: '1.08',
  eventTime: `2026-11-20T08:00:${String(index % 60).padStart(2, '0')}Z`,
  eventSource: 's3.amazonaws.com',
  eventName: `GetObject${index}`,
  awsRegion: 'eu-west-1',
  requestID: `req-${index}`,
});

// Regression tests for the splitter's data-loss paths of issue 17, each run through the whole memory pipeline.
describe('SplitLogObject data-loss regressions', () => {
  it('resumes a gzip CloudTrail document in record space when it hands over at every chunk (item 5)', async () => {
    const document = JSON.stringify({ Records: Array.from({ length: 40 }, (_, index) => cloudTrailRecord(index)) });
    const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 1024 }, ...alwaysOutOfTime });

    const { report, batches, entries } = await pipeline.run({ 'trail.json.gz': gzipSync(document) });

    expect(report.splitterInvocations).to.be.greaterThan(5);
    expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 40, format: 'cloudtrail' });
    expect(lineNumbers(entries[0])).to.deep.equal(oneTo(40));
    expect(entries[0].map((entry) => entry.attributes['rpc.method'])).to.deep.equal(oneTo(40).map((n) => `GetObject${n - 1}`));
  });

  it('splits each of several CloudTrail documents, one per line, and keeps a malformed one as one unparsed line (item 12)', async () => {
    const documents = [
      JSON.stringify({ Records: [cloudTrailRecord(1), cloudTrailRecord(2)] }),
      '{"Records":[{"eventVersion":"1.08", "broken',
      JSON.stringify({ Records: [cloudTrailRecord(3)] }),
      `${JSON.stringify({ Records: [cloudTrailRecord(4)] })}${JSON.stringify({ Records: [cloudTrailRecord(5)] })}`,
    ];
    const pipeline = createMemoryPipeline({ splitterAttempts: 3 });

    const { report, batches, entries } = await pipeline.run({ 'trails.json': logFile(documents) });

    expect(report.splitterInvocations).to.equal(1);
    expect(batches[0]).to.deep.include({ status: 'COMPLETED_WITH_ERRORS', totalLines: 6, format: 'cloudtrail' });
    expect(batches[0].stats).to.deep.include({ entries: 6, unparsed: 1 });
    expect(entries[0].map((entry) => entry.attributes['rpc.method'] ?? entry.parseError !== undefined)).to.deep.equal([
      'GetObject1',
      'GetObject2',
      true,
      'GetObject3',
      'GetObject4',
      'GetObject5',
    ]);
  });

  it('resumes between two records of documents that share a line (item 5)', async () => {
    const line = Array.from({ length: 6 }, (_, index) => JSON.stringify({ Records: [cloudTrailRecord(index * 2), cloudTrailRecord(index * 2 + 1)] })).join('');
    const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 1024 }, ...alwaysOutOfTime });

    const { batches, entries } = await pipeline.run({ 'trail.json': `${line}\n` });

    expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 12 });
    expect(entries[0].map((entry) => entry.attributes['rpc.method'])).to.deep.equal(oneTo(12).map((n) => `GetObject${n - 1}`));
  });

  it('does not sniff for binary content again on a ranged resume (item 6)', async () => {
    // The NUL bytes sit past the first 8 KiB (the sniffed window), within the first 8 KiB of every ranged resume.
    const lines = Array.from({ length: 400 }, (_, index) => (index === 300 ? `crash\u0000\u0000\u0000 left this ${index}` : `2026-11-20T08:00:00Z INFO line ${index}`));
    const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 2048 }, ...alwaysOutOfTime });

    const { report, batches, entries } = await pipeline.run({ 'app.log': logFile(lines) });

    expect(report.splitterInvocations).to.be.greaterThan(3);
    expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 400 });
    expect(lineNumbers(entries[0])).to.deep.equal(oneTo(400));
    expect(Buffer.byteLength(logFile(lines.slice(0, 300)))).to.be.greaterThan(8192);
    expect(entries[0][300].body).to.include('\u0000');
  });

  it('hands over at chunk boundaries reached on the line budget, with nothing pending (item 7)', async () => {
    const lines = Array.from({ length: 20_000 }, (_, index) => `short line number ${String(index).padStart(14, '0')} ok`);
    const pipeline = createMemoryPipeline({ ...alwaysOutOfTime });

    const { report, batches, entries } = await pipeline.run({ 'short.log': logFile(lines) });

    expect(lines[0]).to.have.length(35);
    expect(report.splitterInvocations).to.equal(4);
    expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 20_000, totalChunks: 4 });
    expect(entries[0]).to.have.length(20_000);
  });

  it('packs the last event of a text file even when the split would hand over right before it', async () => {
    const pipeline = createMemoryPipeline({ settings: { maxChunkLines: 1 }, ...alwaysOutOfTime });

    const { batches, entries } = await pipeline.run({ 'two.log': 'a\nb\n' });

    expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 2, format: 'text' });
    expect(entries[0].map((entry) => entry.body)).to.deep.equal(['a', 'b']);
  });

  it('stores a line of control characters and a run of NUL bytes truncated instead of counting them blank (item 2)', async () => {
    const content = Buffer.concat([
      Buffer.from(`${'first line of text\n'.repeat(500)}`),
      Buffer.from(`${'\x01'.repeat(60_000)}\n`),
      Buffer.alloc(200_000, 0),
      Buffer.from('\nlast line\n'),
    ]);
    const pipeline = createMemoryPipeline();

    const { batches, entries } = await pipeline.run({ 'crash.log': content });

    expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 503 });
    expect(batches[0].stats).to.deep.include({ entries: 503, blank: 0, truncated: 2 });
    const [controls, nuls] = [entries[0][500], entries[0][501]];
    expect(controls).to.deep.include({ truncated: true, originalLength: 60_000 });
    expect(controls.body.length).to.be.greaterThan(1000);
    expect(nuls).to.deep.include({ truncated: true, originalLength: 200_000 });
    expect(nuls.body.length).to.be.greaterThan(1000);
  });

  for (const gzip of [false, true]) {
    it(`fails as binary a NUL byte in the first 8 KiB past the detection sample, though the split hands over at once (gzip members: ${gzip})`, async () => {
      const lines = Array.from({ length: 60 }, (_, index) => `{"level":"info","msg":"filler ${index}"}`);
      const head = logFile(lines.slice(0, 55));
      const tail = Buffer.concat([Buffer.from('crash\u0000dump\n'), logFile(lines.slice(55))]);
      const content = gzip ? Buffer.concat([gzipSync(head), gzipSync(tail)]) : Buffer.concat([head, Buffer.alloc(4096 - head.length, 0x20), tail]);
      const pipeline = createMemoryPipeline({ settings: { maxChunkLines: 1 }, ...alwaysOutOfTime });

      const { batches, entries } = await pipeline.run({ 'app.log': content });

      expect(batches[0]).to.deep.include({ status: 'FAILED', failureCode: 'BINARY_CONTENT' });
      expect(entries[0]).to.have.length(0);
    });
  }

  it('splits CR-only line endings into one entry per record (item 9)', async () => {
    const records = Array.from({ length: 5000 }, (_, index) => `<13>Nov 20 08:00:00 switch-1 port ${index} changed state to up`);
    const pipeline = createMemoryPipeline();

    const { batches, entries } = await pipeline.run({ 'switch.log': Buffer.from(records.join('\r')) });

    expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 5000 });
    expect(batches[0].stats).to.deep.include({ entries: 5000, truncated: 0 });
    expect(entries[0][4999].body).to.include('port 4999');
  });

  for (const encoding of ['utf16le', 'utf16be'] as const) {
    it(`decodes UTF-16 text (${encoding}, by its byte-order mark) instead of calling it binary (item 15)`, async () => {
      const text = '\uFEFF2026-11-20T08:00:00Z INFO zażółć gęślą jaźń 🚀\r\n2026-11-20T08:00:01Z WARN second\r\n';
      const bytes = encoding === 'utf16le' ? Buffer.from(text, 'utf16le') : Buffer.from(text, 'utf16le').swap16();
      const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 1024 }, ...alwaysOutOfTime });

      const { batches, entries } = await pipeline.run({ 'windows.log': bytes });

      expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 2 });
      expect(entries[0].map((entry) => entry.severityText)).to.deep.equal(['INFO', 'WARN']);
      expect(entries[0][0].body).to.include('zażółć gęślą jaźń 🚀');
    });
  }

  it('parses the first line of a second gzip member that starts with a BOM (item 15)', async () => {
    const member = (lines: string[]) => gzipSync(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\n')}\n`)]));
    const content = Buffer.concat([member(['{"level":"info","msg":"one"}']), member(['{"level":"info","msg":"two"}'])]);
    const pipeline = createMemoryPipeline();

    const { batches, entries } = await pipeline.run({ 'rotated.jsonl.gz': content });

    expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 2, format: 'json' });
    expect(entries[0].map((entry) => entry.body)).to.deep.equal(['one', 'two']);
  });

  describe('gzip members followed by bytes that are not gzip, or by a corrupt member', () => {
    const garbage = Buffer.from('GARBAGE\n');
    /** A member whose first deflate block claims the reserved block type: zlib stops at once ("invalid block type"). */
    const corruptMember = (text: string) => {
      const member = Buffer.from(gzipSync(text));
      member[10] |= 0x06;
      return member;
    };

    it('stores every line of a gzip followed by trailing garbage and fails the batch saying the bytes were not read', async () => {
      const pipeline = createMemoryPipeline();

      const { batches, entries } = await pipeline.run({ 'small.log.gz': Buffer.concat([gzipSync('first line\nsecond line\nthird line\n'), garbage]) });

      expect(batches[0]).to.deep.include({ status: 'FAILED', failureCode: 'CORRUPT_GZIP', totalLines: 3 });
      expect(batches[0].stats).to.deep.include({ entries: 3, blank: 0, continuation: 0 });
      expect(entries[0].map((entry) => entry.body)).to.deep.equal(['first line', 'second line', 'third line']);
      expect(batches[0].reason).to.include('8 bytes after the last complete gzip member (from compressed byte');
      expect(batches[0].reason).to.not.match(/corrupt/);
    });

    it('keeps the last line of a member that ended cleanly without a final newline before the garbage', async () => {
      const pipeline = createMemoryPipeline();

      const { batches, entries } = await pipeline.run({ 'no-newline.log.gz': Buffer.concat([gzipSync('first line\nsecond line'), garbage]) });

      expect(batches[0]).to.deep.include({ status: 'FAILED', failureCode: 'CORRUPT_GZIP', totalLines: 2 });
      expect(entries[0].map((entry) => entry.body)).to.deep.equal(['first line', 'second line']);
    });

    it('completes a gzip padded with NUL bytes, as before', async () => {
      const pipeline = createMemoryPipeline();

      const { batches, entries } = await pipeline.run({ 'padded.log.gz': Buffer.concat([gzipSync('a line\nlast line'), Buffer.alloc(512)]) });

      expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 2 });
      expect(entries[0].map((entry) => entry.body)).to.deep.equal(['a line', 'last line']);
    });

    it('stores every line of the members before a corrupt member and names the member in the reason', async () => {
      const first = Array.from({ length: 50 }, (_, index) => `2026-11-20T08:00:00Z INFO first member line ${index + 1}`);
      const content = Buffer.concat([gzipSync(first.join('\n')), corruptMember('2026-11-20T08:00:00Z INFO second member\n'.repeat(100))]);
      expect(() => gunzipSync(content)).to.throw(/invalid block type/);
      const pipeline = createMemoryPipeline();

      const { batches, entries } = await pipeline.run({ 'two-members.log.gz': content });

      expect(batches[0]).to.deep.include({ status: 'FAILED', failureCode: 'CORRUPT_GZIP', totalLines: 50 });
      expect(entries[0].map((entry) => entry.body)).to.deep.equal(first);
      expect(batches[0].reason).to.match(/corrupt gzip near compressed byte \d+ \(member 2, from compressed byte \d+\): invalid block type; every line of the 1 member before it/);
    });

    it('keeps the last line of a clean member before a cut-off member, and drops only the line the cut tore', async () => {
      const second = gzipSync(Array.from({ length: 400 }, (_, index) => `second member line ${index} ${(index * 7919) % 104729}`).join(' '));
      const content = Buffer.concat([gzipSync('first line\nlast line of the first member'), second.subarray(0, second.length / 2)]);
      const pipeline = createMemoryPipeline();

      const { batches, entries } = await pipeline.run({ 'cut-second.log.gz': content });

      expect(batches[0]).to.deep.include({ status: 'FAILED', failureCode: 'CORRUPT_GZIP', totalLines: 2 });
      expect(entries[0].map((entry) => entry.body)).to.deep.equal(['first line', 'last line of the first member']);
      expect(batches[0].reason).to.match(/\(member 2, from compressed byte \d+\): unexpected end of file/);
    });

    it('keeps whole UTF-16 lines before a damaged member and drops the torn one', async () => {
      const lines = Array.from({ length: 600 }, (_, index) => `2026-11-20T08:00:00Z INFO zażółć ${index + 1} ${(index * 7919) % 104729}`);
      const utf16 = (text: string) => Buffer.from(text, 'utf16le');
      const second = gzipSync(utf16(lines.slice(100).map((line) => `${line}\r\n`).join('')));
      const content = Buffer.concat([gzipSync(utf16(`\uFEFF${lines.slice(0, 100).join('\r\n')}\r\n`)), second.subarray(0, second.length / 2)]);
      const pipeline = createMemoryPipeline();

      const { batches, entries } = await pipeline.run({ 'windows.log.gz': content });

      const bodies = entries[0].map((entry) => entry.body);
      expect(batches[0]).to.deep.include({ status: 'FAILED', failureCode: 'CORRUPT_GZIP', totalLines: bodies.length });
      expect(bodies.length).to.be.within(101, 599);
      expect(bodies).to.deep.equal(lines.slice(0, bodies.length));
    });

    it('stores every line of a gzip with trailing garbage when the split hands over at every chunk', async () => {
      const lines = Array.from({ length: 3000 }, (_, index) => `2026-11-20T08:00:00Z INFO resumed ${index + 1}`);
      const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 8192 }, ...alwaysOutOfTime });

      const { report, batches, entries } = await pipeline.run({ 'resumed.log.gz': Buffer.concat([gzipSync(logFile(lines)), Buffer.from('GARBAGE\n')]) });

      expect(report.splitterInvocations).to.be.greaterThan(5);
      expect(batches[0]).to.deep.include({ status: 'FAILED', failureCode: 'CORRUPT_GZIP', totalLines: 3000 });
      expect(entries[0].map((entry) => entry.body)).to.deep.equal(lines);
    });

    it('loses no line of a 200,000-line gzip followed by 8 bytes of garbage', async function () {
      this.timeout(120_000);
      const lines = Array.from({ length: 200_000 }, (_, index) => `2026-11-20T08:00:00Z INFO request ${index + 1} served in ${(index * 7919) % 1000} ms`);
      const content = Buffer.concat([gzipSync(logFile(lines)), Buffer.from('GARBAGE!')]);
      const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 256 * 1024, maxChunkLines: 10_000 } });

      const { batches, entries } = await pipeline.run({ 'large.log.gz': content });

      expect(batches[0]).to.deep.include({ status: 'FAILED', failureCode: 'CORRUPT_GZIP', totalLines: 200_000 });
      expect(batches[0].stats).to.deep.include({ entries: 200_000 });
      expect(lineNumbers(entries[0])).to.deep.equal(oneTo(200_000));
      expect(entries[0][199_999].body).to.equal(lines[199_999]);
    });
  });

  it('retries a gzip split whose read breaks mid-stream instead of calling the object corrupt', async () => {
    const content = gzipSync(Buffer.from('2026-11-20T08:00:00Z INFO line\n'.repeat(20_000)));
    const pipeline = createMemoryPipeline({ splitterAttempts: 2 });
    const store = pipeline.objectStore;
    const openStream = store.openStream.bind(store);
    let opens = 0;
    store.openStream = async (bucket, key, options) => {
      opens++;
      if (opens > 1) return openStream(bucket, key, options);
      return Readable.from(
        (async function* () {
          yield content.subarray(0, 2000);
          throw new TransientFailureError('connection reset by peer');
        })(),
      );
    };

    const { report, batches, entries } = await pipeline.run({ 'app.log.gz': content });

    expect(opens).to.equal(2);
    expect(report.splitterInvocations).to.equal(2);
    expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 20_000 });
    expect(entries[0]).to.have.length(20_000);
  });

  it('fails the batch as OBJECT_CHANGED when the object is overwritten between hand-overs, mixing nothing', async () => {
    const lines = Array.from({ length: 300 }, (_, index) => `2026-11-20T08:00:00Z INFO version one line ${index}`);
    let splits = 0;
    const pipeline = createMemoryPipeline({
      settings: { maxChunkBytes: 2048 },
      ...alwaysOutOfTime,
      aroundInvocation: async (kind, invoke) => {
        if (kind === 'splitter' && ++splits === 3) {
          await pipeline.objectStore.put(BUCKET, 'app.log', logFile(lines.map((line) => line.replace('one', 'two'))));
        }
        return invoke();
      },
    });

    const { batches, entries } = await pipeline.run({ 'app.log': logFile(lines) });

    expect(batches[0]).to.deep.include({ status: 'FAILED', failureCode: 'OBJECT_CHANGED' });
    expect(entries[0].length).to.be.greaterThan(0);
    expect(entries[0].every((entry) => entry.body.includes('version one'))).to.equal(true);
  });
});
