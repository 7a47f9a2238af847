/**
 * The one place logbatch writes down AWS prices: us-east-1, on-demand, list prices without free tier, as published
 * on the AWS pricing pages (aws.amazon.com/s3/pricing, /sqs/pricing, /dynamodb/pricing/on-demand) and checked on
 * {@link PRICES_AS_OF}. DynamoDB's on-demand rates are those after the price cut of 2024-11-01. Lambda's (arm64) are
 * those of aws.amazon.com/lambda/pricing, read on {@link LAMBDA_PRICES_AS_OF} from stored copies of that page and of
 * pages quoting it (this machine reaches no AWS site); they have not changed since arm64 functions launched in 2021.
 * Estimates only: data transfer, storage and CloudWatch are not included.
 */
export const PRICES_AS_OF = '2025-06-01';
export const LAMBDA_PRICES_AS_OF = '2026-12-03';

export const US_EAST_1_PRICES_USD = {
  /** S3 Standard GET, HEAD and other read requests: $0.0004 per 1,000. */
  s3ReadRequest: 0.4 / 1_000_000,
  /** S3 Standard PUT, COPY, POST, LIST requests: $0.005 per 1,000. */
  s3WriteRequest: 5 / 1_000_000,
  /** SQS standard queue: $0.40 per million requests, each 64 KiB of payload billed as one request. */
  sqsRequest: 0.4 / 1_000_000,
  /** DynamoDB on-demand: $0.625 per million write request units (1 KB each; transactional writes take 2). */
  dynamodbWriteRequestUnit: 0.625 / 1_000_000,
  /** DynamoDB on-demand: $0.125 per million read request units (4 KB strongly consistent; eventual takes half). */
  dynamodbReadRequestUnit: 0.125 / 1_000_000,
  /** Lambda: $0.20 per million requests (invocations), either architecture. */
  lambdaRequest: 0.2 / 1_000_000,
  /** Lambda on arm64: $0.0000133334 per GB-second (the first 7.5 billion GB-seconds of a month). */
  lambdaArmGbSecond: 0.0000133334,
} as const;

/** S3 operations billed at the write-request (PUT/LIST) rate; any other S3 operation is a read request. */
const S3_WRITE_CLASS_OPERATIONS = new Set([
  'PutObject',
  'CopyObject',
  'PostObject',
  'ListObjects',
  'ListObjectsV2',
  'ListBuckets',
  'CreateBucket',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
]);

/**
 * Estimated cost of a run, in USD, from request counts as `installRequestAccounting` records them
 * (`s3.<Operation>`, `sqsBilledRequests`, `dynamodbWriteUnits`, `dynamodbReadUnits`) and, when present, the Lambda
 * quantities of `estimateLambdaCompute` (`lambdaInvocations`, `lambdaGbSeconds`, arm64).
 */
export function estimateCostUsd(counts: Readonly<Record<string, number>>): number {
  const prices = US_EAST_1_PRICES_USD;
  let total = 0;
  for (const [name, count] of Object.entries(counts)) {
    if (!name.startsWith('s3.')) continue;
    const operation = name.slice('s3.'.length);
    total += count * (S3_WRITE_CLASS_OPERATIONS.has(operation) ? prices.s3WriteRequest : prices.s3ReadRequest);
  }
  total += (counts.sqsBilledRequests ?? 0) * prices.sqsRequest;
  total += (counts.dynamodbWriteUnits ?? 0) * prices.dynamodbWriteRequestUnit;
  total += (counts.dynamodbReadUnits ?? 0) * prices.dynamodbReadRequestUnit;
  total += (counts.lambdaInvocations ?? 0) * prices.lambdaRequest;
  total += (counts.lambdaGbSeconds ?? 0) * prices.lambdaArmGbSecond;
  return total;
}
