/**
 * The one place logbatch writes down AWS prices: us-east-1, on-demand, list prices without free tier, as published
 * on the AWS pricing pages (aws.amazon.com/s3/pricing, /sqs/pricing, /dynamodb/pricing/on-demand) and checked on
 * {@link PRICES_AS_OF}. DynamoDB's on-demand rates are those after the price cut of 2024-11-01.
 * Estimates only: data transfer, storage, Lambda and CloudWatch are not included.
 */
export const PRICES_AS_OF = '2025-06-01';

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
 * Estimated request cost of a run, in USD, from request counts as `installRequestAccounting` records them
 * (`s3.<Operation>`, `sqsBilledRequests`, `dynamodbWriteUnits`, `dynamodbReadUnits`).
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
  return total;
}
