import { Stack, Token } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { acknowledgeWildcardResource } from '../nag.js';
import { InvalidPropsError } from '../validation.js';
import { BUCKET_NAME } from './ingest-bucket.js';

/**
 * A bucket the pipeline reads that it does not create: one that another stack, team or account owns, where AWS
 * services already deliver logs (CloudTrail, ELB, VPC flow logs, Firehose).
 */
export interface ExistingLogBucket {
  /**
   * The bucket: its name (`my-logs`), its ARN (`arn:aws:s3:::my-logs`), or an `IBucket`
   * (`Bucket.fromBucketName`, `Bucket.fromBucketArn`, or a bucket of your own stack).
   */
  readonly bucket: string | IBucket;
  /**
   * Key prefixes the splitter may read and that trigger a split (`['AWSLogs/111122223333/CloudTrail/']`). Each is a
   * literal prefix (no `*`).
   * @default - every key of the bucket
   */
  readonly prefixes?: readonly string[];
  /**
   * ARN of the KMS key the objects are encrypted with (SSE-KMS): `arn:aws:kms:<region>:<account>:key/<key id>`, not
   * an alias. The splitter gets `kms:Decrypt` on exactly this key; a key in another account must also allow the
   * splitter's role in its key policy (docs/deploy.md).
   * @default - no KMS permission (SSE-S3 or unencrypted objects)
   */
  readonly kmsKeyArn?: string;
  /**
   * The account that owns the bucket, when it is not this stack's. It is the `aws:SourceAccount` that S3's
   * notifications to the splitter or the trigger queue are accepted from. A bucket ARN carries no account, so it
   * cannot be inferred.
   * @default - the stack's account
   */
  readonly account?: string;
}

/** An {@link ExistingLogBucket} validated and normalised. */
export interface ResolvedExistingBucket {
  /** `existingBuckets[<index>]`, for messages and construct ids. */
  readonly label: string;
  readonly bucketName: string;
  /** `arn:<partition>:s3:::<name>`, never a wildcard. */
  readonly bucketArn: string;
  /** The prefixes; `['']` for every key. */
  readonly prefixes: readonly string[];
  readonly kmsKeyArn?: string;
  /** The owner account: the one given, or the stack's. */
  readonly account: string;
  /** True when `account` was given and differs from the stack's. */
  readonly crossAccount: boolean;
}

