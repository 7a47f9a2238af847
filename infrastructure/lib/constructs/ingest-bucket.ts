import { ArnFormat, Aws, Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Grant, type IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnPermission, type IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { acknowledgeWildcardResource } from '../nag.js';
import { assertIntegerInRange, InvalidPropsError } from '../validation.js';

/** Props of {@link IngestBucket}. */
export interface IngestBucketProps {
  /**
   * Name of the ingest bucket. The name is fixed at synthesis so the bucket's ARN can be written into the
   * splitter's policy and the S3 → Lambda permission without a reference to the bucket itself (which would be a
   * dependency cycle with the bucket's notification to the splitter).
   *
   * The default name includes part of the stack's id, which CloudFormation generates anew for each creation of a
   * stack: after `cdk destroy` the retained bucket keeps its name and data, and deploying the stack again creates a
   * new bucket beside it instead of failing with "already exists". Set a name to adopt a bucket deliberately: a
   * stack deployed before this default changed keeps its bucket only with its current name given here.
   * @default `logbatch-ingest-<8 hex of this construct's path>-<last 12 hex of the stack id>-<region>`
   */
  readonly bucketName?: string;
  /**
   * Only objects whose key starts with this prefix trigger a split (and only they can be read by the splitter).
   * @default - every key
   */
  readonly keyPrefix?: string;
  /**
   * Only objects whose key ends with this suffix trigger a split (and only they can be read by the splitter).
   * @default - every key
   */
  readonly keySuffix?: string;
  /**
   * What happens to the ingest and access-log buckets when the stack is deleted. `DESTROY` only succeeds for empty
   * buckets; nothing here empties them.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Days S3 server access logs of the ingest bucket are kept.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
  /**
   * Days after which an incomplete multipart upload is aborted (its parts are billed until then).
   * @default 7
   */
  readonly abortIncompleteUploadsAfterDays?: number;
  /**
   * Days after which uploaded objects expire (S3 lifecycle), once their entries are in the table; 0 keeps them
   * forever. Keep it at least as long as a failed split may wait to be retried (its S3 event is kept 14 days).
   * @default 30
   */
  readonly objectExpirationDays?: number;
}

export const BUCKET_NAME = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The bucket users upload log files to: all public access blocked, S3-managed encryption, TLS-only bucket policy,
 * server access logging to a companion bucket, and an `ObjectCreated` notification to the splitter, to a queue or to
 * EventBridge (see `SplitterTrigger`).
 *
 * The notification is written straight into the bucket's `NotificationConfiguration` (no `Custom::S3BucketNotifications`
 * resource), so the stack needs no helper Lambda whose role holds `s3:PutBucketNotification` on `*`.
 */
export class IngestBucket extends Construct {
  /** The ingest bucket. */
  readonly bucket: Bucket;
  /** The bucket that receives the ingest bucket's server access logs. */
  readonly accessLogsBucket: Bucket;
  /** The ingest bucket's name (known at synthesis, up to the account and region). */
  readonly bucketName: string;
  /** The ingest bucket's ARN, built from its name (not a reference to the bucket resource). */
  readonly bucketArn: string;
  /** The key prefix that triggers a split ("" for every key). */
  readonly keyPrefix: string;
  /** The key suffix that triggers a split ("" for every key). */
  readonly keySuffix: string;

  /** What the bucket's notification configuration already names (it has one target for `s3:ObjectCreated:*`). */
  private notificationTarget: string | undefined;

