import { expect } from 'chai';
import type { ChunkMessage } from '../../../src/domain/chunk.js';
import { buildEntries } from '../../../src/domain/entry-builder.js';
import { DEFAULT_REDACTION, Redactor } from '../../../src/domain/redaction/redactor.js';

const observedAt = new Date('2026-11-26T10:00:00.000Z');

const chunkMessage = (overrides: Partial<ChunkMessage>): ChunkMessage => ({
  v: 2,
  batchId: 'b1',
  chunk: 3,
  firstLine: 41,
  source: { bucket: 'ingest', key: 'app.log', etag: 'e1' },
  format: 'text',
  lines: [],
  ...overrides,
});

describe('buildEntries', () => {
  describe('stats of a chunk with multi-line events', () => {
    it('counts every physical line: event starts, blank lines and continuation lines (text with stack traces)', () => {
      const message = chunkMessage({
        lines: [
          'ERROR boom\n  at a.b(A.java:1)\n  at c.d(B.java:2)',
          null,
          null,
          '',
          'INFO next request',
          '   ',
          'WARN retrying\n  at e.f(C.java:3)',
          null,
          'cut short',
          '',
        ],
        truncated: { 8: 999 },
      });

      const { entries, stats } = buildEntries(message, observedAt);

      expect(stats).to.deep.equal({ lines: 10, entries: 4, unparsed: 0, blank: 3, continuation: 3, truncated: 1, filtered: 0, redacted: 0 });
      expect(stats.lines, 'entries + blank + continuation').to.equal(stats.entries + stats.blank + stats.continuation);
      expect(entries.map((entry) => [entry.lineNumber, entry.lineCount])).to.deep.equal([
        [41, 3],
        [45, undefined],
        [47, 2],
        [49, undefined],
      ]);
    });

    it('counts unparsed multi-line events once each, their continuation lines as continuation', () => {
      // Whatever the format, `null` stands for a line joined into the event before it.
      const message = chunkMessage({
        format: 'json',
        lines: ['{"msg":"a"}', '{"msg": "spans\n  two lines"', null, '', 'not json', '{"msg":"b"}', 'cut {', null, null],
        truncated: { 6: 2_000 },
      });

      const { entries, stats } = buildEntries(message, observedAt);

      expect(stats).to.deep.equal({ lines: 9, entries: 5, unparsed: 3, blank: 1, continuation: 3, truncated: 1, filtered: 0, redacted: 0 });
      expect(entries.filter((entry) => entry.parseError !== undefined).map((entry) => entry.lineNumber)).to.deep.equal([42, 45, 47]);
      expect(entries.find((entry) => entry.lineNumber === 47)).to.deep.include({ lineCount: 3, truncated: true, originalLength: 2_000 });
    });

    it('counts the continuation lines of an event that ends the chunk', () => {
      const message = chunkMessage({ lines: ['', 'ERROR last\n  at g.h(D.java:4)', null] });

      const { entries, stats } = buildEntries(message, observedAt);

      expect(stats).to.deep.equal({ lines: 3, entries: 1, unparsed: 0, blank: 1, continuation: 1, truncated: 0, filtered: 0, redacted: 0 });
      expect(entries[0]).to.deep.include({ lineNumber: 42, lineCount: 2 });
    });
  });

  describe('raw text', () => {
    const lines = [
      '{"level":"error","msg":"boom","user":"bob"}',
      '{"level":"error",\n "msg":"spans two lines"}',
      null,
      'not json at all',
      '{"level":"info","msg":"cut',
      'a line that is its own body',
    ];

    it('keeps the event text of a parsed entry whose body differs from it, a multi-line event joined with \\n', () => {
      const json = buildEntries(chunkMessage({ format: 'json', lines: lines.slice(0, 1) }), observedAt).entries;
      const multiLine = buildEntries(chunkMessage({ format: 'json', lines: lines.slice(1, 3) }), observedAt).entries;
      const syslog = buildEntries(chunkMessage({ format: 'syslog', lines: ['<38>Nov 26 09:00:00 web-1 app[991]: started'] }), observedAt).entries;

      expect(json[0]).to.deep.include({ body: 'boom', raw: lines[0] });
      expect(multiLine[0]).to.deep.include({ body: 'spans two lines', lineCount: 2, raw: '{"level":"error",\n "msg":"spans two lines"}' });
      expect(syslog[0]).to.deep.include({ body: 'started', raw: '<38>Nov 26 09:00:00 web-1 app[991]: started' });
    });

    it('leaves raw out for an unparsed line, a truncated event, a body that is the line, and when not kept', () => {
      const json = buildEntries(chunkMessage({ format: 'json', lines: lines.slice(3, 5), truncated: { 1: 200_000 } }), observedAt).entries;
      const plain = buildEntries(chunkMessage({ format: 'text', lines: lines.slice(5) }), observedAt).entries;
      const truncatedSyslog = buildEntries(chunkMessage({ format: 'syslog', lines: ['<38>Nov 26 09:00:00 web-1 app[991]: cut'], truncated: { 0: 200_000 } }), observedAt).entries;
      const notKept = buildEntries(chunkMessage({ format: 'json', lines: lines.slice(0, 1) }), observedAt, { keepRaw: false }).entries;

      expect(json.map((entry) => [entry.parseError !== undefined, entry.raw])).to.deep.equal([
        [true, undefined],
        [true, undefined],
      ]);
      expect(plain[0]).to.deep.include({ body: lines[5], raw: undefined });
      expect(truncatedSyslog[0]).to.deep.include({ body: 'cut', truncated: true, raw: undefined });
      expect(notKept[0].raw).to.equal(undefined);
    });
  });
  describe('redaction', () => {
    const redactor = Redactor.compile(DEFAULT_REDACTION)!;
    const secret = 'Zq9vLm2pXr7tWy4sKd8f';

    it('redacts every entry of a chunk whose header declares a secret-named field, though its lines hold no trigger word', () => {
      const cloudFrontFields = ['date', 'time', 'x-edge-location', 'sc-bytes', 'c-ip', 'cs-method', 'cs(Host)', 'cs-uri-stem', 'sc-status', 'cs(Referer)', 'cs(User-Agent)', 'cs-uri-query', 'cs(Authorization)', 'x-api-key'];
      const cloudFront = chunkMessage({
        format: 'cloudfront',
        formatContext: { fields: cloudFrontFields },
        lines: [`2024-05-01\t10:00:00\tLAX1\t392\t192.0.2.1\tGET\td1.cloudfront.net\t/a\t200\t-\tcurl\t-\tBasic%2520Ym9iOlpxOXZMbTJwWHI3dFd5NHNLZDhm\t${secret}`],
      });
      const vpcFlow = chunkMessage({
        format: 'vpcflow',
        formatContext: { fields: ['version', 'srcaddr', 'dstaddr', 'x-auth-token', 'start', 'end', 'action'] },
        lines: [`2 10.0.0.1 10.0.0.2 ${secret} 1714557600 1714557660 ACCEPT`],
      });

      const fromCloudFront = buildEntries(cloudFront, observedAt, { redactor });
      const fromVpcFlow = buildEntries(vpcFlow, observedAt, { redactor });

      expect(fromCloudFront.stats.redacted).to.equal(1);
      expect(fromVpcFlow.stats.redacted).to.equal(1);
      expect(fromCloudFront.entries[0].attributes).to.deep.include({ 'aws.cloudfront.cs_Authorization': '[REDACTED:secret-field]', 'aws.cloudfront.x_api_key': '[REDACTED:secret-field]' });
      expect(fromVpcFlow.entries[0].attributes).to.deep.include({ 'aws.vpc.flow.x_auth_token': '[REDACTED:secret-field]' });
      expect(JSON.stringify([fromCloudFront.entries, fromVpcFlow.entries])).to.not.match(/Zq9v|Ym9iOlpx/);
    });

    it('keeps the event gate for a chunk whose declared fields name no secret', () => {
      const vpcFlow = chunkMessage({
        format: 'vpcflow',
        formatContext: { fields: ['version', 'srcaddr', 'dstaddr', 'start', 'end', 'action'] },
        lines: ['2 10.0.0.1 10.0.0.2 1714557600 1714557660 ACCEPT'],
      });

      const { entries, stats } = buildEntries(vpcFlow, observedAt, { redactor });

      expect(stats.redacted).to.equal(0);
      expect(entries[0].redactions).to.equal(undefined);
      expect(redactor.declaresSecretFields(['version', 'srcaddr', 'next-token-count'])).to.equal(true);
      expect(redactor.declaresSecretFields(['version', 'srcaddr', 'cs(Cookie)'])).to.equal(false);
    });
  });
});