const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::([^/*]+)$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const ACCOUNT_ID = /^\d{12}$/;

/**
 * Validates the existing buckets (each message names the entry and field) and resolves their names and ARNs.
 * Throws {@link InvalidPropsError} on the first bad value.
 */
export function resolveExistingBuckets(scope: IConstruct, construct: string, buckets: readonly ExistingLogBucket[] = []): ResolvedExistingBucket[] {
  if (!Array.isArray(buckets)) throw new InvalidPropsError(construct, 'existingBuckets', 'expected an array of buckets');
  const stack = Stack.of(scope);
  const seen = new Set<string>();
  return buckets.map((entry, index) => {
    const label = `existingBuckets[${index}]`;
    const fail = (field: string, message: string) => new InvalidPropsError(construct, `${label}.${field}`, message);
    if (entry === null || typeof entry !== 'object') throw new InvalidPropsError(construct, label, 'expected { bucket, prefixes?, kmsKeyArn?, account? }');
    const { bucketName, bucketArn } = bucketIdentity(stack, entry.bucket, (message) => fail('bucket', message));
    if (!Token.isUnresolved(bucketName)) {
      if (seen.has(bucketName)) throw fail('bucket', `"${bucketName}" is listed twice; give one entry with all its prefixes`);
      seen.add(bucketName);
    }

    let prefixes: readonly string[] = [''];
    if (entry.prefixes !== undefined) {
      if (!Array.isArray(entry.prefixes) || entry.prefixes.length === 0) {
        throw fail('prefixes', 'expected a non-empty array of key prefixes (leave it out for every key)');
      }
      for (const prefix of entry.prefixes) {
        if (typeof prefix !== 'string' || prefix === '' || prefix.includes('*') || prefix.length > 1024) {
          throw fail('prefixes', `expected 1 to 1024 characters without "*", got ${JSON.stringify(prefix)}`);
        }
      }
      if (new Set(entry.prefixes).size !== entry.prefixes.length) throw fail('prefixes', 'lists a prefix twice');
      prefixes = [...entry.prefixes];
    }

    if (entry.kmsKeyArn !== undefined && !Token.isUnresolved(entry.kmsKeyArn) && !KMS_KEY_ARN.test(entry.kmsKeyArn)) {
      throw fail(
        'kmsKeyArn',
        `expected a key ARN (arn:aws:kms:<region>:<account>:key/<key id>; an alias does not authorise kms:Decrypt), got "${entry.kmsKeyArn}"`,
      );
    }
    if (entry.account !== undefined && !ACCOUNT_ID.test(entry.account)) {
      throw fail('account', `expected a 12-digit account id, got "${entry.account}"`);
    }
    const account = entry.account ?? stack.account;
    const crossAccount = entry.account !== undefined && (Token.isUnresolved(stack.account) || entry.account !== stack.account);
    return {
      label,
      bucketName,
      bucketArn,
      prefixes,
      ...(entry.kmsKeyArn === undefined ? {} : { kmsKeyArn: entry.kmsKeyArn }),
      account,
      crossAccount,
    };
  });
}

function bucketIdentity(stack: Stack, bucket: string | IBucket, fail: (message: string) => Error): { bucketName: string; bucketArn: string } {
  if (typeof bucket !== 'string') {
    if (bucket === null || typeof bucket !== 'object' || typeof bucket.bucketName !== 'string') {
      throw fail('expected a bucket name, a bucket ARN or an IBucket');
    }
    return { bucketName: bucket.bucketName, bucketArn: bucket.bucketArn };
  }
  const fromArn = BUCKET_ARN.exec(bucket);
  const bucketName = fromArn?.[1] ?? bucket;
  if (!BUCKET_NAME.test(bucketName)) {
    throw fail(`expected a bucket name or arn:aws:s3:::<name>, got "${bucket}"`);
  }
  const bucketArn = fromArn !== null ? bucket : `arn:${stack.partition}:s3:::${bucketName}`;
  return { bucketName, bucketArn };
}

/** The object ARNs a split may read: `arn:...:s3:::<bucket>/<prefix>*` for each prefix. */
export function objectArnsOf(bucket: ResolvedExistingBucket): string[] {
  return bucket.prefixes.map((prefix) => `${bucket.bucketArn}/${prefix}*`);
}

/**
 * Lets `grantee` read exactly the configured objects of each bucket: `s3:GetObject` (which also authorises
 * HeadObject and ranged GETs) on `<bucket ARN>/<prefix>*`, `s3:ListBucket` on the bucket ARN itself (so a deleted
 * object reads as 404 rather than 403), and `kms:Decrypt` on exactly the configured keys.
 */
export function grantReadExistingBuckets(grantee: IGrantable, buckets: readonly ResolvedExistingBucket[]): Grant | undefined {
  let grant: Grant | undefined;
  const add = (next: Grant) => {
    grant = grant === undefined ? next : grant.combine(next);
  };
  for (const bucket of buckets) {
    const objectArns = objectArnsOf(bucket);
    add(Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: objectArns }));
    add(Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [bucket.bucketArn] }));
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      for (const objectArn of objectArns) {
        acknowledgeWildcardResource(
          grantee.grantPrincipal,
          objectArn,
          `The splitter reads whichever object arrives in ${bucket.label}; object keys are unknown at deploy time, so the grant ` +
            'covers the objects under each configured prefix of this one bucket (read only).',
        );
      }
    }
  }
  const keyArns = [...new Set(buckets.flatMap((bucket) => (bucket.kmsKeyArn === undefined ? [] : [bucket.kmsKeyArn])))];
  if (keyArns.length > 0) add(Grant.addToPrincipal({ grantee, actions: ['kms:Decrypt'], resourceArns: keyArns }));
  return grant;
}
