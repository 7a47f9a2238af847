/**
 * Injection tokens of the AWS adapter family: SDK clients, the resolved configuration and the retry policy.
 * Kept apart from `tokens.ts` (the ports and use cases) because only the AWS module binds them.
 */
export const AWS_TOKENS = {
  S3Client: Symbol.for('logbatch.aws.S3Client'),
  SqsClient: Symbol.for('logbatch.aws.SqsClient'),
  DynamoDbDocumentClient: Symbol.for('logbatch.aws.DynamoDbDocumentClient'),
  AwsConfig: Symbol.for('logbatch.aws.AwsConfig'),
  RetryPolicy: Symbol.for('logbatch.aws.RetryPolicy'),
} as const;
