import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { assertIntegerInRange, InvalidPropsError } from '../validation.js';
import { VISIBILITY_TIMEOUT_FACTOR } from './chunk-queue.js';
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
  /** The bucket whose uploads trigger splits; the splitter may read exactly its filtered objects. */
  readonly ingestBucket: IngestBucket;
  /** The splitter function. */
  readonly splitter: LambdaFunction;
  /** The splitter's timeout: the trigger queue's visibility timeout is 6 × it. */
  readonly splitterTimeout: Duration;
  /**
   * The splitter's reserved concurrency. Its continuation queue takes at most half (at least 2); the trigger queue
   * takes the rest (at least 2), so new objects and hand-overs never together exceed it.
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
 * Wires the ingest bucket to the splitter by the chosen {@link SplitterTriggerKind}. Queue-fed triggers consume one
 * message per invocation, report partial batch failures, and dead-letter a message to the failed-splits queue
 * after 5 receives, where the `FailedSplitsNotEmpty` alarm sees it.
 */
export class SplitterTrigger extends Construct {
  readonly trigger: SplitterTriggerKind;
  /** The queue that feeds the splitter (`eventbridge` and `sqs` triggers). */
  readonly queue?: Queue;
  /** The rule that puts the bucket's `Object Created` events on {@link queue} (`eventbridge` trigger). */
  readonly rule?: Rule;

  constructor(scope: Construct, id: string, props: SplitterTriggerProps) {
    super(scope, id);
    this.trigger = props.trigger ?? 'notification';
    if (!(SPLITTER_TRIGGERS as readonly string[]).includes(this.trigger)) {
      throw new InvalidPropsError('SplitterTrigger', 'trigger', `expected one of ${SPLITTER_TRIGGERS.join(', ')}, got "${this.trigger}"`);
    }
    const reservedConcurrency = props.splitterReservedConcurrency ?? 10;
    assertIntegerInRange('SplitterTrigger', 'splitterReservedConcurrency', reservedConcurrency, 2, 10_000);
    const { ingestBucket, splitter } = props;

    if (this.trigger === 'notification') {
      ingestBucket.connectSplitter(splitter);
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
    if (this.trigger === 'sqs') {
      ingestBucket.notifyQueueOnObjectCreated(this.queue);
    } else {
      ingestBucket.sendEventsToEventBridge();
      this.rule = new Rule(this, 'ObjectCreatedRule', {
        description: 'logbatch: uploads to the ingest bucket, to the splitter trigger queue',
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: { bucket: { name: [ingestBucket.bucketName] }, ...keyFilter(ingestBucket.keyPrefix, ingestBucket.keySuffix) },
        },
        targets: [new SqsQueue(this.queue, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
      });
    }
    ingestBucket.grantReadObjects(splitter);
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
