import { expect } from 'chai';
import fc from 'fast-check';
import { parseCloudTrailLine, snakeCase } from '../../../src/domain/parsing/cloudtrail.parser.js';

/** The conversion as it was written first, with regular expressions: the reference on keys of normal length. */
function regexSnakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

const elapsedMs = (work: () => unknown): number => {
  const started = performance.now();
  work();
  return performance.now() - started;
};

describe('snakeCase', () => {
  const keys: ReadonlyArray<readonly [key: string, expected: string]> = [
    ['eventVersion', 'event_version'],
    ['sourceIPAddress', 'source_ip_address'],
    ['requestID', 'request_id'],
    ['sharedEventID', 'shared_event_id'],
    ['vpcEndpointId', 'vpc_endpoint_id'],
    ['TLSVersion', 'tls_version'],
    ['tlsDetails', 'tls_details'],
    ['additionalEventData', 'additional_event_data'],
    ['S3Bucket', 's3_bucket'],
    ['x2Y', 'x2_y'],
    ['ARNs', 'ar_ns'],
    ['ABC', 'abc'],
    ['A', 'a'],
    ['already_snake', 'already_snake'],
    ['', ''],
  ];

  for (const [key, expected] of keys) {
    it(`converts "${key}" to "${expected}"`, () => {
      expect(snakeCase(key)).to.equal(expected);
    });
  }

  it('gives what the regular-expression conversion gives, on any key of normal length', () => {
    const character = fc.constantFrom('A', 'B', 'Z', 'a', 'b', 'z', '0', '9', '_', '-', '.', ' ', 'É', 'é', 'ß', 'İ', '😀');
    const key = fc.array(character, { maxLength: 40 }).map((characters) => characters.join(''));

    fc.assert(
      fc.property(key, (candidate) => {
        expect(snakeCase(candidate), JSON.stringify(candidate)).to.equal(regexSnakeCase(candidate));
      }),
      { numRuns: 2_000 },
    );
  });

  it('converts keys of 256k characters in well under a second, whatever their shape (linear; the regex took minutes)', () => {
    const length = 256 * 1024;
    const shapes = {
      capitals: 'A'.repeat(length),
      capitalsThenWord: `${'A'.repeat(length - 1)}b`,
      alternating: 'aB'.repeat(length / 2),
      digitsAndCapitals: 'A1'.repeat(length / 2),
    };

    const timings = Object.fromEntries(Object.entries(shapes).map(([shape, key]) => [shape, elapsedMs(() => snakeCase(key))]));
    const converted = snakeCase(shapes.capitalsThenWord);

    for (const [shape, ms] of Object.entries(timings)) expect(ms, `${shape}: ${ms.toFixed(0)} ms`).to.be.below(1_000);
    expect(converted).to.equal(`${'a'.repeat(length - 2)}_ab`);
  });
});

describe('parseCloudTrailLine', () => {
  describe('keys', () => {
    it('parses a record with a 64k-character key of capitals in well under a second', () => {
      const longKey = 'K'.repeat(64 * 1024);
      const line = JSON.stringify({ eventVersion: '1.09', eventTime: '2024-05-01T10:00:00Z', eventName: 'PutObject', [longKey]: 'v' });

      let result: ReturnType<typeof parseCloudTrailLine> | undefined;
      const ms = elapsedMs(() => {
        result = parseCloudTrailLine(line, { observedAt: new Date('2024-06-01T00:00:00Z') });
      });

      expect(ms, `${ms.toFixed(0)} ms`).to.be.below(1_000);
      expect(result?.ok && result.record.attributes[`aws.cloudtrail.${'k'.repeat(64 * 1024)}`]).to.equal('v');
    });
  });
});
