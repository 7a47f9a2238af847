import { expect } from 'chai';
import type { Attributes } from '../../src/domain/log-entry.js';
import { parseCombinedLine } from '../../src/domain/parsing/combined.parser.js';
import { parseTextLine } from '../../src/domain/parsing/text.parser.js';
import { parseMinimalYaml, readCorpusJsonl, readCorpusLines, readCorpusText } from './corpus-files.js';

const context = { observedAt: new Date('2024-06-15T12:00:00Z') };

interface DatadogCustom {
  date_access?: number;
  http?: { auth?: string; method?: string; status_code?: number; url?: string; version?: string; referer?: string; useragent?: string };
  network?: { bytes_written?: number; client?: { ip?: string } };
}

function datadogSamples(relativePath: string): Array<{ sample: string; custom: DatadogCustom }> {
  const document = parseMinimalYaml(readCorpusText(relativePath)) as {
    tests: Array<{ sample: string; result: { custom: DatadogCustom } }>;
  };
  return document.tests.map((test) => ({ sample: test.sample, custom: test.result.custom }));
}

/** The request target as logged: path plus `?query`. */
function target(attributes: Attributes): string | undefined {
  if (attributes['url.full'] !== undefined) return attributes['url.full'] as string;
  const path = attributes['url.path'] as string | undefined;
  return attributes['url.query'] === undefined ? path : `${path}?${attributes['url.query'] as string}`;
}

/** Compares an access-log record with the fields Datadog's pipeline extracts. */
function expectDatadogFields(sample: string, custom: DatadogCustom): void {
  const result = parseCombinedLine(sample, context);
  if (!result.ok) expect.fail(`${sample} was rejected: ${result.error}`);
  const { attributes, timestamp } = result.record;
  const http = custom.http ?? {};
  expect(timestamp).to.equal(new Date(custom.date_access!).toISOString());
  expect(attributes['client.address']).to.equal(custom.network?.client?.ip);
  expect(attributes['user.name']).to.equal(http.auth);
  expect(attributes['http.request.method']).to.equal(http.method);
  expect(attributes['http.response.status_code']).to.equal(http.status_code);
  expect(target(attributes)).to.equal(http.url);
  expect(attributes['network.protocol.version']).to.equal(http.version);
  expect(attributes['http.response.body.size']).to.equal(custom.network?.bytes_written);
  expect(attributes['http.request.header.referer']).to.equal(http.referer === '-' ? undefined : http.referer);
  expect(attributes['user_agent.original']).to.equal(http.useragent);
}

describe('parseCombinedLine (corpus)', () => {
  describe('DataDog Apache samples', () => {
    it('extracts the fields Datadog extracts from every sample', () => {
      const samples = datadogSamples('apache_access/datadog/apache_tests.yaml');

      for (const { sample, custom } of samples) expectDatadogFields(sample, custom);

      expect(samples).to.have.length(2);
    });
  });

  describe('DataDog Nginx samples', () => {
    const samples = datadogSamples('nginx_access/datadog/nginx_tests.yaml');
    const accessSamples = samples.filter(({ sample }) => !/^\d{4}\/\d{2}\/\d{2} /.test(sample));
    const errorSamples = samples.filter(({ sample }) => /^\d{4}\/\d{2}\/\d{2} /.test(sample));

    it('extracts the fields Datadog extracts from every access-log sample', () => {
      for (const { sample, custom } of accessSamples) expectDatadogFields(sample, custom);

      expect(accessSamples).to.have.length(4);
    });

    it('keeps the request time Nginx logs after the size', () => {
      const { sample } = accessSamples.find(({ sample: line }) => line.includes(' 0.202 '))!;

      const result = parseCombinedLine(sample, context);

      expect(result.ok && result.record.attributes['http.server.request.duration']).to.equal(0.202);
    });

    it('keeps what follows the user agent in access_log.extra_fields', () => {
      const { sample } = accessSamples.find(({ sample: line }) => line.endsWith('random characters'))!;

      const result = parseCombinedLine(sample, context);

      expect(result.ok && result.record.attributes['access_log.extra_fields']).to.deep.equal([
        '-', 'those', 'are', 'random', 'characters',
      ]);
    });

    it('reads the time and level of the error-log samples as text', () => {
      for (const { sample, custom } of errorSamples) {
        const result = parseTextLine(sample, context);

        expect(result.ok && result.record.timestamp).to.equal(new Date(custom.date_access!).toISOString());
        expect(result.ok && result.record.severityText).to.be.oneOf(['ERROR', 'INFO']);
      }
      expect(errorSamples).to.have.length(2);
    });
  });

  describe('logstash-patterns-core httpd cases', () => {
    const cases = readCorpusJsonl<{ input: string }>('apache_access/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl');

    it('parses every access-log case with the fields the pattern captures', () => {
      const [kibana, email, options] = cases.map((testCase) => parseCombinedLine(testCase.input, context));

      expect(kibana.ok && kibana.record.attributes).to.include({
        'http.request.method': 'GET',
        'http.request.header.referer': 'http://semicomplete.com/presentations/logstash-monitorama-2013/',
        'http.response.body.size': 203023,
        'http.response.status_code': 200,
      });
      expect(email.ok && email.record.attributes['user.name']).to.equal('username@example.com');
      expect(options.ok && options.record.attributes).to.include({
        'http.request.method': 'OPTIONS',
        'network.protocol.version': '1.1',
        'http.response.body.size': 7908,
        'url.path': '/remote.php/',
        'user_agent.original': 'monitoring-client (v2.2)',
      });
      expect(options.ok && options.record.attributes['http.response.status_code']).to.equal(undefined);
    });

    it('reads the Apache error-log cases as text with their time and level', () => {
      const errorCases = readCorpusJsonl<{ input: string }>('apache_error/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl');

      const results = errorCases.map((testCase) => parseTextLine(testCase.input, context));

      expect(results.map((result) => result.ok && result.record.timestamp)).to.deep.equal([
        '2015-08-31T09:30:48.958Z',
        '2015-08-31T16:27:04.000Z',
        '2020-04-14T14:27:52.605Z',
        '2019-02-01T22:03:08.319Z',
      ]);
      expect(results.slice(0, 3).map((result) => result.ok && result.record.severityText)).to.deep.equal(['ERROR', 'ERROR', 'ERROR']);
    });
  });

  describe('elastic/examples apache_logs (10,000 real lines)', () => {
    const lines = readCorpusLines('apache_access/elastic_examples/apache_logs');

    it('parses at least 99.9% as combined and accounts for every line', () => {
      let parsed = 0;
      const rejected: string[] = [];
      for (const line of lines) {
        const result = parseCombinedLine(line, context);
        if (result.ok) parsed++;
        else rejected.push(result.error);
      }

      expect(lines).to.have.length(10_000);
      expect(parsed + rejected.length).to.equal(lines.length);
      expect(parsed / lines.length).to.be.at.least(0.999);
      expect(rejected).to.deep.equal(['unterminated quoted field 9']);
    });

    it('labels every parsed line combined (none is plain CLF) and reads its status and time', () => {
      const results = lines.map((line) => parseCombinedLine(line, context)).filter((result) => result.ok);

      for (const result of results) {
        if (!result.ok) continue;
        expect(result.format).to.equal(undefined);
        expect(result.record.timestamp).to.match(/^2015-05-(1[7-9]|2[01])T/);
        expect(result.record.attributes['http.response.status_code']).to.be.a('number');
      }
    });
  });
});
