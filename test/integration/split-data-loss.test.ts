import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
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
    const lines = Array.from({ length: 400 }, (_, index) => (index === 150 ? `crash\u0000\u0000\u0000 left this ${index}` : `2026-11-20T08:00:00Z INFO line ${index}`));
    const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 2048 }, ...alwaysOutOfTime });

    const { report, batches, entries } = await pipeline.run({ 'app.log': logFile(lines) });

    expect(report.splitterInvocations).to.be.greaterThan(3);
    expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 400 });
    expect(lineNumbers(entries[0])).to.deep.equal(oneTo(400));
    expect(entries[0][150].body).to.include('\u0000');
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
