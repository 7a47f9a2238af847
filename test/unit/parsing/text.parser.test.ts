import { expect } from 'chai';
import { parseTextLine } from '../../../src/domain/parsing/text.parser.js';

const context = { observedAt: new Date('2024-06-01T00:00:00Z') };

describe('parseTextLine', () => {
  for (const [line, timestamp] of [
    ['2024-05-01 10:00:00,123 WARN pool exhausted', '2024-05-01T10:00:00.123Z'],
    ['[2024-05-01T10:00:00+02:00] error: x', '2024-05-01T08:00:00.000Z'],
    ['2024/05/01 10:00:00 [error] 12#12: upstream timed out', '2024-05-01T10:00:00.000Z'],
    ['[Wed May 01 10:00:00.250000 2024] [core:error] [pid 1] oops', '2024-05-01T10:00:00.250Z'],
    ['client hit [01/May/2024:10:00:00 +0000] info', '2024-05-01T10:00:00.000Z'],
    ['May  1 10:00:00 something happened', '2024-05-01T10:00:00.000Z'],
  ] as const) {
    it(`finds the time in ${JSON.stringify(line.slice(0, 30))}`, () => {
      const result = parseTextLine(line, context);

      expect(result.ok && result.record.timestamp).to.equal(timestamp);
    });
  }

  it('finds a level word and keeps the whole line as body', () => {
    const result = parseTextLine('something FATAL happened', context);

    expect(result.ok && result.record).to.deep.equal({
      timestamp: undefined, severityText: 'FATAL', severityNumber: 21, body: 'something FATAL happened', attributes: {},
    });
  });

  it('never fails, even on an empty or binary line', () => {
    expect(parseTextLine('', context).ok).to.equal(true);
    expect(parseTextLine('\u0000\uFFFD\u0001', context).ok).to.equal(true);
  });
});
