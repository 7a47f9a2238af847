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

  it('unescapes quoted values', () => {
    const result = parseLogfmtLine('path="C:\\\\tmp" note="a \\"b\\"\\n"', context);

    expect(result.ok && result.record.attributes).to.deep.equal({ path: 'C:\\tmp', note: 'a "b"\n' });
  });

  it('hands a plain sentence to the text parser instead of reading words as keys', () => {
    const result = parseLogfmtLine('Server started on port 8080 in 12 ms', context);

    expect(result.ok && result.format).to.equal('text');
    expect(result.ok && result.record.attributes).to.deep.equal({});
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
