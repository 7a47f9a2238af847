import { expect } from 'chai';
import fc from 'fast-check';
import { LINE_PARSERS } from '../../../src/domain/parsing/formats.js';
import { isoFromClfTimestamp, isoFromEpoch, isoFromMillis, isoFromString, isoFromYearlessTimestamp } from '../../../src/domain/parsing/timestamp.js';

describe('timestamp', () => {
  describe('isoFromString', () => {
    it('normalises zones and fractions to UTC milliseconds', () => {
      expect(isoFromString('2024-01-02T03:04:05.678901-05:30')).to.equal('2024-01-02T08:34:05.678Z');
      expect(isoFromString('2024-01-02 03:04:05,5')).to.equal('2024-01-02T03:04:05.500Z');
      expect(isoFromString('0050-01-01T00:00:00Z')).to.equal('0050-01-01T00:00:00.000Z');
    });

    it('rejects dates that do not exist', () => {
      expect(isoFromString('2023-02-29T00:00:00Z')).to.equal(undefined);
      expect(isoFromString('2024-13-01T00:00:00Z')).to.equal(undefined);
    });
  });

  describe('isoFromClfTimestamp', () => {
    it('parses a CLF time with its offset and rejects a malformed one', () => {
      expect(isoFromClfTimestamp('10/Oct/2000:13:55:36 -0700')).to.equal('2000-10-10T20:55:36.000Z');
      expect(isoFromClfTimestamp('10/Foo/2000:13:55:36 -0700')).to.equal(undefined);
      expect(isoFromClfTimestamp('10/Oct/2000:13:55:36')).to.equal(undefined);
    });
  });

  describe('isoFromEpoch', () => {
    it('reads seconds, milliseconds, microseconds and nanoseconds by magnitude', () => {
      for (const value of [1_700_000_000, 1_700_000_000_000, 1_700_000_000_000_000, 1_700_000_000_000_000_000]) {
        expect(isoFromEpoch(value)).to.equal('2023-11-14T22:13:20.000Z');
      }
    });

    it('reads no time from a number below 10^8 (before 1973-03-03): a duration or a count, not a 1970 time', () => {
      for (const value of [0, 0.5, 12, 86_400, 99_999_999.9, -1_700_000_000]) expect(isoFromEpoch(value), String(value)).to.equal(undefined);
      expect(isoFromEpoch(100_000_000)).to.equal('1973-03-03T09:46:40.000Z');
    });

    it('gives no timestamp past the year 9999, which no store could sort or filter as text', () => {
      expect(isoFromEpoch(500_000_000_000_000_000_000)).to.equal(undefined);
      expect(isoFromMillis(253_402_300_799_999)).to.equal('9999-12-31T23:59:59.999Z');
      expect(isoFromMillis(253_402_300_800_000)).to.equal(undefined);
      expect(isoFromEpoch(99_999_999_999)).to.equal('5138-11-16T09:46:39.000Z');
      expect(isoFromString('+017814-05-16T00:53:20.000Z')).to.equal(undefined);
    });
  });

  describe('isoFromYearlessTimestamp', () => {
    it('is never later than observedAt plus the largest zone offset', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), fc.integer({ min: 0, max: 23 }),
          fc.date({ min: new Date('2001-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true }),
          (month, day, hour, observedAt) => {
            const iso = isoFromYearlessTimestamp(month, day, hour, 0, 0, 0, observedAt)!;
            const distance = observedAt.getTime() - Date.parse(iso);
            return distance >= -14 * 3600_000 && distance < 366 * 86_400_000;
          },
        ),
      );
    });
  });
});

describe('every line parser', () => {
  it('returns a result and never throws for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (line) => {
        for (const parse of Object.values(LINE_PARSERS)) {
          const result = parse(line, { observedAt: new Date('2024-01-01T00:00:00Z') });
          if (typeof result.ok !== 'boolean') return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
