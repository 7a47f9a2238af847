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

  for (const [line, timestamp] of [
    ['2024-05-01 10:00:00.123 +02:00 [INF] Starting web host', '2024-05-01T08:00:00.123Z'],
    ['2024-05-01 10:00:00.123456789 +0200 CEST m=+0.000', '2024-05-01T08:00:00.123Z'],
    ['2024-05-01 10:00:00.123 -03 [123] LOG:  checkpoint starting', '2024-05-01T13:00:00.123Z'],
    ['2024-05-01T10:00:00.123-05', '2024-05-01T15:00:00.123Z'],
    ['2024-05-01T10:00:00.123+0530 ready', '2024-05-01T04:30:00.123Z'],
    ['2024-05-01 10:00:00 Z ready', '2024-05-01T10:00:00.000Z'],
  ] as const) {
    it(`applies the zone offset of ${JSON.stringify(line)}`, () => {
      const result = parseTextLine(line, context);

      expect(result.ok && result.record.timestamp).to.equal(timestamp);
    });
  }

  for (const line of [
    '2024-05-01 10:00:00 1234 worker started',
    '2024-05-01 10:00:00 +1 retries',
    '2024-05-01 10:00:00 +12.5 points',
    '2024-05-01 10:00:00 +10% load',
    '2024-05-01 10:00:00 +1299 items',
    '2024-05-01 10:00:00 -05items',
    '2024-05-01 10:00:00 Zookeeper started',
  ]) {
    it(`does not read the number after the time in ${JSON.stringify(line)} as a zone`, () => {
      const result = parseTextLine(line, context);

      expect(result.ok && result.record.timestamp).to.equal('2024-05-01T10:00:00.000Z');
    });
  }

  it('keeps a zone abbreviation after the offset in the body', () => {
    const line = '2024-05-01 10:00:00.123456789 +0200 CEST m=+0.000';

    const result = parseTextLine(line, context);

    expect(result.ok && result.record.body).to.equal(line);
  });

  for (const [line, severityText] of [
    // Serilog: {Level:u3} / {Level:w3} in the file and console templates, {Level} in full
    ['2024-05-01 10:00:00.123 +02:00 [INF] Starting web host', 'INFO'],
    ['2024-05-01 10:00:00.123 +02:00 [WRN] Slow request', 'WARN'],
    ['2024-05-01 10:00:00.123 +02:00 [FTL] Host terminated', 'FATAL'],
    ['2024-05-01 10:00:00.123 +02:00 [DBG] Cache miss', 'DEBUG'],
    ['2024-05-01 10:00:00.123 +02:00 [VRB] Entering loop', 'TRACE'],
    ['2024-05-01 10:00:00.123 +02:00 [ERR] Request failed', 'ERROR'],
    ['[10:00:00 WRN] Slow request', 'WARN'],
    ['[10:00:00 inf] Starting web host', 'INFO'],
    ['2024-05-01 10:00:00.123 +02:00 Information Starting web host', 'INFO'],
    // .NET console logger
    ['fail: Microsoft.AspNetCore.Server.Kestrel[13]', 'ERROR'],
    ['dbug: Microsoft.Extensions.Hosting.Internal.Host[1]', 'DEBUG'],
    ['crit: Microsoft.AspNetCore.Hosting.Diagnostics[6]', 'FATAL'],
    ['trce: Microsoft.EntityFrameworkCore.Query[10111]', 'TRACE'],
    ['warn: Microsoft.AspNetCore.DataProtection.Repositories.FileSystemXmlRepository[60]', 'WARN'],
    ['info: Microsoft.Hosting.Lifetime[14]', 'INFO'],
    ['2024-05-01 10:00:00 fail: Microsoft.AspNetCore.Server.Kestrel[13]', 'ERROR'],
    // MySQL 8 error log
    ['2024-05-01T10:00:00.123456Z 0 [Warning] [MY-010068] [Server] CA certificate is self signed.', 'WARN'],
    ['2024-05-01T10:00:00.123456Z 0 [Note] [MY-010051] [Server] Event Scheduler: scheduler thread started', 'INFO'],
    ['2024-05-01T10:00:00.123456Z 0 [System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.0.36) starting as process 1', 'INFO'],
    ['2024-05-01T10:00:00.123456Z 0 [ERROR] [MY-010119] [Server] Aborting', 'ERROR'],
    // Capitalised words in a level position
    ['Warning: disk almost full', 'WARN'],
    ['Error: connect ECONNREFUSED 127.0.0.1:5432', 'ERROR'],
    ['[01-May-2024 10:00:00 UTC] PHP Warning:  Undefined variable $x in /var/www/x.php on line 3', 'WARN'],
    ['2024-05-01 10:00:00.1234|Warn|App.Worker|disk almost full', 'WARN'],
    ['2024-05-01 10:00:00, Info                  CBS    Starting TrustedInstaller initialization.', 'INFO'],
    ['[Info  - 10:27:37 AM] Starting server', 'INFO'],
    ['2024-05-01 10:00:00 Info Starting', 'INFO'],
    ['Error handling improved in v2', 'ERROR'],
    // the earliest level word wins
    ['2024-05-01T10:00:00.123456Z 0 [Note] [MY-013172] [Server] Received SHUTDOWN; error count 0', 'INFO'],
  ] as const) {
    it(`reads ${severityText} from ${JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}...` : line)}`, () => {
      const result = parseTextLine(line, context);

      expect(result.ok && result.record.severityText).to.equal(severityText);
    });
  }

  for (const line of [
    'see the Note below for details',
    '2024-05-01 10:00:00 worker read the Note attached to ticket 12',
    'user opened the Error console',
    'System rebooted by operator',
    'value was INF after overflow',
    'Notes: the fail count',
  ]) {
    it(`finds no level word in ${JSON.stringify(line)}`, () => {
      const result = parseTextLine(line, context);

      expect(result.ok && result.record.severityText).to.equal(undefined);
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

describe('parseTextLine (klog and glog headers)', () => {
  for (const [line, severityText, severityNumber] of [
    ['I0501 10:00:00.123456    1234 main.go:42] Starting server', 'INFO', 9],
    ['W0501 10:00:00.123456    1234 main.go:42] slow', 'WARN', 13],
    ['E0501 10:00:00.123456    1234 main.go:42] failed to connect', 'ERROR', 17],
    ['F0501 10:00:00.123456    1234 main.go:42] cannot continue', 'FATAL', 21],
  ] as const) {
    it(`reads ${severityText} from the letter of ${JSON.stringify(line.slice(0, 6))}`, () => {
      const result = parseTextLine(line, context);

      expect(result.ok && result.record).to.deep.include({ severityText, severityNumber });
    });
  }

  it('takes the time, thread id, file and line, and the message after "] " as body', () => {
    const result = parseTextLine('E0501 10:00:01.000000    1234 main.go:50] failed to connect', context);

    expect(result.ok && result.record).to.deep.equal({
      timestamp: '2024-05-01T10:00:01.000Z',
      severityText: 'ERROR',
      severityNumber: 17,
      body: 'failed to connect',
      attributes: { 'thread.id': 1234, 'code.file.path': 'main.go', 'code.line.number': 50 },
    });
  });

  it('places the year-less time as syslog does: before the object was last modified', () => {
    const modifiedInJanuary = { observedAt: new Date('2025-06-01T00:00:00Z'), formatContext: { objectModifiedAt: '2025-01-02T00:00:00Z' } };

    const december = parseTextLine('I1231 23:59:59.5 7 x.go:1] late', modifiedInJanuary);
    const january = parseTextLine('I0101 00:00:01.000001 7 x.go:1] early', modifiedInJanuary);

    expect(december.ok && december.record.timestamp).to.equal('2024-12-31T23:59:59.500Z');
    expect(january.ok && january.record.timestamp).to.equal('2025-01-01T00:00:01.000Z');
  });

  it('reads the year glog writes in newer versions', () => {
    const result = parseTextLine('W20230815 08:30:00.000100 42 server.cc:7] retrying', context);

    expect(result.ok && result.record).to.deep.include({ timestamp: '2023-08-15T08:30:00.000Z', severityText: 'WARN', body: 'retrying' });
  });

  it('keeps the lines of a multi-line event in the body, after the message', () => {
    const result = parseTextLine('E0501 10:00:01.000000 1 panic.go:1] panic: boom\ngoroutine 1 [running]:\n\tmain.main()', context);

    expect(result.ok && result.record.body).to.equal('panic: boom\ngoroutine 1 [running]:\n\tmain.main()');
  });

  for (const line of [
    'INFO started',
    'Error: disk full',
    'E1 ready at 10:00:00',
    'I0501 started the pool',
    'I1301 10:00:00.000000 1 x.go:1] no such month',
    'W0501 10:00:00.000000 1 x.go] no line number',
  ]) {
    it(`reads ${JSON.stringify(line)} as an ordinary text line`, () => {
      const result = parseTextLine(line, context);

      expect(result.ok && result.record.body).to.equal(line);
      expect(result.ok && result.record.attributes).to.deep.equal({});
    });
  }
});
