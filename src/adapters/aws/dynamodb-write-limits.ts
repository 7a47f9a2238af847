/**
 * How the DynamoDB repository spreads its writes, in a module of its own so the cost model (and through it the CDK
 * constructs) can read it without importing the repository and the AWS SDK.
 */

/** BatchWriteItem calls in flight at once for one `putEntries`. */
export const BATCH_WRITES_IN_FLIGHT = 4;
