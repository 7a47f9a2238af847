import { expect } from 'chai';
import { parseCombinedLine } from '../../../src/domain/parsing/combined.parser.js';
import { severityFromHttpStatus } from '../../../src/domain/parsing/severity-mapping.js';

describe('severityFromHttpStatus', () => {
  // Each class boundary from both sides: a `>=` turned into `>` (or 499/500 swapped) moves one row.
  const boundaries: ReadonlyArray<readonly [status: number | undefined, severityText: string, severityNumber: number]> = [
    [undefined, 'INFO', 9],
    [100, 'INFO', 9],
    [199, 'INFO', 9],
    [200, 'INFO', 9],
    [304, 'INFO', 9],
    [399, 'INFO', 9],
    [400, 'WARN', 13],
    [401, 'WARN', 13],
    [499, 'WARN', 13],
    [500, 'ERROR', 17],
    [501, 'ERROR', 17],
    [599, 'ERROR', 17],
  ];

  for (const [status, severityText, severityNumber] of boundaries) {
    it(`maps status ${status ?? 'none'} to ${severityText} (${severityNumber})`, () => {
      const severity = severityFromHttpStatus(status);

      expect(severity).to.deep.equal({ severityText, severityNumber });
    });
  }

  it('gives an access-log line with status 400 WARN and one with 399 INFO', () => {
    const line = (status: number) => `10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "GET /a HTTP/1.1" ${status} 0 "-" "curl/8"`;
    const context = { observedAt: new Date('2024-01-01T00:00:00Z') };

    const badRequest = parseCombinedLine(line(400), context);
    const lastRedirect = parseCombinedLine(line(399), context);

    expect(badRequest.ok && badRequest.record.severityText).to.equal('WARN');
    expect(lastRedirect.ok && lastRedirect.record.severityText).to.equal('INFO');
  });
});
