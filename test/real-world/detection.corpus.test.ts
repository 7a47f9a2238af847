import { expect } from 'chai';
import { DETECTION_SAMPLE_LINES, detectFormat } from '../../src/domain/parsing/formats.js';
import { looksLikeWrappedRecords, recordsOf } from '../../src/domain/parsing/wrapped-records.js';
import { caseInput, readCorpusJsonl, readCorpusLines, readCorpusText } from './corpus-files.js';

/** The first non-blank lines of a file, as the splitter samples them. */
function head(relativePath: string): string[] {
  return readCorpusLines(relativePath).slice(0, DETECTION_SAMPLE_LINES);
}

/** The `input` of each JSONL case, as if the cases were the lines of one log file. */
function caseLines(relativePath: string, keep: (testCase: { valid?: boolean }) => boolean = () => true): string[] {
  return readCorpusJsonl<{ input?: string; input_b64?: string; valid?: boolean }>(relativePath)
    .filter(keep)
    .map((testCase) => caseInput(testCase))
    .filter((line) => line.trim() !== '' && !line.includes('\n'));
}

describe('detectFormat (corpus)', () => {
  const singleFormatFiles: Array<[string, string[], string]> = [
    ['apache_logs', head('apache_access/elastic_examples/apache_logs'), 'combined'],
    ['OpenTelemetry ALB', head('aws_alb/otel/alb_al_valid_logs.log'), 'alb'],
    ['OpenTelemetry S3 access', head('aws_s3_access/otel/valid_s3_access_log.log'), 's3access'],
    ['OpenTelemetry VPC flow', head('aws_vpc_flow/otel/valid_vpc_flow_log_multi.log'), 'vpcflow'],
    ['logstash ALB cases', caseLines('aws_alb/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl'), 'alb'],
    ['logstash S3 cases', caseLines('aws_s3_access/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl'), 's3access'],
    ['logstash CloudFront cases', caseLines('aws_cloudfront/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl'), 'cloudfront'],
    ['logstash httpd cases', caseLines('apache_access/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl'), 'combined'],
    ['logstash syslog 3164 cases', caseLines('syslog_rfc3164/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl'), 'syslog'],
    ['logstash syslog 5424 cases', caseLines('syslog_rfc5424/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl'), 'syslog'],
    ['go-syslog 3164 cases', caseLines('syslog_rfc3164/go_syslog/go_syslog_rfc3164_machine_tests.jsonl'), 'syslog'],
    ['go-syslog 5424 valid cases', caseLines('syslog_rfc5424/go_syslog/go_syslog_rfc5424_machine_tests.jsonl', (testCase) => testCase.valid === true), 'syslog'],
    ['go-logfmt cases', caseLines('logfmt/go_logfmt/go_logfmt_decode_tests.jsonl').filter((line) => line.includes('=')), 'logfmt'],
    ['logstash Apache error cases', caseLines('apache_error/logstash_patterns_core/logstash_patterns_core_spec_cases.jsonl'), 'text'],
  ];

  for (const [name, sample, format] of singleFormatFiles) {
    it(`picks ${format} for the ${name}`, () => {
      const decision = detectFormat(sample);

      expect(sample.length).to.be.greaterThan(0);
      expect(decision.format).to.equal(format);
    });
  }

  it('reads the OpenTelemetry CloudTrail file as a document of CloudTrail records, not as lines', () => {
    const document = readCorpusText('aws_cloudtrail/otel/cloudtrail_log.json');

    expect(looksLikeWrappedRecords(head('aws_cloudtrail/otel/cloudtrail_log.json').join('\n'))).to.equal(true);
    expect(recordsOf(JSON.parse(document))?.kind).to.equal('cloudtrail');
  });

  it('picks clf for the Datadog Apache sample without referer and user agent', () => {
    const line = readCorpusText('apache_access/datadog/apache_tests.yaml').match(/sample: "(.*)"/)![1].replace(/\\"/g, '"');

    expect(detectFormat([line]).format).to.equal('clf');
  });

  it('carries the VPC flow header fields in the format context', () => {
    const decision = detectFormat(head('aws_vpc_flow/otel/vpc_flow_log_too_few_fields.log'));

    expect(decision.formatContext?.fields).to.have.length(14);
    expect(decision.formatContext?.fields?.[3]).to.equal('srcaddr');
  });
});
