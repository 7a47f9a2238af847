import type { ServiceIdentifier } from 'inversify';
import { type ConfigOverrides, type ConfigResource, loadConfig } from '../config/config.js';
import { awsModule } from '../di/aws.module.js';
import { createContainer } from '../di/container.js';
import { TOKENS } from '../di/tokens.js';
import { ConfigurationError } from '../domain/errors.js';
import type { AwsTargetOptions } from './aws-target-flags.js';
import { UsageError } from './usage-error.js';

/** Each resource: its field in the options, its flag and its variable. */
const RESOURCES: Readonly<Record<ConfigResource, { readonly option: keyof AwsTargetOptions; readonly flag: string; readonly variable: string }>> = {
  tableName: { option: 'table', flag: '--table', variable: 'LOGBATCH_TABLE_NAME' },
  queueUrl: { option: 'queueUrl', flag: '--queue-url', variable: 'LOGBATCH_QUEUE_URL' },
  deadLetterQueueUrl: { option: 'dlqUrl', flag: '--dlq-url', variable: 'LOGBATCH_DLQ_URL' },
  continuationQueueUrl: { option: 'continuationQueueUrl', flag: '--continuation-queue-url', variable: 'LOGBATCH_CONTINUATION_QUEUE_URL' },
};

/**
 * What each service a command resolves reads, when the command does not say: the repository reads the table;
 * `DeadLetters` lists the DLQ, records in the table and redrives to the chunk queue (the UI does all three).
 */
const RESOURCES_READ_BY = new Map<symbol, readonly ConfigResource[]>([
  [TOKENS.LogRepository, ['tableName']],
  [TOKENS.DeadLetters, ['tableName', 'queueUrl', 'deadLetterQueueUrl']],
  [TOKENS.BackfillObjects, ['tableName', 'continuationQueueUrl']],
]);

/** Asked for a service this file does not know: everything the deployed functions need. */
const EVERY_RESOURCE: readonly ConfigResource[] = ['tableName', 'queueUrl', 'deadLetterQueueUrl'];

/** The deployed (or emulated) stack's services, as the operator commands resolve them. */
export interface AwsTarget {
  get<T>(token: ServiceIdentifier<T>): T;
}

/**
 * The operator commands' services, from flags over the environment. The SDK reads region, profile and endpoints from
 * the standard variables, so flags are applied there.
 *
 * Each command asks only for what it uses: `uses` names the resources that must be set, or, without it, each service
 * resolved requires what it reads (the table for the repository, ...). Every value given is validated, used or not; a
 * bad one is a usage error naming the flag it came from, or else its variable.
 */
export function awsTargetContainer(options: AwsTargetOptions, uses?: readonly ConfigResource[]): AwsTarget {
  if (options.region !== undefined) process.env.AWS_REGION = options.region;
  if (options.profile !== undefined) process.env.AWS_PROFILE = options.profile;
  if (options.endpointUrl !== undefined) process.env.AWS_ENDPOINT_URL = options.endpointUrl;
  const overrides: ConfigOverrides = Object.fromEntries(
    Object.values(RESOURCES).flatMap(({ option, flag, variable }) => {
      const value = options[option];
      return value === undefined ? [] : [[variable, { value, from: flag }]];
    }),
  );
  const load = (required: readonly ConfigResource[]) => {
    try {
      return loadConfig(process.env, { required, overrides });
    } catch (error) {
      if (error instanceof ConfigurationError) throw new UsageError(withHint(error.message, missing(required, options)));
      throw error;
    }
  };
  const config = load(uses ?? []);
  const container = createContainer({ adapters: awsModule(config), settings: config.pipeline });
  return {
    get<T>(token: ServiceIdentifier<T>): T {
      if (uses === undefined) load(RESOURCES_READ_BY.get(token as symbol) ?? EVERY_RESOURCE);
      return container.get<T>(token);
    },
  };
}

/** The required resources given neither by flag nor by variable. */
function missing(required: readonly ConfigResource[], options: AwsTargetOptions): ConfigResource[] {
  return required.filter((resource) => {
    const { option, variable } = RESOURCES[resource];
    return (options[option] ?? process.env[variable] ?? '').trim() === '';
  });
}

/** How to give what is missing: its flags, or the variables `logbatch emulator` prints. */
function withHint(message: string, missingResources: readonly ConfigResource[]): string {
  if (missingResources.length === 0) return message;
  const flags = missingResources.map((resource) => RESOURCES[resource].flag);
  const listed = flags.length === 1 ? flags[0] : `${flags.slice(0, -1).join(', ')} and ${flags[flags.length - 1]}`;
  return `${message} (pass ${listed}, or export the variables \`logbatch emulator\` prints)`;
}
