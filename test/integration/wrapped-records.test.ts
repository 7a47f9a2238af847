import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { createMemoryPipeline } from '../helpers/memory-pipeline.js';

const minute = Date.parse('2026-11-20T08:00:00.000Z');

/** A Firehose delivery of CloudWatch Logs subscription data: messages back to back, no separator. */
function cloudWatchFile(): { content: string; events: number } {
  const message = (group: string, stream: string, count: number, offset: number) =>
    JSON.stringify({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: group,
      logStream: stream,
      subscriptionFilters: ['to-firehose'],
      logEvents: Array.from({ length: count }, (_, index) => ({
        id: `3${offset + index}`,
        timestamp: minute + (offset + index) * 1000,
        message: JSON.stringify({ level: index % 3 === 0 ? 'error' : 'info', msg: `request ${offset + index}`, requestId: `r-${offset + index}` }),
      })),
    });
  const control = JSON.stringify({
    messageType: 'CONTROL_MESSAGE',
    owner: 'CloudwatchLogs',
    logGroup: '',
    logStream: '',
    subscriptionFilters: [],
    logEvents: [{ id: '', timestamp: minute, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }],
  });
  return { content: [message('/aws/lambda/api', '2026/11/20/[$LATEST]abc', 3, 0), control, message('/aws/lambda/api', '2026/11/20/[$LATEST]def', 4, 3)].join(''), events: 7 };
}

