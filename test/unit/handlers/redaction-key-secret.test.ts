import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { expect } from 'chai';
import { withRedactionKeyFromSecret } from '../../../src/adapters/aws/secrets-manager-key.js';
import { loadConfig } from '../../../src/config/config.js';
import { ConfigurationError } from '../../../src/domain/errors.js';
import { resolveWorker } from '../../../src/handlers/lambda-runtime.js';
import { createWorkerHandler } from '../../../src/handlers/worker.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:logbatch/hmac-AbCdEf';

const ENVIRONMENT = {
  LOGBATCH_TABLE_NAME: 'logbatch-table',
  LOGBATCH_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chunks',
  LOGBATCH_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chunks-dlq',
  LOGBATCH_REDACT_REPLACEMENT: 'hmac',
  LOGBATCH_REDACT_KEY_SECRET_ARN: SECRET_ARN,
};

/** A Secrets Manager client stand-in that records the secret ids it is asked for. */
function stubSecrets(value: string | undefined) {
  const requested: string[] = [];
  return {
    requested,
    client: {
      send: async (command: GetSecretValueCommand) => {
        requested.push(command.input.SecretId ?? '');
        return value === undefined ? {} : { SecretString: value };
      },
    },
  };
}

describe('HMAC redaction key from Secrets Manager (issue 14)', () => {
  it('reads the key from the secret the configuration names into the redaction settings', async () => {
    const secrets = stubSecrets('s3cr3t-hmac-key');
    const config = await withRedactionKeyFromSecret(loadConfig(ENVIRONMENT), secrets.client);
    expect(secrets.requested).to.deep.equal([SECRET_ARN]);
    expect(config.pipeline.redaction).to.deep.include({ replacement: 'hmac', key: 's3cr3t-hmac-key' });
  });

  it('calls nothing without a secret ARN', async () => {
    const secrets = stubSecrets('unused');
    const { LOGBATCH_REDACT_KEY_SECRET_ARN: _, LOGBATCH_REDACT_REPLACEMENT: __, ...plain } = ENVIRONMENT;
    const config = loadConfig(plain);
    expect(await withRedactionKeyFromSecret(config, secrets.client)).to.equal(config);
    expect(secrets.requested).to.deep.equal([]);
  });

  it('fails with a configuration error naming the variable when the secret has no string value', async () => {
    const secrets = stubSecrets(undefined);
    const failure = await withRedactionKeyFromSecret(loadConfig(ENVIRONMENT), secrets.client).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).to.be.instanceOf(ConfigurationError);
    expect((failure as Error).message).to.match(/LOGBATCH_REDACT_KEY_SECRET_ARN: secret .* has no string value/);
  });

  describe('the deployed worker\'s composition', () => {
    const saved: Record<string, string | undefined> = {};
    before(() => {
      for (const [name, value] of Object.entries(ENVIRONMENT)) {
        saved[name] = process.env[name];
        process.env[name] = value;
      }
    });
    after(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it('fetches the secret once per cold start, before the hmac redactor (which needs the key) is built', async () => {
      const secrets = stubSecrets('s3cr3t-hmac-key');
      const context = { getRemainingTimeInMillis: () => 120_000, awsRequestId: 'req-1' } as unknown as Context;
      const handler = createWorkerHandler((invocation) => resolveWorker(invocation, { secrets: secrets.client }));
      expect(await handler({ Records: [] }, context)).to.deep.equal({ batchItemFailures: [] });
      expect(await handler({ Records: [] }, context)).to.deep.equal({ batchItemFailures: [] });
      expect(secrets.requested).to.deep.equal([SECRET_ARN]);
    });

    it('does not start without the key: an unreadable secret fails the invocation, and the next one tries again', async () => {
      const secrets = stubSecrets(undefined);
      const context = { getRemainingTimeInMillis: () => 120_000, awsRequestId: 'req-1' } as unknown as Context;
      const handler = createWorkerHandler((invocation) => resolveWorker(invocation, { secrets: secrets.client }));
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const failure = await handler({ Records: [] }, context).then(() => undefined, (error: unknown) => error);
        expect(failure).to.be.instanceOf(ConfigurationError);
      }
      expect(secrets.requested).to.deep.equal([SECRET_ARN, SECRET_ARN]);
    });
  });
});
