import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsConfig } from '../../config/config.js';
import { ConfigurationError } from '../../domain/errors.js';
import { DEFAULT_REDACTION, Redactor } from '../../domain/redaction/redactor.js';

/** The one Secrets Manager call the worker makes (a stub in tests). */
export interface SecretReader {
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string }>;
}

/** The string value of a secret; a binary or empty secret is a configuration error naming the variable. */
export async function readSecretString(secrets: SecretReader, secretId: string): Promise<string> {
  const { SecretString: value } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (value === undefined || value === '') {
    throw new ConfigurationError(`invalid configuration: LOGBATCH_REDACT_KEY_SECRET_ARN: secret ${secretId} has no string value (the HMAC key)`);
  }
  return value;
}

/**
 * The configuration with the HMAC redaction key read from the secret it names (`LOGBATCH_REDACT_KEY_SECRET_ARN`), so
 * the key never sits in the function's environment. Called once per cold start; without a secret, the configuration
 * is returned as it is and no client is built.
 */
export async function withRedactionKeyFromSecret(config: AwsConfig, secrets?: SecretReader): Promise<AwsConfig> {
  if (config.redactKeySecretArn === undefined) return config;
  const key = await readSecretString(secrets ?? new SecretsManagerClient({}), config.redactKeySecretArn);
  const redaction = { ...(config.pipeline.redaction ?? DEFAULT_REDACTION), key };
  try {
    Redactor.compile(redaction);
  } catch (error) {
    throw new ConfigurationError(`invalid configuration: LOGBATCH_REDACT_KEY_SECRET_ARN: ${(error as Error).message}`);
  }
  return { ...config, pipeline: { ...config.pipeline, redaction } };
}
