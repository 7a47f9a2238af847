import { expect } from 'chai';
import { parseAlbLine } from '../../src/domain/parsing/alb.parser.js';
import { cloudTrailRecords, looksLikeCloudTrail } from '../../src/domain/parsing/cloudtrail.js';
import { parseCloudTrailLine } from '../../src/domain/parsing/cloudtrail.parser.js';
import { parseCloudFrontLine } from '../../src/domain/parsing/cloudfront.parser.js';
import { detectFormat } from '../../src/domain/parsing/formats.js';
import { parseS3AccessLine } from '../../src/domain/parsing/s3access.parser.js';
import { parseVpcFlowLine } from '../../src/domain/parsing/vpcflow.parser.js';
import { readCorpusJsonl, readCorpusLines, readCorpusText, readExpectedOtlpRecords } from './corpus-files.js';

const context = { observedAt: new Date('2024-06-15T12:00:00Z') };

function nanosToIso(timeUnixNano: string): string {
  return new Date(Number(BigInt(timeUnixNano) / 1_000_000n)).toISOString();
}

describe('AWS service logs (corpus)', () => {
  describe('parseAlbLine', () => {
    it('parses the OpenTelemetry valid ALB file, IPv4 and IPv6 clients', () => {
      const lines = readCorpusLines('aws_alb/otel/alb_al_valid_logs.log');

      const records = lines.map((line) => {
        const result = parseAlbLine(line, context);
        if (!result.ok) expect.fail(result.error);
        return result.record;
      });

      expect(records).to.have.length(2);
      expect(records[0].timestamp).to.equal('2018-07-02T22:23:00.186Z');
      expect(records[0].attributes).to.include({
        'aws.elb.type': 'https',
        'client.address': '192.168.131.39',
        'client.port': 2817,
        'http.response.status_code': 200,
        'http.request.method': 'GET',
        'url.full': 'https://www.example.com:443/',
        'user_agent.original': 'curl/7.46.0',
        'tls.protocol.version': 'TLSv1.2',
        'aws.elb.conn_trace_id': 'TID_1234abcd5678ef90',
      });
      expect(records[1].attributes).to.include({ 'client.address': 'fe80::202:b3ff:fe1e:8329', 'client.port': 443, 'aws.elb.target.address': '2001:db8::1' });
    });

    it('rejects the malformed ALB files with a reason', () => {
      const insufficient = parseAlbLine(readCorpusLines('aws_alb/otel/alb_al_insufficient_fields.log')[0], context);
      const invalidType = parseAlbLine(readCorpusLines('aws_alb/otel/alb_al_invalid_syntax.log')[0], context);

      expect(!insufficient.ok && insufficient.error).to.match(/3 fields, expected at least 13/);
      expect(!invalidType.ok && invalidType.error).to.match(/unknown load balancer request type "invalid"/);
    });

    it('parses the logstash Classic ELB cases with the fields the pattern captures', () => {
      const cases = readCorpusJsonl<{ input: string }>('aws_alb/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl');

      const [first, timeout, suffix, optional] = cases.map((testCase) => {
        const result = parseAlbLine(testCase.input, context);
        if (!result.ok) expect.fail(`${testCase.input}: ${result.error}`);
        return result.record;
      });

      expect(first.timestamp).to.equal('2014-02-15T23:39:43.945Z');
      expect(first.attributes).to.include({
        'aws.elb.name': 'my-test-loadbalancer',
        'aws.elb.request_processing_time': 0.000073,
        'aws.elb.target_processing_time': 0.001048,
        'aws.elb.response_processing_time': 0.000057,
        'aws.elb.target.address': '10.0.0.1',
        'aws.elb.target.port': 80,
        'aws.elb.target.status_code': 200,
      });
      expect(timeout.attributes).to.include({
        'url.full': 'https://media.xxxyyyzzz.com:443/videos/F4_M-T4X0MM6Hvy1PFHesw',
        'url.scheme': 'https',
        'server.port': 443,
        'url.path': '/videos/F4_M-T4X0MM6Hvy1PFHesw',
        'server.address': 'media.xxxyyyzzz.com',
        'client.port': 55128,
        'client.address': '49.150.87.133',
        'http.request.method': 'PUT',
        'http.request.size': 1294336,
        'http.response.status_code': 408,
      });
      expect(timeout.severityText).to.equal('WARN');
      expect(suffix.attributes).to.include({ 'tls.cipher': 'DHE-RSA-AES128-SHA', 'tls.protocol.version': 'TLSv1.2', 'user_agent.original': 'curl/7.38.0 (#56-0ef1d4a5)' });
      expect(Object.keys(optional.attributes)).to.not.include.members(['tls.cipher', 'tls.protocol.version', 'user_agent.original']);
    });
  });

  describe('parseS3AccessLine', () => {
    it('parses the OpenTelemetry valid S3 file to the expected values', () => {
      const [expected] = readExpectedOtlpRecords('aws_s3_access/otel/valid_s3_access_log_expected.yaml');
      const result = parseS3AccessLine(readCorpusLines('aws_s3_access/otel/valid_s3_access_log.log')[0], context);
      if (!result.ok) expect.fail(result.error);
      const { attributes } = result.record;

      // The Collector's names where logbatch differs: client.address (semantic conventions) for its
      // source.address, url.path + url.query for its url.path with the query, network.protocol.* for url.scheme.
      const renamed: Record<string, string> = { 'source.address': 'client.address', duration: 'aws.s3.total_time' };
      for (const [key, value] of Object.entries(expected.attributes)) {
        if (key === 'url.path') expect(`${attributes['url.path'] as string}?${attributes['url.query'] as string}`).to.equal(value);
        else if (key === 'url.scheme') expect(`HTTP/${attributes['network.protocol.version'] as string}`).to.equal(value);
        else expect(attributes[renamed[key] ?? key], key).to.equal(value);
      }
      expect(result.record.timestamp).to.equal(nanosToIso(expected.timeUnixNano!));
      expect(attributes).to.include({ 'aws.s3.bucket': 'amzn-s3-demo-bucket1', 'aws.s3.owner': '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be' });
    });

    it('rejects lines with too few or too many values with a reason', () => {
      const tooFew = parseS3AccessLine(readCorpusLines('aws_s3_access/otel/too_few_values.log')[0], context);
      const tooMany = parseS3AccessLine(readCorpusLines('aws_s3_access/otel/too_many_values.log')[0], context);

      expect(!tooFew.ok && tooFew.error).to.match(/10 fields, expected at least 18/);
      expect(!tooMany.ok && tooMany.error).to.match(/28 fields, expected at most 27/);
    });

    it('parses the logstash S3 cases, old and new layouts', () => {
      const cases = readCorpusJsonl<{ input: string }>('aws_s3_access/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl');

      const [versioning, object, policy] = cases.map((testCase) => {
        const result = parseS3AccessLine(testCase.input, context);
        if (!result.ok) expect.fail(`${testCase.input}: ${result.error}`);
        return result.record;
      });

      expect(versioning.attributes).to.include({ 'aws.s3.owner': '79a5', 'aws.s3.bucket': 'mybucket', 'client.address': '192.0.2.3', 'aws.request_id': '3E57427F3EXAMPLE', 'rpc.method': 'REST.GET.VERSIONING' });
      expect(versioning.timestamp).to.equal('2014-02-06T00:00:38.000Z');
      expect(object.attributes).to.include({ 'aws.s3.key': 'foo/bar.html', 'http.response.status_code': 304, 'aws.s3.object.size': 1718 });
      expect(object.attributes['user.id']).to.equal(undefined);
      expect(policy.attributes).to.include({
        'user.id': 'arn:aws:iam::123456:user/test@elastic.co',
        'http.response.status_code': 404,
        'aws.s3.error_code': 'NoSuchBucketPolicy',
        'aws.signature.version': 'SigV2',
        'tls.protocol.version': 'TLSV1.1',
      });
      expect(policy.severityNumber).to.equal(13);
    });
  });

  describe('parseVpcFlowLine', () => {
    it('parses the OpenTelemetry multi-record file to the expected values, using the header it declares', () => {
      const lines = readCorpusLines('aws_vpc_flow/otel/valid_vpc_flow_log_multi.log');
      const expected = readExpectedOtlpRecords('aws_vpc_flow/otel/valid_vpc_flow_log_expected_multi.yaml');
      const decision = detectFormat(lines);

      const results = lines.map((line) => parseVpcFlowLine(line, { ...context, formatContext: decision.formatContext }));

      expect(decision.format).to.equal('vpcflow');
      expect(results[0].ok && results[0].record.attributes['log.record.kind']).to.equal('header');
      const records = results.slice(1);
      expect(records).to.have.length(expected.length);
      records.forEach((result, index) => {
        if (!result.ok) expect.fail(result.error);
        for (const [key, value] of Object.entries(expected[index].attributes)) {
          // The Collector writes the transport under network.protocol.name; semantic conventions say network.transport.
          const actual = key === 'network.protocol.name' ? result.record.attributes['network.transport'] : result.record.attributes[key];
          expect(actual, key).to.equal(value);
        }
        expect(result.record.timestamp).to.equal(nanosToIso(expected[index].timeUnixNano!));
      });
    });

    it('rejects records with too few or too many fields for the header with a reason', () => {
      for (const [file, reason] of [
        ['aws_vpc_flow/otel/vpc_flow_log_too_few_fields.log', /too few fields: 13 values for 14/],
        ['aws_vpc_flow/otel/vpc_flow_log_too_many_fields.log', /too many fields: 15 values for 14/],
      ] as const) {
        const lines = readCorpusLines(file);
        const { formatContext } = detectFormat(lines);

        const result = parseVpcFlowLine(lines[1], { ...context, formatContext });

        expect(!result.ok && result.error).to.match(reason);
      }
    });
  });

  describe('CloudTrail', () => {
    const document = readCorpusText('aws_cloudtrail/otel/cloudtrail_log.json');

    it('recognises the pretty-printed document and turns it into one line per record', () => {
      const records = cloudTrailRecords(document);

      expect(looksLikeCloudTrail(document.slice(0, 64))).to.equal(true);
      expect(records).to.have.length(7);
      expect(records.every((record) => !record.includes('\n'))).to.equal(true);
    });

    it('parses every record with its time, source, name, region and caller', () => {
      const results = cloudTrailRecords(document).map((line) => parseCloudTrailLine(line, context));

      const records = results.map((result) => {
        if (!result.ok) expect.fail(result.error);
        return result.record;
      });
      expect(records.map((record) => record.timestamp)).to.deep.equal([
        '2023-07-19T21:17:28.000Z', '2023-07-19T21:25:09.000Z', '2023-08-21T16:48:37.000Z', '2023-01-02T02:51:00.000Z',
        '2023-07-19T21:35:03.000Z', '2025-06-15T14:30:00.000Z', '2021-01-14T01:41:59.000Z',
      ]);
      expect(records[0].body).to.equal('ec2.amazonaws.com StartInstances');
      expect(records[0].attributes).to.include({
        'rpc.service': 'ec2.amazonaws.com', 'rpc.method': 'StartInstances', 'cloud.region': 'us-east-1',
        'client.address': '192.0.2.0', 'user.name': 'Mateo',
      });
      expect(records[3].body).to.equal('ssm.amazonaws.com UpdateInstanceInformation');
      expect(records[4].attributes['error.type']).to.equal('TrailNotFoundException');
      expect(records[4].severityText).to.equal('WARN');
      expect(records[6].attributes).to.include({ 'client.address': 'AWS Internal', 'cloud.region': 'us-west-2' });
    });

    it('throws a clear error for a document without Records', () => {
      expect(() => cloudTrailRecords('{"Items": []}')).to.throw(/no "Records" array/);
      expect(() => cloudTrailRecords('{"Records": [')).to.throw(/not valid JSON/);
    });
  });

  describe('parseCloudFrontLine', () => {
    it('parses the logstash CloudFront cases (no #Fields header) with the default field list', () => {
      const cases = readCorpusJsonl<{ input: string }>('aws_cloudfront/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl');

      const [older, current] = cases.map((testCase) => {
        const result = parseCloudFrontLine(testCase.input, context);
        if (!result.ok) expect.fail(result.error);
        return result.record;
      });

      expect(older.timestamp).to.equal('2016-06-10T18:41:39.000Z');
      expect(older.attributes).to.include({
        'aws.cloudfront.edge_location': 'IAD53', 'http.response.size': 224281, 'client.address': '192.168.1.1',
        'http.request.size': 883, 'http.request.method': 'GET',
        'http.request.header.referer': 'https://example.com/', 'http.response.status_code': 200,
      });
      expect(older.attributes['user_agent.original']).to.match(/^Mozilla\/5\.0%20\(Windows%20NT%206\.1;/);
      expect(current.timestamp).to.equal('2019-12-04T21:02:31.000Z');
      expect(current.attributes).to.include({
        'http.response.size': 392, 'client.address': '192.0.2.100', 'http.request.size': 23, 'client.port': 11040,
        'server.address': 'd111111abcdef8.cloudfront.net', 'url.path': '/index.html',
        'http.response.header.content-type': 'text/html', 'network.protocol.version': '2.0',
      });
      expect(current.attributes['user_agent.original']).to.match(/^Mozilla\/5\.0 \(Windows NT 10\.0; Win64; x64\)/);
    });
  });
});
