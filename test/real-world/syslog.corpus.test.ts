import { expect } from 'chai';
import type { ParsedRecord } from '../../src/domain/log-entry.js';
import { SYSLOG_SEVERITIES } from '../../src/domain/parsing/severity-mapping.js';
import { parseSyslogLine } from '../../src/domain/parsing/syslog.parser.js';
import { caseInput, readCorpusJsonl } from './corpus-files.js';

/** Invalid RFC 5424, but an RFC 3164 message with a valid PRI and no TIMESTAMP, which a relay keeps (§4.3.3). */
const RFC3164_WITHOUT_TIME = new Set(['<102>abc 2018-11-22']);

interface GoSyslogCase {
  input?: string;
  input_b64?: string;
  valid: boolean;
  expected_value: {
    priority?: number;
    facility?: number;
    severity?: number;
    version?: number;
    timestamp?: string;
    hostname?: string;
    appname?: string;
    procid?: string;
    msgid?: string;
    structured_data?: Record<string, Record<string, string>>;
    message?: string;
  } | null;
}

const observedAt = new Date('2024-06-15T12:00:00Z');

/**
 * go-syslog's expectations are Go source transcribed to JSON: a message written `BOM + "..."` in Go is the BOM
 * followed by the Go string literal, whose `\uXXXX`, `\r` escapes are undone here.
 */
