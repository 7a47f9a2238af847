import { loadConfig } from '../config/config.js';
import { awsModule } from '../di/aws.module.js';
import { createContainer } from '../di/container.js';
import { ConfigurationError } from '../domain/errors.js';
import type { AwsTargetOptions } from './aws-target-flags.js';
import { UsageError } from './usage-error.js';

/**
 * Builds the container for operator commands from flags over the environment. The SDK reads region, profile and
 * endpoints from the standard variables, so flags are applied there.
 */
export function awsTargetContainer(options: AwsTargetOptions) {
  if (options.region !== undefined) process.env.AWS_REGION = options.region;
  if (options.profile !== undefined) process.env.AWS_PROFILE = options.profile;
  if (options.endpointUrl !== undefined) process.env.AWS_ENDPOINT_URL = options.endpointUrl;
  const env = {
    ...process.env,
    ...(options.table === undefined ? {} : { LOGBATCH_TABLE_NAME: options.table }),
    ...(options.queueUrl === undefined ? {} : { LOGBATCH_QUEUE_URL: options.queueUrl }),
    ...(options.dlqUrl === undefined ? {} : { LOGBATCH_DLQ_URL: options.dlqUrl }),
  };
  try {
    const config = loadConfig(env);
    return createContainer({ adapters: awsModule(config), settings: config.pipeline });
  } catch (error) {
    if (error instanceof ConfigurationError) {
      throw new UsageError(`${error.message} (pass --table/--queue-url/--dlq-url, or export the variables \`logbatch emulator\` prints)`);
    }
    throw error;
  }
}
