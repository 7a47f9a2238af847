import { expect } from 'chai';
import { loadConfig, loadRedactionConfig } from '../../../src/config/config.js';
import { ConfigurationError } from '../../../src/domain/errors.js';

const required = {
  LOGBATCH_TABLE_NAME: 'logbatch-logs',
  LOGBATCH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/logbatch-chunks',
  LOGBATCH_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/logbatch-chunks-dlq',
};

function configurationErrorOf(env: Record<string, string | undefined>, options?: Parameters<typeof loadConfig>[1]): ConfigurationError {
  try {
    loadConfig(env, options);
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

describe('loadConfig for a caller that needs only some resources (the CLI)', () => {
  const table = { LOGBATCH_TABLE_NAME: 'logbatch-logs' };

  it('requires only the resources named, and leaves the others empty', () => {
    const config = loadConfig(table, { required: ['tableName'] });

    expect(config.tableName).to.equal('logbatch-logs');
    expect(config.queueUrl).to.equal('');
    expect(config.deadLetterQueueUrl).to.equal('');
    expect(config.continuationQueueUrl).to.equal(undefined);
  });

  it('names only the required resources that are missing', () => {
    const error = configurationErrorOf({}, { required: ['tableName', 'deadLetterQueueUrl'] });

    expect(error.message).to.equal('invalid configuration: LOGBATCH_TABLE_NAME is required; LOGBATCH_DLQ_URL is required');
  });

  it('can require the continuation queue', () => {
    const error = configurationErrorOf(table, { required: ['tableName', 'continuationQueueUrl'] });

    expect(error.message).to.equal('invalid configuration: LOGBATCH_CONTINUATION_QUEUE_URL is required');
  });

  it('still validates a resource it does not require, and takes a blank one for unset', () => {
    const bad = configurationErrorOf({ ...table, LOGBATCH_QUEUE_URL: 'chunks' }, { required: ['tableName'] });
    const blank = loadConfig({ ...table, LOGBATCH_QUEUE_URL: '  ' }, { required: ['tableName'] });

    expect(bad.message).to.match(/^invalid configuration: LOGBATCH_QUEUE_URL must be an http\(s\) queue URL/);
    expect(blank.queueUrl).to.equal('');
  });

  it('takes an override over the variable and names it by where it came from', () => {
    const overridden = loadConfig({ LOGBATCH_TABLE_NAME: 'no such table!' }, { required: ['tableName'], overrides: { LOGBATCH_TABLE_NAME: { value: 'from-flag', from: '--table' } } });
    const bad = configurationErrorOf(table, { required: ['tableName'], overrides: { LOGBATCH_TABLE_NAME: { value: 'bad name!', from: '--table' } } });
    const empty = configurationErrorOf(table, { required: ['tableName'], overrides: { LOGBATCH_TABLE_NAME: { value: '', from: '--table' } } });

    expect(overridden.tableName).to.equal('from-flag');
    expect(bad.message).to.equal('invalid configuration: --table must be a DynamoDB table name: 3-255 letters, digits, "_", "-" or "."');
    expect(empty.message).to.equal('invalid configuration: --table is required');
  });

  it('names the one redaction variable at fault', () => {
    const replacement = configurationErrorOf({ ...required, LOGBATCH_REDACT_REPLACEMENT: 'HMAC' });
    const detector = configurationErrorOf({ ...required, LOGBATCH_REDACT: 'email,bogus' });
    const key = configurationErrorOf({ ...required, LOGBATCH_REDACT_REPLACEMENT: 'hmac' });

    expect(replacement.message).to.equal('invalid configuration: LOGBATCH_REDACT_REPLACEMENT must be mask or hmac');
    expect(detector.message).to.match(/^invalid configuration: LOGBATCH_REDACT: unknown redaction detector "bogus"/);
    expect(key.message).to.equal('invalid configuration: LOGBATCH_REDACT_REPLACEMENT: hmac redaction needs a key (LOGBATCH_REDACT_KEY)');
  });
});

describe('loadRedactionConfig', () => {
  function redactionErrorOf(env: Record<string, string | undefined>, options?: Parameters<typeof loadRedactionConfig>[1]): ConfigurationError {
    try {
      loadRedactionConfig(env, options);
    } catch (error) {
      if (error instanceof ConfigurationError) return error;
      throw error;
    }
    throw new Error('loadRedactionConfig accepted an invalid environment');
  }

  it('reads the redaction variables alone, with the defaults of the Lambda configuration', () => {
    expect(loadRedactionConfig({})).to.deep.equal({ redact: 'defaults', replacement: 'mask' });
    expect(loadRedactionConfig({ LOGBATCH_REDACT: 'email', LOGBATCH_REDACT_REPLACEMENT: 'hmac', LOGBATCH_REDACT_KEY: 'k'.repeat(32) })).to.deep.equal({
      redact: 'email',
      replacement: 'hmac',
      key: 'k'.repeat(32),
    });
    expect(loadRedactionConfig({ LOGBATCH_REDACT: '', LOGBATCH_REDACT_REPLACEMENT: '', LOGBATCH_REDACT_KEY: '' })).to.deep.equal({ redact: 'defaults', replacement: 'mask' });
  });

  it('refuses what the Lambda configuration refuses, naming the variable', () => {
    for (const value of ['bogus', 'HMAC', 'Mask', ' mask']) {
      expect(redactionErrorOf({ LOGBATCH_REDACT_REPLACEMENT: value }).message, value).to.equal('invalid configuration: LOGBATCH_REDACT_REPLACEMENT must be mask or hmac');
    }
    expect(redactionErrorOf({ LOGBATCH_REDACT: 'bogus' }).message).to.match(/^invalid configuration: LOGBATCH_REDACT: unknown redaction detector "bogus"/);
    expect(redactionErrorOf({ LOGBATCH_REDACT_REPLACEMENT: 'hmac' }).message).to.equal(
      'invalid configuration: LOGBATCH_REDACT_REPLACEMENT: hmac redaction needs a key (LOGBATCH_REDACT_KEY)',
    );
  });

  it('names the flag a value came from', () => {
    const detector = redactionErrorOf({ LOGBATCH_REDACT: 'email' }, { overrides: { LOGBATCH_REDACT: { value: 'bogus', from: '--redact' } } });
    const key = redactionErrorOf({}, { overrides: { LOGBATCH_REDACT_REPLACEMENT: { value: 'hmac', from: '--redact-replacement' } } });
    const fromEnvironment = redactionErrorOf({ LOGBATCH_REDACT: 'bogus' }, { overrides: { LOGBATCH_REDACT_REPLACEMENT: { value: 'mask', from: '--redact-replacement' } } });

    expect(detector.message).to.match(/^invalid configuration: --redact: unknown redaction detector "bogus"/);
    expect(key.message).to.equal('invalid configuration: --redact-replacement: hmac redaction needs a key (LOGBATCH_REDACT_KEY)');
    expect(fromEnvironment.message).to.match(/^invalid configuration: LOGBATCH_REDACT: unknown redaction detector "bogus"/);
  });

  it('does not ask for the resources', () => {
    expect(() => loadRedactionConfig({ LOGBATCH_QUEUE_URL: 'not a url' })).to.not.throw();
  });
});