function expectedMessage(message: string | undefined): string {
  if (message === undefined) return '';
  const bomExpression = /^BOM \+ "([\s\S]*)"$/.exec(message);
  if (bomExpression === null) return message;
  const literal = bomExpression[1]
    .replace(/\\u([0-9a-fA-F]{4})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\\r/g, '\r')
    .replace(/\\n/g, '\n')
    .replace(/\\t/g, '\t')
    .replace(/\\"/g, '"');
  return `\uFEFF${literal}`;
}

/**
 * go-syslog returns structured-data values with their escapes as written; logbatch undoes the three escapes
 * RFC 5424 §6.3.3 defines (`\"`, `\\`, `\]`), so the expectation is unescaped the same way before comparing.
 */
function unescapeSdValues(data: Record<string, Record<string, string>>): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (const [id, params] of Object.entries(data)) {
    result[id] = {};
    for (const [name, value] of Object.entries(params)) result[id][name] = value.replace(/\\(["\\\]])/g, '$1');
  }
  return result;
}

function instant(text: string): string {
  return new Date(text).toISOString();
}

function expectRfc5424Fields(record: ParsedRecord, expected: NonNullable<GoSyslogCase['expected_value']>): void {
  const attributes = record.attributes;
  const priority = expected.priority as number;
  expect(attributes['syslog.priority']).to.equal(priority);
  expect(attributes['syslog.facility']).to.equal(priority >> 3);
  expect(attributes['syslog.severity']).to.equal(priority & 7);
  expect(record.severityNumber).to.equal(SYSLOG_SEVERITIES[priority & 7].severityNumber);
  expect(attributes['syslog.version']).to.equal(expected.version);
  expect(record.timestamp).to.equal(expected.timestamp === undefined ? undefined : instant(expected.timestamp));
  expect(attributes['host.name']).to.equal(expected.hostname);
  expect(attributes['syslog.appname']).to.equal(expected.appname);
  const procid = attributes['process.pid'] ?? attributes['syslog.procid'];
  expect(procid === undefined ? undefined : String(procid)).to.equal(expected.procid);
  expect(attributes['syslog.msgid']).to.equal(expected.msgid);
  expect(attributes['syslog.structured_data']).to.deep.equal(
    expected.structured_data === undefined ? undefined : unescapeSdValues(expected.structured_data),
  );
  expect(record.body).to.equal(expectedMessage(expected.message));
}

describe('parseSyslogLine (corpus)', () => {
  describe('go-syslog RFC 5424 machine cases', () => {
    const cases = readCorpusJsonl<GoSyslogCase>('syslog_rfc5424/go_syslog/go_syslog_rfc5424_machine_tests.jsonl');

    it('agrees with go-syslog on valid/invalid for every case', () => {
      const disagreements = cases.filter(
        (testCase) => !RFC3164_WITHOUT_TIME.has(caseInput(testCase)) && parseSyslogLine(caseInput(testCase), { observedAt }).ok !== testCase.valid,
      );

      const agreement = 1 - disagreements.length / cases.length;

      expect(cases.length).to.be.greaterThan(100);
      expect(agreement, disagreements.map((testCase) => JSON.stringify(caseInput(testCase))).join('\n')).to.equal(1);
    });

    it('keeps "<102>abc 2018-11-22", invalid RFC 5424, as an RFC 3164 message without a time (a relay keeps it, RFC 3164 §4.3.3)', () => {
      const input = [...RFC3164_WITHOUT_TIME][0];
      expect(cases.some((testCase) => caseInput(testCase) === input && !testCase.valid)).to.equal(true);

      const result = parseSyslogLine(input, { observedAt });

      expect(result.ok && result.record.body).to.equal('abc 2018-11-22');
      expect(result.ok && result.record.timestamp).to.equal(undefined);
    });

    it('parses every valid case to go-syslog\'s values field by field', () => {
      const valid = cases.filter((testCase) => testCase.valid);

      for (const testCase of valid) {
        const input = caseInput(testCase);
        const result = parseSyslogLine(input, { observedAt });
        if (!result.ok) expect.fail(`${JSON.stringify(input)} was rejected: ${result.error}`);
        try {
          expectRfc5424Fields(result.record, testCase.expected_value!);
        } catch (error) {
          throw new Error(`${JSON.stringify(input)}: ${(error as Error).message}`);
        }
      }
      expect(valid.length).to.be.greaterThan(50);
    });

    it('returns a reason, never throws, for every invalid case', () => {
      for (const testCase of cases.filter((candidate) => !candidate.valid)) {
        const result = parseSyslogLine(caseInput(testCase), { observedAt });

        if (!result.ok) expect(result.error).to.be.a('string').and.not.equal('');
      }
    });
  });

  describe('go-syslog RFC 3164 machine cases', () => {
    const cases = readCorpusJsonl<GoSyslogCase>('syslog_rfc3164/go_syslog/go_syslog_rfc3164_machine_tests.jsonl');

    it('parses every case to go-syslog\'s values', () => {
      expect(cases.length).to.be.greaterThan(5);
      for (const testCase of cases) {
        const expected = testCase.expected_value!;
        const result = parseSyslogLine(caseInput(testCase), { observedAt });

        if (!result.ok) expect.fail(`${caseInput(testCase)} was rejected: ${result.error}`);
        const { attributes } = result.record;
        expect(attributes['syslog.priority']).to.equal(expected.priority);
        expect(attributes['syslog.facility']).to.equal(expected.facility);
        expect(attributes['syslog.severity']).to.equal(expected.severity);
        expect(attributes['host.name']).to.equal(expected.hostname);
        expect(attributes['syslog.appname']).to.equal(expected.appname);
        expect(attributes['process.pid'] === undefined ? undefined : String(attributes['process.pid'])).to.equal(expected.procid);
        expect(result.record.body).to.equal(expected.message);
        // Go's time.Stamp layout ("Jan _2 15:04:05"): compare month, day and time of day.
        const date = new Date(result.record.timestamp!);
        const stamp = `${date.toUTCString().slice(8, 11)} ${date.getUTCDate()} ${result.record.timestamp!.slice(11, 19)}`;
        expect(stamp).to.equal(expected.timestamp!.replace(/ +/g, ' '));
      }
    });
  });

  describe('logstash-patterns-core syslog cases', () => {
    interface LogstashCase {
      input: string;
    }
    /** What the RSpec blocks assert, in logbatch's attribute names, keyed by the start of the input. */
    const expectations: Array<[string, Record<string, unknown>, string?]> = [
      ['May 11 15:17:02 meow.soy.se CRON', { 'host.name': 'meow.soy.se', 'syslog.appname': 'CRON', 'process.pid': 10973 }],
      ['Mar 16 00:01:25 evita postfix/smtpd', { 'host.name': 'evita', 'syslog.appname': 'postfix/smtpd', 'process.pid': 1713 }],
      ['May 11 15:40:51 meow.soy.se ansible', { 'host.name': 'meow.soy.se', 'syslog.appname': 'ansible-<stdin>' }, 'Invoked with filter=* fact_path=/etc/ansible/facts.d'],
      ['May 11 10:40:48 scrooge', { 'host.name': 'scrooge', 'syslog.appname': 'disk-health-nurse', 'process.pid': 26783 }],
      ['Jan 11 22:33:44 su:', { 'syslog.appname': 'su' }],
      ['<14>Jun 24 10:32:02 win-host', { 'host.name': 'win-host' }, 'WinFileService Event: read, Path: /.DS_Store, File/Folder: File, Size: 6.00 KB, User: user@host, IP: 123.123.123.123'],
      ['Jul 14 13:36:03 precision pkexec', { 'host.name': 'precision', 'syslog.appname': 'pkexec' }],
      ['Jul 14 12:17:01.234 precision.computer', { 'host.name': 'precision.computer', 'syslog.appname': 'CRON', 'process.pid': 869567 }],
      ['Jul 17 12:17:01 precision CRON', { 'host.name': 'precision', 'syslog.appname': 'CRON', 'process.pid': 869568 }],
      ['<174>1 2016-11-14T09:49:23+01:00', { 'syslog.priority': 174, 'host.name': '10.23.16.6', 'syslog.appname': 'named', 'process.pid': 2255, 'syslog.version': 1 }],
      ['<174>1 1995-04-12T23:20:50.52Z', { 'host.name': '2000:6a0:b:315:10:23:4:13' }],
      ['<174>1 2003-08-24T05:14:15+00:00 - -', { 'host.name': undefined }],
      ['<34>1 2003-08-24T05:14:15.123-07:00', { 'syslog.appname': 'su' }],
      ['<34>1 2030-10-11T22:14:15.003Z', { 'syslog.msgid': 'm:WR-ID47' }],
      ['<34>1 2012-12-19T01:45:54.001234Z', { 'host.name': 'rufus' }],
      ['<174>1 2016-12-31T23:59:60-04:00', { 'host.name': 'resolver.se' }],
    ];
    const cases = [
      ...readCorpusJsonl<LogstashCase>('syslog_rfc3164/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl'),
      ...readCorpusJsonl<LogstashCase>('syslog_rfc5424/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl'),
    ];

    it('parses every case with the fields the patterns capture', () => {
      let checked = 0;
      for (const testCase of cases) {
        const result = parseSyslogLine(testCase.input, { observedAt });
        if (!result.ok) expect.fail(`${testCase.input} was rejected: ${result.error}`);
        const expectation = expectations.find(([prefix]) => testCase.input.startsWith(prefix));
        if (expectation === undefined) continue;
        const [, attributes, body] = expectation;
        for (const [key, value] of Object.entries(attributes)) {
          expect(result.record.attributes[key], `${key} of ${testCase.input}`).to.equal(value);
        }
        if (body !== undefined) expect(result.record.body).to.equal(body);
        checked++;
      }
      expect(checked).to.equal(cases.length);
    });

    /**
     * Logstash's pattern accepts lines RFC 5424 forbids, and so does logbatch: an unquoted SD-PARAM value
     * (`[meta sequenceId=10]`) and an empty STRUCTURED-DATA field (`prg00000[1234] - -  info:`); the message loses
     * the extra spaces before it.
     */
    it('reads the lines that bend RFC 5424 as the patterns do', () => {
      const unquoted = parseSyslogLine(cases.find((testCase) => testCase.input.includes('[meta sequenceId=10]'))!.input, { observedAt });
      const emptySd = parseSyslogLine(cases.find((testCase) => testCase.input.startsWith('<174>1 2016-12-31T23:59:60'))!.input, { observedAt });
      const named = parseSyslogLine(cases.find((testCase) => testCase.input.startsWith('<174>1 2016-11-14'))!.input, { observedAt });

      expect(unquoted.ok && unquoted.record.attributes['syslog.structured_data']).to.deep.equal({ meta: { sequenceId: '10' } });
      expect(unquoted.ok && unquoted.record.body).to.equal('BOMStack unit 3 Power supply 2 is down');
      expect(emptySd.ok && emptySd.record.attributes).to.include({ 'host.name': 'resolver.se', 'syslog.appname': 'prg00000[1234]' });
      expect(emptySd.ok && emptySd.record.timestamp).to.equal('2017-01-01T04:00:00.000Z');
      expect(emptySd.ok && emptySd.record.body).to.match(/^info: client 10\.23\.53\.22#63252: query/);
      expect(named.ok && named.record.body).to.match(/^info: client 10\.23\.56\.93#63295/);
    });
  });
});