  constructor(scope: Construct, id: string, props: IngestBucketProps = {}) {
    super(scope, id);
    const accessLogRetentionDays = props.accessLogRetentionDays ?? 90;
    const abortIncompleteUploadsAfterDays = props.abortIncompleteUploadsAfterDays ?? 7;
    assertIntegerInRange('IngestBucket', 'accessLogRetentionDays', accessLogRetentionDays, 1, 3650);
    const objectExpirationDays = props.objectExpirationDays ?? 30;
    assertIntegerInRange('IngestBucket', 'abortIncompleteUploadsAfterDays', abortIncompleteUploadsAfterDays, 1, 365);
    assertIntegerInRange('IngestBucket', 'objectExpirationDays', objectExpirationDays, 0, 36_500);
    for (const [prop, value] of [['keyPrefix', props.keyPrefix], ['keySuffix', props.keySuffix]] as const) {
      if (value !== undefined && (value === '' || value.includes('*') || value.length > 1024)) {
        throw new InvalidPropsError('IngestBucket', prop, `expected 1 to 1024 characters without "*", got "${value}"`);
      }
    }
    if (props.bucketName !== undefined && !Token.isUnresolved(props.bucketName) && !BUCKET_NAME.test(props.bucketName)) {
      throw new InvalidPropsError('IngestBucket', 'bucketName', `"${props.bucketName}" is not a valid S3 bucket name`);
    }

    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.keyPrefix = props.keyPrefix ?? '';
    this.keySuffix = props.keySuffix ?? '';
    this.bucketName = props.bucketName ?? Fn.join('-', ['logbatch-ingest', this.node.addr.slice(0, 8), stackCreationId(), stack.region]);
    this.bucketArn = stack.formatArn({
      service: 's3',
      region: '',
      account: '',
      resource: this.bucketName,
      arnFormat: ArnFormat.NO_RESOURCE_NAME,
    });

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(accessLogRetentionDays) }],
      removalPolicy,
    });
    this.bucket = new Bucket(this, 'Bucket', {
      bucketName: this.bucketName,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          abortIncompleteMultipartUploadAfter: Duration.days(abortIncompleteUploadsAfterDays),
          expiration: objectExpirationDays === 0 ? undefined : Duration.days(objectExpirationDays),
        },
      ],
      removalPolicy,
    });
    this.enableServerAccessLogs();
  }

  /**
   * Server access logs delivered under a bucket policy (not the legacy LogDeliveryWrite ACL, which ACL-disabled
   * buckets reject), written explicitly so the result does not depend on the
   * `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` feature flag.
   */
  private enableServerAccessLogs(): void {
    const logFilePrefix = 'ingest/';
    (this.bucket.node.defaultChild as CfnBucket).loggingConfiguration = {
      destinationBucketName: this.accessLogsBucket.bucketName,
      logFilePrefix,
    };
    this.accessLogsBucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'S3ServerAccessLogsPolicy',
        principals: [new ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogsBucket.arnForObjects(`${logFilePrefix}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': this.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
  }

  /** The ARN pattern of the objects a split may read: the prefix/suffix filter, as an IAM resource. */
  get objectsArn(): string {
    return `${this.bucketArn}/${this.keyPrefix}*${this.keySuffix}`;
  }

  /**
   * Wires the splitter to the bucket: it is invoked for every `s3:ObjectCreated:*` event whose key matches the
   * prefix/suffix filter, and may read exactly those objects. The bucket name arrives in each event, so no
   * environment variable is needed.
   */
  connectSplitter(splitter: IFunction): Grant {
    this.notifyOnObjectCreated(splitter);
    return this.grantReadObjects(splitter);
  }

  /**
   * Lets `grantee` read the objects that trigger a split (`s3:GetObject`, which also covers HeadObject and ranged
   * reads) and list the bucket, so a deleted object surfaces as 404 NoSuchKey rather than 403 AccessDenied.
   */
  grantReadObjects(grantee: IGrantable): Grant {
    const grant = Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.objectsArn] });
    grant.combine(Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.bucketArn] }));
    if (isConstruct(grantee.grantPrincipal)) {
      acknowledgeWildcardResource(
        grantee.grantPrincipal,
        this.objectsArn,
        'The splitter reads whichever object was uploaded; object keys are unknown at deploy time, so the grant covers ' +
          'the objects under the configured key prefix/suffix of this one bucket (read only).',
      );
    }
    return grant;
  }

  /**
   * Invokes `splitter` for every `s3:ObjectCreated:*` event whose key matches the prefix/suffix filter. S3 is
   * allowed to invoke the function only for this bucket in this account.
   */
  private notifyOnObjectCreated(splitter: IFunction): void {
    this.claimNotification('connectSplitter', 'a splitter function');
    const permission = new CfnPermission(this, 'AllowS3InvokeSplitter', {
      action: 'lambda:InvokeFunction',
      functionName: splitter.functionArn,
      principal: 's3.amazonaws.com',
      sourceAccount: Stack.of(this).account,
      sourceArn: this.bucketArn,
    });
    const rules: CfnBucket.FilterRuleProperty[] = [];
    if (this.keyPrefix !== '') rules.push({ name: 'prefix', value: this.keyPrefix });
    if (this.keySuffix !== '') rules.push({ name: 'suffix', value: this.keySuffix });
    const cfnBucket = this.bucket.node.defaultChild as CfnBucket;
    cfnBucket.notificationConfiguration = {
      lambdaConfigurations: [
        {
          event: 's3:ObjectCreated:*',
          function: splitter.functionArn,
          filter: rules.length > 0 ? { s3Key: { rules } } : undefined,
        },
      ],
    };
    // S3 validates the destination when the configuration is applied: the permission must exist first.
    cfnBucket.addResourceDependency(permission, 'S3 validates the notification destination when it is configured');
  }

  /**
   * Sends every `s3:ObjectCreated:*` notification whose key matches the prefix/suffix filter to `queue` (the `sqs`
   * trigger). The queue's policy lets S3 send only for this bucket in this account; the bucket depends on that
   * policy, since S3 checks the destination when the configuration is applied.
   */
  notifyQueueOnObjectCreated(queue: IQueue): void {
    this.claimNotification('notifyQueueOnObjectCreated', 'a queue');
    const policy = queue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowIngestBucketNotifications',
        principals: [new ServicePrincipal('s3.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': this.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
    const cfnBucket = this.bucket.node.defaultChild as CfnBucket;
    cfnBucket.notificationConfiguration = {
      queueConfigurations: [{ event: 's3:ObjectCreated:*', queue: queue.queueArn, filter: this.notificationFilter() }],
    };
    if (policy.policyDependable !== undefined) this.bucket.node.addDependency(policy.policyDependable);
  }

  /**
   * Turns on the bucket's delivery of all its events to EventBridge's default bus (the `eventbridge` trigger); a
   * rule there picks the uploads. The key filter belongs to that rule, not to the bucket.
   */
  sendEventsToEventBridge(): void {
    this.claimNotification('sendEventsToEventBridge', 'EventBridge');
    (this.bucket.node.defaultChild as CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
  }

  private claimNotification(method: string, target: string): void {
    if (this.notificationTarget !== undefined) {
      throw new InvalidPropsError('IngestBucket', method, `the bucket already notifies ${this.notificationTarget}`);
    }
    this.notificationTarget = target;
  }

  private notificationFilter(): CfnBucket.NotificationFilterProperty | undefined {
    const rules: CfnBucket.FilterRuleProperty[] = [];
    if (this.keyPrefix !== '') rules.push({ name: 'prefix', value: this.keyPrefix });
    if (this.keySuffix !== '') rules.push({ name: 'suffix', value: this.keySuffix });
    return rules.length > 0 ? { s3Key: { rules } } : undefined;
  }
}

/**
 * The last 12 hex digits of the stack id's UUID (`arn:...:stack/<name>/<uuid>`): different for each creation of
 * a stack of the same name, known before any resource is created, and safe in a bucket name.
 */
function stackCreationId(): string {
  const uuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  return Fn.select(4, Fn.split('-', uuid));
}

function isConstruct(value: unknown): value is IConstruct {
  return Construct.isConstruct(value);
}
