import { expect } from 'chai';
import { loadConfig } from '../../../src/config/config.js';
import { ConfigurationError } from '../../../src/domain/errors.js';

const required = {
  LOGBATCH_TABLE_NAME: 'logbatch-logs',
  LOGBATCH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/logbatch-chunks',
  LOGBATCH_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/logbatch-chunks-dlq',
};

function configurationErrorOf(env: Record<string, string | undefined>): ConfigurationError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('loadConfig', () => {
  it('reads the required variables and leaves unset tunables to the defaults', () => {
    const config = loadConfig({ ...required, UNRELATED: 'x' });

    expect(config).to.deep.equal({
      tableName: 'logbatch-logs',
      queueUrl: required.LOGBATCH_QUEUE_URL,
      deadLetterQueueUrl: required.LOGBATCH_DLQ_URL,
      // Filters keep everything and redaction runs its default detectors unless configured otherwise.
      pipeline: { filters: { include: [], exclude: [] }, redaction: { redact: 'defaults', replacement: 'mask' } },
    });
  });

  it('parses every optional tunable into the pipeline settings', () => {
    const config = loadConfig({
      ...required,
      LOGBATCH_MAX_CHUNK_BYTES: '65536',
      LOGBATCH_MAX_CHUNK_LINES: '1',
      LOGBATCH_MAX_EVENT_BYTES: '4096',
      LOGBATCH_MAX_RECEIVE_COUNT: '7',
      LOGBATCH_ENTRY_TTL_DAYS: '30',
      LOGBATCH_FORMAT: 'json',
    });

    expect(config.pipeline).to.deep.equal({
      maxChunkBytes: 65536,
      maxChunkLines: 1,
      maxEventBytes: 4096,
      maxReceiveCount: 7,
      entryTtlDays: 30,
      format: 'json',
      filters: { include: [], exclude: [] },
      redaction: { redact: 'defaults', replacement: 'mask' },
    });
  });

  it('parses LOGBATCH_FORMAT_RULES into key rules, and names a bad rule', () => {
    const config = loadConfig({ ...required, LOGBATCH_FORMAT_RULES: 'nginx/**=combined,apps/*.log=json' });

    expect(config.pipeline.formatRules?.map((rule) => `${rule.glob}=${rule.format}`)).to.deep.equal(['nginx/**=combined', 'apps/*.log=json']);
    expect(configurationErrorOf({ ...required, LOGBATCH_FORMAT_RULES: 'nginx/**=apache' }).message).to.match(/LOGBATCH_FORMAT_RULES format rule "nginx\/\*\*=apache" names an unknown format "apache"/);
  });

  it('reads the optional continuation queue URL', () => {
    const url = 'https://sqs.us-east-1.amazonaws.com/123456789012/logbatch-continuations';

    expect(loadConfig({ ...required, LOGBATCH_CONTINUATION_QUEUE_URL: url }).continuationQueueUrl).to.equal(url);
  });

  it('names every missing required variable', () => {
    const error = configurationErrorOf({});

    expect(error.code).to.equal('INVALID_CONFIGURATION');
    expect(error.message).to.include('LOGBATCH_TABLE_NAME is required');
    expect(error.message).to.include('LOGBATCH_QUEUE_URL is required');
    expect(error.message).to.include('LOGBATCH_DLQ_URL is required');
  });

  it('treats an empty value as missing', () => {
    const error = configurationErrorOf({ ...required, LOGBATCH_TABLE_NAME: '' });

    expect(error.message).to.include('LOGBATCH_TABLE_NAME is required');
  });

  it('names a malformed queue URL', () => {
    const error = configurationErrorOf({ ...required, LOGBATCH_DLQ_URL: 'logbatch-chunks-dlq' });

    expect(error.message).to.match(/LOGBATCH_DLQ_URL must be an http\(s\) queue URL/);
    expect(error.message).to.not.include('LOGBATCH_QUEUE_URL');
  });

  it('rejects a chunk budget over the 1 MiB SQS limit and a non-numeric line budget', () => {
    const error = configurationErrorOf({ ...required, LOGBATCH_MAX_CHUNK_BYTES: '2097152', LOGBATCH_MAX_CHUNK_LINES: '5k' });

    expect(error.message).to.include('LOGBATCH_MAX_CHUNK_BYTES must be at most 1048576');
    expect(error.message).to.include('LOGBATCH_MAX_CHUNK_LINES must be a whole number');
  });

  it('rejects a receive count of 0, a negative TTL and an unknown format', () => {
    const error = configurationErrorOf({ ...required, LOGBATCH_MAX_RECEIVE_COUNT: '0', LOGBATCH_ENTRY_TTL_DAYS: '-1', LOGBATCH_FORMAT: 'xml' });

    expect(error.message).to.include('LOGBATCH_MAX_RECEIVE_COUNT must be at least 1');
    expect(error.message).to.include('LOGBATCH_ENTRY_TTL_DAYS must be a whole number');
    expect(error.message).to.match(/LOGBATCH_FORMAT must be "auto" or one of: .*json/);
  });

  it('rejects a table name DynamoDB would not accept', () => {
    const error = configurationErrorOf({ ...required, LOGBATCH_TABLE_NAME: 'logs table!' });

    expect(error.message).to.include('LOGBATCH_TABLE_NAME must be a DynamoDB table name');
  });
});
