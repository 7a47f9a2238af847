import { expect } from 'chai';
import type { ParseResult } from '../../../src/domain/log-entry.js';
import { parseSyslogLine } from '../../../src/domain/parsing/syslog.parser.js';

function record(result: ParseResult) {
  if (!result.ok) expect.fail(`expected ok, got: ${result.error}`);
  return result.record;
}

describe('parseSyslogLine', () => {
  const observedAt = new Date('2024-03-10T08:00:00Z');

  describe('RFC 5424', () => {
    it('maps every header field, the structured data and the message', () => {
      const line = '<165>1 2024-03-10T07:59:58.123456+01:00 web-1 nginx 4242 ACCESS [req@32473 id="a1" path="/x"][geo cc="FR"] GET /x done';

      const parsed = record(parseSyslogLine(line, { observedAt }));

      expect(parsed.timestamp).to.equal('2024-03-10T06:59:58.123Z');
      expect(parsed.severityText).to.equal('notice');
      expect(parsed.severityNumber).to.equal(10);
      expect(parsed.body).to.equal('GET /x done');
      expect(parsed.attributes).to.deep.equal({
        'syslog.priority': 165,
        'syslog.facility': 20,
        'syslog.severity': 5,
        'syslog.version': 1,
        'host.name': 'web-1',
        'syslog.appname': 'nginx',
        'process.pid': 4242,
        'syslog.msgid': 'ACCESS',
        'syslog.structured_data': { 'req@32473': { id: 'a1', path: '/x' }, geo: { cc: 'FR' } },
      });
    });

    it('unescapes \\" \\\\ and \\] in structured-data values and keeps other backslashes', () => {
      const line = '<14>1 - - - - - [x q="say \\"hi\\" \\] \\\\ C:\\dir"]';

      const parsed = record(parseSyslogLine(line, { observedAt }));

      expect(parsed.attributes['syslog.structured_data']).to.deep.equal({ x: { q: 'say "hi" ] \\ C:\\dir' } });
    });

    it('keeps a non-numeric PROCID as syslog.procid and leaves nil fields out', () => {
      const parsed = record(parseSyslogLine('<13>1 - - app worker-3 - -', { observedAt }));

      expect(parsed.attributes['syslog.procid']).to.equal('worker-3');
      expect(parsed.attributes).to.not.have.any.keys('host.name', 'process.pid', 'syslog.msgid');
      expect(parsed.timestamp).to.equal(undefined);
      expect(parsed.body).to.equal('');
    });

    for (const [line, reason] of [
      ['<192>1 - - - - - -', /above 191/],
      ['<01>1 - - - - - -', /invalid syslog priority/],
      ['<13>1 2024-02-30T00:00:00Z - - - - -', /invalid RFC 5424 timestamp/],
      ['<13>1 2024-02-01T00:00:00z - - - - -', /invalid RFC 5424 timestamp/],
      ['<13>1 - - - - - [a x="1"][a y="2"]', /duplicate SD-ID "a"/],
      ['<13>1 - - - - - [a x="1]"]', /invalid value for "x"/],
      ['<13>1 - - - - - oops', /structured data must be/],
      [`<13>1 - - ${'a'.repeat(49)} - - -`, /app-name is longer than 48/],
    ] as const) {
      it(`rejects ${JSON.stringify(line.slice(0, 40))} with a reason`, () => {
        const result = parseSyslogLine(line, { observedAt });

        expect(result.ok).to.equal(false);
        expect(!result.ok && result.error).to.match(reason);
      });
    }
  });

  describe('RFC 3164', () => {
    it('reads priority, host, tag, pid and message', () => {
      const parsed = record(parseSyslogLine('<38>Mar  9 23:15:02 gw sshd[991]: Accepted publickey for ops', { observedAt }));

      expect(parsed.timestamp).to.equal('2024-03-09T23:15:02.000Z');
      expect(parsed.severityText).to.equal('info');
      expect(parsed.attributes).to.deep.equal({
        'syslog.priority': 38, 'syslog.facility': 4, 'syslog.severity': 6,
        'host.name': 'gw', 'syslog.appname': 'sshd', 'process.pid': 991,
      });
      expect(parsed.body).to.equal('Accepted publickey for ops');
    });

    it('gives a timestamp later in the year than observedAt the previous year, so it is not in the future', () => {
      const parsed = record(parseSyslogLine('<13>Dec 31 23:59:59 host app: bye', { observedAt }));

      expect(parsed.timestamp).to.equal('2023-12-31T23:59:59.000Z');
    });

    it('keeps the current year for a time a few hours ahead of observedAt (the sender may be east of UTC)', () => {
      const parsed = record(parseSyslogLine('<13>Mar 10 12:00:00 host app: local time', { observedAt }));

      expect(parsed.timestamp).to.equal('2024-03-10T12:00:00.000Z');
    });

    it('finds the nearest leap year for Feb 29', () => {
      const parsed = record(parseSyslogLine('<13>Feb 29 10:00:00 host app: leap', { observedAt: new Date('2027-01-05T00:00:00Z') }));

      expect(parsed.timestamp).to.equal('2024-02-29T10:00:00.000Z');
    });

    it('accepts a line without priority or host, as daemons write to files', () => {
      const parsed = record(parseSyslogLine('Mar  1 10:00:00 su: session opened', { observedAt }));

      expect(parsed.attributes).to.deep.equal({ 'syslog.appname': 'su' });
      expect(parsed.severityNumber).to.equal(undefined);
      expect(parsed.body).to.equal('session opened');
    });

    it('rejects a line that is neither syslog shape', () => {
      const result = parseSyslogLine('2024-03-10 08:00:00 INFO started', { observedAt });

      expect(!result.ok && result.error).to.match(/not syslog/);
    });
  });
});
