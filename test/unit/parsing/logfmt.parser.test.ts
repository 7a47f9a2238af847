import { expect } from 'chai';
import { parseLogfmtLine } from '../../../src/domain/parsing/logfmt.parser.js';

const context = { observedAt: new Date('2024-01-01T00:00:00Z') };

describe('parseLogfmtLine', () => {
  it('maps time, level and msg and keeps the other pairs as string attributes', () => {
    const result = parseLogfmtLine('time=2024-02-03T04:05:06Z level=error msg="db down" retries=3 region= cached', context);

    expect(result).to.deep.equal({
      ok: true,
      record: {
        timestamp: '2024-02-03T04:05:06.000Z',
        severityText: 'ERROR',
        severityNumber: 17,
        body: 'db down',
        attributes: { retries: '3', region: '', cached: true },
      },
    });
  });

  it('takes a leading timestamp and level word as the entry\'s, not as attributes', () => {
    const line = '2024-05-01T10:00:00Z INFO user=bob action=login ip=203.0.113.9';
    const result = parseLogfmtLine(line, context);

    expect(result).to.deep.equal({
      ok: true,
      record: {
        timestamp: '2024-05-01T10:00:00.000Z',
        severityText: 'INFO',
        severityNumber: 9,
        body: line,
        attributes: { user: 'bob', action: 'login', ip: '203.0.113.9' },
      },
    });
  });

  it('takes Go\'s standard log prefix (yyyy/mm/dd hh:mm:ss) as the timestamp', () => {
    const line = '2024/05/01 10:00:00 component=api status=500 err=timeout';
    const result = parseLogfmtLine(line, context);

    expect(result).to.deep.equal({
      ok: true,
      record: {
        timestamp: '2024-05-01T10:00:00.000Z',
        body: line,
        attributes: { component: 'api', status: '500', err: 'timeout' },
      },
    });
  });

  for (const [line, timestamp, severityText] of [
    ['2024/05/01 10:00:00.123456 a=1 b=2', '2024-05-01T10:00:00.123Z', undefined],
    ['2024-05-01 10:00:00,250 WARN a=1 b=2 c=3', '2024-05-01T10:00:00.250Z', 'WARN'],
    ['2024-05-01T12:00:00.5+02:00 error a=1 b=2', '2024-05-01T10:00:00.500Z', 'ERROR'],
    ['2024-05-01 10:00:00Z [ERROR] a=1 b=2 c=3', '2024-05-01T10:00:00.000Z', 'ERROR'],
    ['2024-05-01 12:00:00 +0200 a=1 b=2 c=3', '2024-05-01T10:00:00.000Z', undefined],
    ['[WARN] 2024-05-01T10:00:00Z a=1 b=2', '2024-05-01T10:00:00.000Z', 'WARN'],
    ['DEBUG: a=1 b=2', undefined, 'DEBUG'],
    ['2024-05-01T10:00:00Z a=1', '2024-05-01T10:00:00.000Z', undefined],
  ] as const) {
    it(`reads the leading words of ${JSON.stringify(line)}`, () => {
      const result = parseLogfmtLine(line, context);

      expect(result.ok && result.format).to.equal(undefined);
      expect(result.ok && result.record.timestamp).to.equal(timestamp);
      expect(result.ok && result.record.severityText).to.equal(severityText);
      const pairKeys = ['a', 'b', 'c'].filter((key) => line.includes(`${key}=`));
      expect(result.ok && Object.keys(result.record.attributes)).to.deep.equal(pairKeys);
    });
  }

  it('lets time= and level= pairs win over a leading timestamp and level word', () => {
    const line = '2024-05-01T10:00:00Z INFO time=2024-05-01T09:59:59.5Z level=error msg="db down" a=1';
    const result = parseLogfmtLine(line, context);

    expect(result.ok && result.record).to.deep.equal({
      timestamp: '2024-05-01T09:59:59.500Z',
      severityText: 'ERROR',
      severityNumber: 17,
      body: 'db down',
      attributes: { a: '1' },
    });
  });

  it('uses a leading timestamp when the time= pair is not a time', () => {
    const result = parseLogfmtLine('2024-05-01T10:00:00Z time=soon level=warn a=1', context);

    expect(result.ok && result.record.timestamp).to.equal('2024-05-01T10:00:00.000Z');
    expect(result.ok && result.record.attributes).to.deep.equal({ time: 'soon', a: '1' });
  });

  for (const [line, attributes] of [
    ['dry_run user=bob', { dry_run: true, user: 'bob' }],
    ['dry_run INFO user=bob action=x', { dry_run: true, INFO: true, user: 'bob', action: 'x' }],
    ['user=bob a=1 INFO 2024-05-01T10:00:00Z', { user: 'bob', a: '1', INFO: true, '2024-05-01T10:00:00Z': true }],
    ['2024-05-01 a=1 b=2', { '2024-05-01': true, a: '1', b: '2' }],
    ['2024-02-30T10:00:00Z a=1 b=2', { '2024-02-30T10:00:00Z': true, a: '1', b: '2' }],
    ['Info a=1 b=2', { Info: true, a: '1', b: '2' }],
  ] as const) {
    it(`keeps the bare words of ${JSON.stringify(line)} that are not a leading timestamp or level as flags`, () => {
      const result = parseLogfmtLine(line, context);

      expect(result.ok && result.record.timestamp).to.equal(undefined);
      expect(result.ok && result.record.severityText).to.equal(undefined);
      expect(result.ok && result.record.attributes).to.deep.equal(attributes);
    });
  }

  it('unescapes quoted values', () => {
    const result = parseLogfmtLine('path="C:\\\\tmp" note="a \\"b\\"\\n"', context);

    expect(result.ok && result.record.attributes).to.deep.equal({ path: 'C:\\tmp', note: 'a "b"\n' });
  });

  it('hands a plain sentence to the text parser instead of reading words as keys', () => {
    const result = parseLogfmtLine('Server started on port 8080 in 12 ms', context);

    expect(result.ok && result.format).to.equal('text');
    expect(result.ok && result.record.attributes).to.deep.equal({});
  });

  it('still counts the leading words as words when telling prose from logfmt (the text parser then reads them)', () => {
    const result = parseLogfmtLine('2024-05-01 10:00:00 WARN a=1 b=2', context);

    expect(result.ok && result.format).to.equal('text');
    expect(result.ok && result.record).to.deep.include({ timestamp: '2024-05-01T10:00:00.000Z', severityText: 'WARN' });
  });

  it('hands prose with one stray pair to the text parser', () => {
    const result = parseLogfmtLine('2024-01-01 INFO user=bob logged in from the office', context);

    expect(result.ok && result.format).to.equal('text');
  });

  for (const [line, reason] of [
    ['a="unterminated', /unterminated quoted value/],
    ['a=b=c', /unexpected '='/],
    ['=value', /unexpected '='/],
    ['k"ey=v', /unexpected '"'/],
    ['a="\\u12"', /invalid quoted value/],
  ] as const) {
    it(`rejects ${JSON.stringify(line)} with a reason`, () => {
      const result = parseLogfmtLine(line, context);

      expect(!result.ok && result.error).to.match(reason);
    });
  }
});
