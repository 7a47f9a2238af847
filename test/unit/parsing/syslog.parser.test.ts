import { expect } from 'chai';
import type { ParseResult } from '../../../src/domain/log-entry.js';
import { detectFormat } from '../../../src/domain/parsing/formats.js';
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

    it('unescapes \\" \\\\ and \\] in structured-data values', () => {
      const line = '<14>1 - - - - - [x q="say \\"hi\\" \\] \\\\ C:\\\\dir"]';

      const parsed = record(parseSyslogLine(line, { observedAt }));

      expect(parsed.attributes['syslog.structured_data']).to.deep.equal({ x: { q: 'say "hi" ] \\ C:\\dir' } });
    });

    it('rejects a backslash before any other character, as go-syslog does', () => {
      const result = parseSyslogLine('<14>1 - - - - - [x q="C:\\dir"]', { observedAt });

      expect(!result.ok && result.error).to.match(/invalid value for "q"/);
    });

    it('keeps a non-numeric PROCID as syslog.procid and leaves nil fields out', () => {
      const parsed = record(parseSyslogLine('<13>1 - - app worker-3 - -', { observedAt }));

      expect(parsed.attributes['syslog.procid']).to.equal('worker-3');
      expect(parsed.attributes).to.not.have.any.keys('host.name', 'process.pid', 'syslog.msgid');
      expect(parsed.timestamp).to.equal(undefined);
      expect(parsed.body).to.equal('');
    });

    it('keeps every value of a repeated SD-PARAM, in order, as a list (RFC 5424 §6.3.3)', () => {
      const parsed = record(parseSyslogLine('<14>1 2024-05-01T10:00:00Z h a - - [origin ip="192.0.2.1" ip="192.0.2.2" software="x" ip="192.0.2.3"][geo cc="FR"] multi ip', { observedAt }));

      expect(parsed.attributes['syslog.structured_data']).to.deep.equal({
        origin: { ip: ['192.0.2.1', '192.0.2.2', '192.0.2.3'], software: 'x' },
        geo: { cc: 'FR' },
      });
      expect(parsed.body).to.equal('multi ip');
    });

    it('keeps a single parameter named like an Object method as a string', () => {
      const parsed = record(parseSyslogLine('<14>1 - - - - - [x constructor="1" toString="2"]', { observedAt }));

      expect(parsed.attributes['syslog.structured_data']).to.deep.equal({ x: { constructor: '1', toString: '2' } });
    });

    for (const [time, expected] of [
      ['2024-05-01T10:00:00.123456789Z', '2024-05-01T10:00:00.123Z'],
      ['2024-05-01T10:00:00.987654321+02:00', '2024-05-01T08:00:00.987Z'],
      ['2024-05-01T10:00:00.1234567Z', '2024-05-01T10:00:00.123Z'],
    ] as const) {
      it(`reads a time with more than 6 fraction digits (${time}), to the millisecond`, () => {
        const parsed = record(parseSyslogLine(`<13>1 ${time} host app - - - msg`, { observedAt }));

        expect(parsed.timestamp).to.equal(expected);
        expect(parsed.body).to.equal('msg');
      });
    }

    for (const [line, reason] of [
      ['<13>1 2024-05-01T10:00:00.1234567890Z - - - - -', /invalid RFC 5424 timestamp/],
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

    it('keeps a message with a valid PRI and no timestamp, as a relay does (RFC 3164 §4.3.3)', () => {
      const parsed = record(parseSyslogLine('<13>hello no timestamp', { observedAt }));

      expect(parsed.timestamp).to.equal(undefined);
      expect(parsed.severityText).to.equal('notice');
      expect(parsed.severityNumber).to.equal(10);
      expect(parsed.attributes).to.deep.equal({ 'syslog.priority': 13, 'syslog.facility': 1, 'syslog.severity': 5 });
      expect(parsed.body).to.equal('hello no timestamp');
    });

    for (const [line, body] of [
      ['<6>[    0.000000] Linux version 6.1.0', '[    0.000000] Linux version 6.1.0'],
      ['<187>25: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down', '25: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down'],
      ['<30>dhcpd: DHCPACK on 10.0.0.5', 'dhcpd: DHCPACK on 10.0.0.5'],
    ] as const) {
      it(`keeps everything after the PRI as the body of ${JSON.stringify(line.slice(0, 24))}`, () => {
        const parsed = record(parseSyslogLine(line, { observedAt }));

        expect(parsed.timestamp).to.equal(undefined);
        expect(parsed.body).to.equal(body);
      });
    }

    for (const line of ['<1> item', '<1>', '<01>hello', '<192>hello', '<1234>hello', '<13>Mar 99 10:00:00 host app: bad day']) {
      it(`still rejects ${JSON.stringify(line)}`, () => {
        expect(parseSyslogLine(line, { observedAt }).ok).to.equal(false);
      });
    }

    it('leaves a file of "<n> item" lines to text', () => {
      expect(detectFormat(['<1> first item', '<2> second item', '<3> third item']).format).to.equal('text');
    });

    it('rejects a line that is neither syslog shape', () => {
      const result = parseSyslogLine('2024-03-10 08:00:00 INFO started', { observedAt });

      expect(!result.ok && result.error).to.match(/not syslog/);
    });
  });

  describe('RFC 5424 as senders bend it', () => {
    it('reads structured data with spaces around "=", between parameters and before "]"', () => {
      const line = '<165>1 2024-03-10T07:00:00Z web-1 app - ID7 [req@1 id = "a1"  path= "/x" ][geo cc ="FR"] done';

      const parsed = record(parseSyslogLine(line, { observedAt }));

      expect(parsed.attributes['syslog.structured_data']).to.deep.equal({ 'req@1': { id: 'a1', path: '/x' }, geo: { cc: 'FR' } });
      expect(parsed.body).to.equal('done');
    });

    it('reads an unquoted parameter value up to a space or "]"', () => {
      const parsed = record(parseSyslogLine('<14>1 2024-03-10T07:00:00Z h app - - [meta seq=42 zone=eu] ok', { observedAt }));

      expect(parsed.attributes['syslog.structured_data']).to.deep.equal({ meta: { seq: '42', zone: 'eu' } });
    });

    it('reads an empty STRUCTURED-DATA field (two spaces after MSGID) as nil and drops the spaces before the message', () => {
      const parsed = record(parseSyslogLine('<30>1 2024-03-10T07:00:00Z dns named 77 -  query: a.example IN A', { observedAt }));

      expect(parsed.attributes).to.not.have.key('syslog.structured_data');
      expect(parsed.attributes['syslog.msgid']).to.equal(undefined);
      expect(parsed.body).to.equal('query: a.example IN A');
    });

    it('skips an RFC 6587 octet count and leading whitespace', () => {
      const parsed = record(parseSyslogLine('  52 <14>1 2024-03-10T07:00:00Z h app 12 - - framed', { observedAt }));

      expect(parsed.attributes).to.include({ 'host.name': 'h', 'process.pid': 12 });
      expect(parsed.body).to.equal('framed');
    });

    for (const [line, reason] of [
      ['<13>1 - - - - - [a x="1"" ]', /expected a space or "\]"/],
      ['<13>1 - - - - - [a x]', /expected ="value"/],
      ['<13>1 - - - - - [a x=]', /invalid value for "x"/],
      ['<13>1 - - - - - [ ]', /empty SD-ID/],
    ] as const) {
      it(`still rejects ${JSON.stringify(line)}`, () => {
        const result = parseSyslogLine(line, { observedAt });

        expect(!result.ok && result.error).to.match(reason);
      });
    }
  });

  describe('BSD headers as files hold them', () => {
    it('reads an RFC 3339 time in place of Mmm dd (rsyslog\'s file format), without <PRI>', () => {
      const parsed = record(parseSyslogLine('2024-05-01T10:00:00.123456+02:00 web-1 nginx[123]: upstream slow', { observedAt }));

      expect(parsed.timestamp).to.equal('2024-05-01T08:00:00.123Z');
      expect(parsed.attributes).to.deep.equal({ 'host.name': 'web-1', 'syslog.appname': 'nginx', 'process.pid': 123 });
      expect(parsed.body).to.equal('upstream slow');
    });

    it('reads an RFC 3339 time after <PRI> (rsyslog\'s forwarding format)', () => {
      const parsed = record(parseSyslogLine('<30>2024-05-01T10:00:00Z web-1 cron: tick', { observedAt }));

      expect(parsed.timestamp).to.equal('2024-05-01T10:00:00.000Z');
      expect(parsed.attributes).to.include({ 'syslog.priority': 30, 'host.name': 'web-1', 'syslog.appname': 'cron' });
    });

    for (const line of ['2024-05-01T10:00:00Z INFO [worker-6] started', '2024-05-01T10:00:00Z WARN main: slow', '2024-05-01T10:00:00Z web-1 started']) {
      it(`leaves an application's own ${JSON.stringify(line.slice(21, 30))} line to text (no <PRI>, no host and tag)`, () => {
        expect(parseSyslogLine(line, { observedAt }).ok).to.equal(false);
      });
    }

    for (const [line, label] of [
      ['Mar  4 10:00:00 gw app: padded', 'space-padded'],
      ['Mar 4 10:00:00 gw app: padded', 'unpadded'],
      ['Mar 04 10:00:00 gw app: padded', 'zero-padded'],
      ['<13>Mar 4 10:00:00 gw app: padded', 'unpadded after <PRI>'],
    ] as const) {
      it(`reads a ${label} single-digit day`, () => {
        const parsed = record(parseSyslogLine(line, { observedAt }));

        expect(parsed.timestamp).to.equal('2024-03-04T10:00:00.000Z');
        expect(parsed.attributes).to.include({ 'host.name': 'gw', 'syslog.appname': 'app' });
      });
    }

    it('reads syslogd\'s "--- last message repeated ---" line, which has no host', () => {
      const parsed = record(parseSyslogLine('Mar  1 10:00:00 --- last message repeated 3 times ---', { observedAt }));

      expect(parsed.attributes).to.deep.equal({});
      expect(parsed.body).to.equal('--- last message repeated 3 times ---');
    });

    it('reads the macOS level after the tag as the severity', () => {
      const parsed = record(parseSyslogLine('Mar  1 10:00:00 mbp kernel[0] <Warning>: low battery', { observedAt }));

      expect(parsed.attributes).to.include({ 'host.name': 'mbp', 'syslog.appname': 'kernel', 'process.pid': 0, 'syslog.severity': 4 });
      expect(parsed.severityText).to.equal('warning');
      expect(parsed.body).to.equal('low battery');
    });

    it('reads Cisco\'s message counter, clock marker, year, zone and colon after the time', () => {
      const counted = record(parseSyslogLine('<189>77: *Mar  1 18:48:50.483 UTC: %SYS-5-CONFIG_I: Configured', { observedAt }));
      const withYear = record(parseSyslogLine('<164>May 21 2008 10:50:11: %FWSM-4-106023: Deny udp', { observedAt }));

      expect(counted.timestamp).to.equal('2024-03-01T18:48:50.483Z');
      expect(counted.attributes['syslog.appname']).to.equal('%SYS-5-CONFIG_I');
      expect(withYear.timestamp).to.equal('2008-05-21T10:50:11.000Z');
      expect(withYear.body).to.equal('Deny udp');
    });

    it('takes structured data at the start of the message, as rsyslog writes its own', () => {
      const line = '<46>Mar  5 15:33:03 gw rsyslogd:  [origin software="rsyslogd" swVersion="8.32.0"] start';

      const parsed = record(parseSyslogLine(line, { observedAt }));

      expect(parsed.attributes['syslog.structured_data']).to.deep.equal({ origin: { software: 'rsyslogd', swVersion: '8.32.0' } });
      expect(parsed.body).to.equal('start');
    });

    it('keeps every value of a repeated parameter in the structured data at the start of the message', () => {
      const parsed = record(parseSyslogLine('<46>Mar  5 15:33:03 gw rsyslogd: [origin ip="192.0.2.1" ip="192.0.2.2"] start', { observedAt }));

      expect(parsed.attributes['syslog.structured_data']).to.deep.equal({ origin: { ip: ['192.0.2.1', '192.0.2.2'] } });
    });

    it('leaves brackets that are not structured data in the message (kernel time, Solaris ids)', () => {
      const kernel = record(parseSyslogLine('Mar  5 15:33:03 gw kernel: [12.500] eth0 up', { observedAt }));
      const solaris = record(parseSyslogLine('Mar  5 15:33:03 gw nurse[7]: [ID 702911 user.error] full', { observedAt }));

      expect(kernel.body).to.equal('[12.500] eth0 up');
      expect(solaris.body).to.equal('[ID 702911 user.error] full');
      expect(kernel.attributes).to.not.have.key('syslog.structured_data');
    });

    it('leaves out a "-" host', () => {
      expect(record(parseSyslogLine('<13>Dec  2 16:31:03 -', { observedAt })).attributes).to.not.have.key('host.name');
    });
  });

  describe('the year of a year-less time', () => {
    const objectModifiedAt = '2025-01-02T03:00:00Z';

    it('puts a December line of an object modified in January in the year before, however late it is read', () => {
      const context = { observedAt: new Date('2026-07-01T00:00:00Z'), formatContext: { objectModifiedAt } };

      const december = record(parseSyslogLine('Dec 31 23:59:58 gw app: last', context));
      const january = record(parseSyslogLine('Jan  2 02:00:00 gw app: first', context));

      expect(december.timestamp).to.equal('2024-12-31T23:59:58.000Z');
      expect(january.timestamp).to.equal('2025-01-02T02:00:00.000Z');
    });

    it('falls back to observedAt when the object\'s last-modified time is not known', () => {
      const parsed = record(parseSyslogLine('Dec 31 23:59:58 gw app: last', { observedAt: new Date('2025-07-01T00:00:00Z') }));

      expect(parsed.timestamp).to.equal('2024-12-31T23:59:58.000Z');
    });
  });

  describe('detection of files without <PRI>', () => {
    for (const [label, lines] of [
      ['rsyslog\'s file format (RFC 3339 times)', [
        '2024-05-01T10:00:00.123456+02:00 web-1 systemd[1]: Started Session 4.',
        '2024-05-01T10:00:01.000001+02:00 web-1 kernel: [12.5] eth0: link up',
        '2024-05-01T10:00:02.5+02:00 web-1 CRON[99]: (root) CMD (run-parts /etc/cron.hourly)',
      ]],
      ['/var/log/syslog (BSD times, unpadded days, a repeated-message line)', [
        'Apr  4 10:00:00 gw sshd[1]: Accepted publickey',
        'Apr 4 10:00:01 gw sshd[1]: session opened',
        'Apr  4 10:00:05 --- last message repeated 3 times ---',
      ]],
    ] as const) {
      it(`detects ${label} as syslog`, () => {
        expect(detectFormat(lines).format).to.equal('syslog');
      });
    }

    it('leaves an application\'s "time LEVEL [thread] message" lines to text', () => {
      expect(detectFormat(['2026-11-20T08:00:00.013Z INFO [worker-6] started', '2026-11-20T08:00:01.013Z WARN [worker-2] slow']).format).to.equal('text');
    });
  });
});
