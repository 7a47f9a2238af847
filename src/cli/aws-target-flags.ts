/** Where the operator commands look: the deployed stack (or the emulated one), named by flags or environment. */
export interface AwsTargetOptions {
  readonly region?: string;
  readonly profile?: string;
  readonly table?: string;
  readonly queueUrl?: string;
  readonly dlqUrl?: string;
  /** The splitter's own queue: only `backfill` sends to it, and only it has the flag. */
  readonly continuationQueueUrl?: string;
  readonly endpointUrl?: string;
}

/** The flags every operator command takes; values default to the `LOGBATCH_*` / `AWS_*` environment. */
export const AWS_TARGET_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['--region <region>', 'AWS region (default: AWS_REGION / the profile)'],
  ['--profile <profile>', 'AWS shared-config profile (default: AWS_PROFILE)'],
  ['--table <name>', 'DynamoDB table (default: LOGBATCH_TABLE_NAME)'],
  ['--queue-url <url>', 'chunk queue URL (default: LOGBATCH_QUEUE_URL)'],
  ['--dlq-url <url>', 'dead-letter queue URL (default: LOGBATCH_DLQ_URL)'],
  ['--endpoint-url <url>', 'endpoint for every service, e.g. the emulators (default: AWS_ENDPOINT_URL)'],
];

/**
 * True when the command line or environment points at the stack: a part of it named (the table, a queue URL, by
 * flag or variable), or an AWS flag given (`--region`, `--profile`, `--endpoint-url`; not their variables, which
 * many shells export for everything). When nothing does and no store is given either, the commands that take both
 * say so, rather than ask for the table alone: a local user who forgot `--store` is told about it.
 */
export function namesAwsTarget(options: AwsTargetOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  const given = (value: string | undefined) => value !== undefined && value.trim() !== '';
  return (
    given(options.table ?? env.LOGBATCH_TABLE_NAME) ||
    given(options.queueUrl ?? env.LOGBATCH_QUEUE_URL) ||
    given(options.dlqUrl ?? env.LOGBATCH_DLQ_URL) ||
    given(options.region) ||
    given(options.profile) ||
    given(options.endpointUrl)
  );
}

/** The one line for a command given neither a store nor the stack. */
export const NO_TARGET_MESSAGE =
  'no store and no stack given: pass --store PATH (the store `run --store` wrote; or export LOGBATCH_STORE), or --table and the ' +
  'other AWS target flags for the stack (or export the variables `logbatch emulator` prints)';
