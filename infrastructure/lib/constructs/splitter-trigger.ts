import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { CfnPermission, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { assertIntegerInRange, InvalidPropsError } from '../validation.js';
import { VISIBILITY_TIMEOUT_FACTOR } from './chunk-queue.js';
import { grantReadExistingBuckets, type ResolvedExistingBucket } from './existing-buckets.js';
import type { IngestBucket } from './ingest-bucket.js';

/**
 * How a new object reaches the splitter:
 * - `notification`: the bucket's notification invokes the splitter directly (asynchronously; failures go to the
 *   failed-splits queue through the on-failure destination);
 * - `eventbridge`: the bucket sends its events to EventBridge, a rule on the default bus picks `Object Created`
 *   for the bucket and key filter and puts it on the trigger queue, which feeds the splitter;
 * - `sqs`: the bucket notifies the trigger queue, which feeds the splitter. Other publishers may send to the queue
 *   too: an SNS topic subscribed to it (wrapped or raw delivery) is read the same way.
 */
export const SPLITTER_TRIGGERS = ['notification', 'eventbridge', 'sqs'] as const;
export type SplitterTriggerKind = (typeof SPLITTER_TRIGGERS)[number];

/** Receives of a trigger message before it goes to the failed-splits queue (AWS's advice for a Lambda event source). */
const TRIGGER_MAX_RECEIVE_COUNT = 5;

/** Props of {@link SplitterTrigger}. */
export interface SplitterTriggerProps {
  /**
   * How uploads reach the splitter.
   * @default 'notification'
   */
  readonly trigger?: SplitterTriggerKind;
  /**
   * The bucket the pipeline creates, whose uploads trigger splits; the splitter may read exactly its filtered objects.
   * @default - none: only `existingBuckets`
   */
  readonly ingestBucket?: IngestBucket;
  /**
   * Buckets the pipeline does not own (validated by `resolveExistingBuckets`). The splitter may read exactly their
   * configured prefixes and decrypt with their keys; the trigger is wired as far as a stack can for a bucket it does
   * not own (see {@link SplitterTrigger}).
   * @default []
   */
  readonly existingBuckets?: readonly ResolvedExistingBucket[];
  /** The splitter function. */
  readonly splitter: LambdaFunction;
  /** The splitter's timeout: the trigger queue's visibility timeout is 6 × it. */
  readonly splitterTimeout: Duration;
  /**
   * The splitter's reserved concurrency. Its continuation queue takes at most half (at least 2); the trigger queue
   * takes the rest (at least 2), so new objects and hand-overs never together exceed it. With a queue-fed trigger
   * (`eventbridge`, `sqs`) it must be at least 4: each event source's maximum concurrency is at least 2 (Lambda's
   * minimum), and two sources above the reservation have their invocations throttled.
   * @default 10
   */
  readonly splitterReservedConcurrency?: number;
  /** Where trigger messages go after 5 failed receives: the splitter's failed-splits queue. */
  readonly deadLetterQueue: IQueue;
  /**
   * What happens to the trigger queue when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Wires the ingest bucket and the existing buckets to the splitter by the chosen {@link SplitterTriggerKind}.
 * Queue-fed triggers consume one message per invocation, report partial batch failures, and dead-letter a message
 * to the failed-splits queue after 5 receives, where the `FailedSplitsNotEmpty` alarm sees it.
 *
 * A stack cannot change the notification configuration of a bucket it does not own without a custom resource whose
 * role may `s3:PutBucketNotification` (and which would rewrite a configuration the owning stack manages), so for an
 * existing bucket this construct makes the receiving side accept it and the bucket's owner adds the sending side:
 * - `notification`: a Lambda permission lets S3 invoke the splitter for exactly that bucket and owner account; the
 *   owner adds an `s3:ObjectCreated:*` notification to the splitter;
 * - `eventbridge`: a rule per bucket matches `Object Created` with its name and prefixes (and its account, when it
 *   is another); the owner turns on the bucket's EventBridge delivery (and forwards events from another account);
 * - `sqs`: the trigger queue's policy lets S3 send for exactly that bucket and owner account; the owner adds an
 *   `s3:ObjectCreated:*` notification to the queue.
 */
export class SplitterTrigger extends Construct {
  readonly trigger: SplitterTriggerKind;
  /** The queue that feeds the splitter (`eventbridge` and `sqs` triggers). */
  readonly queue?: Queue;
  /** The rule that puts the bucket's `Object Created` events on {@link queue} (`eventbridge` trigger). */
  readonly rule?: Rule;
  /** One rule per existing bucket, in the order given (`eventbridge` trigger). */
  readonly existingBucketRules: readonly Rule[] = [];

  constructor(scope: Construct, id: string, props: SplitterTriggerProps) {
    super(scope, id);
    this.trigger = props.trigger ?? 'notification';
    if (!(SPLITTER_TRIGGERS as readonly string[]).includes(this.trigger)) {
      throw new InvalidPropsError('SplitterTrigger', 'trigger', `expected one of ${SPLITTER_TRIGGERS.join(', ')}, got "${this.trigger}"`);
    }
    const reservedConcurrency = props.splitterReservedConcurrency ?? 10;
    assertIntegerInRange('SplitterTrigger', 'splitterReservedConcurrency', reservedConcurrency, this.trigger === 'notification' ? 2 : 4, 10_000);
    const { ingestBucket, splitter } = props;
    const existingBuckets = props.existingBuckets ?? [];
    if (ingestBucket === undefined && existingBuckets.length === 0) {
      throw new InvalidPropsError('SplitterTrigger', 'existingBuckets', 'without an ingest bucket, at least one existing bucket is needed');
    }
    grantReadExistingBuckets(splitter, existingBuckets);

    if (this.trigger === 'notification') {
      ingestBucket?.connectSplitter(splitter);
      // The owner of each existing bucket adds the notification; S3 may invoke the splitter for exactly that bucket.
      existingBuckets.forEach((bucket, index) => {
        new CfnPermission(this, `AllowS3InvokeSplitterExisting${index}`, {
          action: 'lambda:InvokeFunction',
          functionName: splitter.functionArn,
          principal: 's3.amazonaws.com',
          sourceAccount: bucket.account,
          sourceArn: bucket.bucketArn,
        });
      });
      return;
    }

    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.splitterTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: props.deadLetterQueue, maxReceiveCount: TRIGGER_MAX_RECEIVE_COUNT },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const queue = this.queue;
    const ruleTarget = () => new SqsQueue(queue, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) });
    if (this.trigger === 'sqs') {
      ingestBucket?.notifyQueueOnObjectCreated(this.queue);
      // The owner of each existing bucket adds the notification to this queue; S3 may send for exactly that bucket.
      for (const bucket of existingBuckets) {
        this.queue.addToResourcePolicy(
          new PolicyStatement({
            principals: [new ServicePrincipal('s3.amazonaws.com')],
            actions: ['sqs:SendMessage'],
            resources: [this.queue.queueArn],
            conditions: { ArnLike: { 'aws:SourceArn': bucket.bucketArn }, StringEquals: { 'aws:SourceAccount': bucket.account } },
          }),
        );
      }
    } else {
      if (ingestBucket !== undefined) {
        ingestBucket.sendEventsToEventBridge();
        this.rule = new Rule(this, 'ObjectCreatedRule', {
          description: 'logbatch: uploads to the ingest bucket, to the splitter trigger queue',
          eventPattern: {
            source: ['aws.s3'],
            detailType: ['Object Created'],
            detail: { bucket: { name: [ingestBucket.bucketName] }, ...keyFilter(ingestBucket.keyPrefix, ingestBucket.keySuffix) },
          },
          targets: [ruleTarget()],
        });
      }
      // An existing bucket's owner turns on its EventBridge delivery (and, from another account, forwards the events
      // to this account's default bus); the rule matches its name and prefixes wherever the event comes from.
      this.existingBucketRules = existingBuckets.map(
        (bucket, index) =>
          new Rule(this, `ExistingBucket${index}Rule`, {
            description: `logbatch: objects created in ${bucket.label}, to the splitter trigger queue`,
            eventPattern: {
              source: ['aws.s3'],
              detailType: ['Object Created'],
              ...(bucket.crossAccount ? { account: [bucket.account] } : {}),
              detail: {
                bucket: { name: [bucket.bucketName] },
                ...(bucket.prefixes.some((prefix) => prefix !== '') ? { object: { key: bucket.prefixes.map((prefix) => ({ prefix })) } } : {}),
              },
            },
            targets: [ruleTarget()],
          }),
      );
    }
    ingestBucket?.grantReadObjects(splitter);
    const continuationShare = Math.max(2, Math.floor(reservedConcurrency / 2));
    splitter.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: Math.max(2, reservedConcurrency - continuationShare),
      }),
    );
  }
}

/**
 * The key filter as an EventBridge pattern on `detail.object.key`. Prefix and suffix together need a wildcard (the
 * values of one field are alternatives); in a wildcard `*` and `\` are escaped (`*` is refused in the props).
 */
function keyFilter(prefix: string, suffix: string): Record<string, unknown> {
  if (prefix === '' && suffix === '') return {};
  const escape = (value: string) => value.replace(/\\/g, '\\\\');
  const matcher = prefix !== '' && suffix !== '' ? { wildcard: `${escape(prefix)}*${escape(suffix)}` } : prefix !== '' ? { prefix } : { suffix };
  return { object: { key: [matcher] } };
}
