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