describe('Wrapped records (one entry per inner event)', () => {
  it('reads a file that only starts like a document of records as lines, every line once', async () => {
    const files: Record<string, { content: string; format: string; bodies: string[] }> = {
      'brackets.log': { content: '[] startup\n[INFO] server started\n[WARN] disk low\nplain line\n', format: 'text', bodies: ['[] startup', '[INFO] server started', '[WARN] disk low', 'plain line'] },
      'array-then-text.log': { content: '[{"a":1}] batch received\n[INFO] x y\n', format: 'text', bodies: ['[{"a":1}] batch received', '[INFO] x y'] },
      'message-type.jsonl': {
        content: '{"messageType":"order","level":"info","msg":"one"}\n{"messageType":"order","level":"info","msg":"two"}\n{"level":"info","msg":"three"}\n',
        format: 'json',
        bodies: ['one', 'two', 'three'],
      },
      'records-field.jsonl': { content: '{"Records":[],"msg":"nothing"}\n{"level":"info","msg":"two"}\n', format: 'json', bodies: ['nothing', 'two'] },
      'empty-array.log': { content: '[]\nhello world\nsecond line\n', format: 'text', bodies: ['[]', 'hello world', 'second line'] },
      'empty-array-then-json.jsonl': {
        content: '[]\n{"level":"info","msg":"one"}\n{"level":"warn","msg":"two"}\n',
        format: 'json+text',
        bodies: ['[]', 'one', 'two'],
      },
      'empty-array-pretty.log': { content: '[\n]\nhello world\n', format: 'text', bodies: ['[', ']', 'hello world'] },
      'only-empty-array.json': { content: '[]\n', format: 'text', bodies: ['[]'] },
      'unclosed.log': { content: `[{ unclosed text\n${'line\n'.repeat(5)}`, format: 'text', bodies: ['[{ unclosed text', ...Array(5).fill('line')] },
    };
    const pipeline = createMemoryPipeline();

    const { batches, entries } = await pipeline.run(Object.fromEntries(Object.entries(files).map(([key, file]) => [key, Buffer.from(file.content)])));

    Object.values(files).forEach((file, index) => {
      expect(batches[index], file.content).to.deep.include({ status: 'COMPLETED', format: file.format, totalLines: file.bodies.length });
      expect(entries[index].map((entry) => entry.body)).to.deep.equal(file.bodies);
    });
  });

  const cloudWatch = cloudWatchFile();
  for (const [variant, encode] of [
    ['plain', (text: string) => Buffer.from(text)],
    ['gzip', (text: string) => gzipSync(text)],
    ['gzip inside gzip', (text: string) => gzipSync(gzipSync(text))],
  ] as const) {
    it(`reads CloudWatch Logs data from Firehose (${variant}): events, their times, group, stream and owner; control messages counted blank`, async () => {
      const pipeline = createMemoryPipeline();

      const { batches, entries } = await pipeline.run({ 'firehose/2026/11/20/08/stream-1-2026-11-20-08-00-00-abc': encode(cloudWatch.content) });

      expect(batches[0]).to.deep.include({ status: 'COMPLETED', format: 'cloudwatch/json', totalLines: cloudWatch.events + 1 });
      expect(batches[0].stats).to.deep.include({ entries: cloudWatch.events, blank: 1, unparsed: 0 });
      expect(entries[0].map((entry) => entry.body)).to.deep.equal(Array.from({ length: 7 }, (_, index) => `request ${index}`));
      expect(entries[0].map((entry) => entry.timestamp)).to.deep.equal(Array.from({ length: 7 }, (_, index) => new Date(minute + index * 1000).toISOString()));
      expect(entries[0][0]).to.deep.include({ severityText: 'ERROR', format: 'cloudwatch/json' });
      expect(entries[0][0].attributes).to.deep.include({
        requestId: 'r-0',
        'aws.log.group.names': ['/aws/lambda/api'],
        'aws.log.stream.names': ['2026/11/20/[$LATEST]abc'],
        'cloud.account.id': '123456789012',
        'log.record.uid': '30',
      });
      expect(entries[0][6].attributes['aws.log.stream.names']).to.deep.equal(['2026/11/20/[$LATEST]def']);
    });
  }

  for (const [variant, encode] of [
    ['gzip, then trailing bytes', (text: string) => Buffer.concat([gzipSync(text), Buffer.from('\nGARBAGE')])],
    ['gzip inside gzip, then trailing bytes', (text: string) => Buffer.concat([gzipSync(gzipSync(text)), Buffer.from('\nGARBAGE')])],
    ['gzip inside gzip, trailing bytes inside', (text: string) => gzipSync(Buffer.concat([gzipSync(text), Buffer.from('\nGARBAGE')]))],
  ] as const) {
    it(`stores every CloudWatch Logs event (${variant}) and fails the batch naming the bytes that were not read`, async () => {
      const pipeline = createMemoryPipeline();

      const { batches, entries } = await pipeline.run({ 'firehose/2026/11/20/08/stream-1-2026-11-20-08-00-00-abc': encode(cloudWatch.content) });

      expect(batches[0]).to.deep.include({ status: 'FAILED', failureCode: 'CORRUPT_GZIP', format: 'cloudwatch/json', totalLines: cloudWatch.events + 1 });
      expect(batches[0].stats).to.deep.include({ entries: cloudWatch.events, blank: 1, unparsed: 0 });
      expect(entries[0].map((entry) => entry.body)).to.deep.equal(Array.from({ length: 7 }, (_, index) => `request ${index}`));
      expect(batches[0].reason).to.include('8 bytes after the last complete gzip member');
    });
  }

  for (const gzip of [false, true]) {
    it(`reads a file that is one JSON array of objects as one entry per object${gzip ? ' (gzip)' : ''}`, async () => {
      const array = JSON.stringify(Array.from({ length: 5 }, (_, index) => ({ time: new Date(minute + index).toISOString(), level: 'warn', msg: `item ${index}`, n: index })), null, 2);
      const pipeline = createMemoryPipeline();

      const { batches, entries } = await pipeline.run({ 'export.json': gzip ? gzipSync(array) : array });

      expect(batches[0]).to.deep.include({ status: 'COMPLETED', format: 'json', totalLines: 5 });
      expect(entries[0].map((entry) => [entry.lineNumber, entry.body, entry.attributes.n])).to.deep.equal(Array.from({ length: 5 }, (_, index) => [index + 1, `item ${index}`, index]));
      expect(entries[0][4].timestamp).to.equal(new Date(minute + 4).toISOString());
    });

    it(`reads an AWS Config snapshot as one entry per configuration item${gzip ? ' (gzip)' : ''}`, async () => {
      const item = (index: number, status: string) => ({
        configurationItemVersion: '1.3',
        configurationItemCaptureTime: new Date(minute + index * 60_000).toISOString(),
        configurationStateId: 1700000000000 + index,
        awsAccountId: '123456789012',
        configurationItemStatus: status,
        resourceType: 'AWS::S3::Bucket',
        resourceId: `bucket-${index}`,
        resourceName: `bucket-${index}`,
        ARN: `arn:aws:s3:::bucket-${index}`,
        awsRegion: 'eu-west-1',
        tags: { team: 'logs' },
      });
      const snapshot = JSON.stringify({ fileVersion: '1.0', configSnapshotId: 'a1b2', configurationItems: [item(0, 'OK'), item(1, 'ResourceDeleted'), item(2, 'OK')] });
      const pipeline = createMemoryPipeline();

      const { batches, entries } = await pipeline.run({ 'AWSLogs/123456789012/Config/eu-west-1/2026/11/20/ConfigSnapshot/snap.json': gzip ? gzipSync(snapshot) : snapshot });

      expect(batches[0]).to.deep.include({ status: 'COMPLETED', format: 'awsconfig', totalLines: 3 });
      expect(entries[0].map((entry) => entry.body)).to.deep.equal(['AWS::S3::Bucket bucket-0 OK', 'AWS::S3::Bucket bucket-1 ResourceDeleted', 'AWS::S3::Bucket bucket-2 OK']);
      expect(entries[0].map((entry) => entry.severityText)).to.deep.equal(['INFO', 'WARN', 'INFO']);
      expect(entries[0][2].timestamp).to.equal(new Date(minute + 120_000).toISOString());
      expect(entries[0][0].attributes).to.deep.include({
        'cloud.account.id': '123456789012',
        'cloud.region': 'eu-west-1',
        'cloud.resource_id': 'arn:aws:s3:::bucket-0',
        'aws.config.resource_type': 'AWS::S3::Bucket',
        'aws.config.configuration_state_id': 1700000000000,
      });
    });
  }

  it('resumes CloudWatch Logs data between events when the split hands over at every chunk', async () => {
    const pipeline = createMemoryPipeline({ settings: { maxChunkBytes: 1024 }, splitterContext: () => ({ getRemainingTimeInMillis: () => 0 }), handOverMarginMs: 1 });

    const { report, batches, entries } = await pipeline.run({ 'firehose/cw.gz': gzipSync(gzipSync(cloudWatch.content)) });

    expect(report.splitterInvocations).to.be.greaterThan(2);
    expect(batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 8 });
    expect(entries[0].map((entry) => entry.body)).to.deep.equal(Array.from({ length: 7 }, (_, index) => `request ${index}`));
  });
});
