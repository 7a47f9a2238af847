import { Duration, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import { AccountRootPrincipal, AnyPrincipal, Effect, type Grant, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONFIG_VARIABLES } from '../../../src/config/config.js';
import { MAX_MESSAGE_BYTES } from '../../../src/domain/chunk.js';
import { assertDurationInRange, assertIntegerInRange, InvalidPropsError } from '../validation.js';

/** SQS's largest message (1 MiB since 2025, the application's `MAX_MESSAGE_BYTES`); queues default to 256 KiB. */
export const MAX_MESSAGE_SIZE_BYTES = MAX_MESSAGE_BYTES;
/** AWS's guidance for a Lambda event source: the visibility timeout is at least six times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Props of {@link ChunkQueue}. */
export interface ChunkQueueProps {
  /**
   * The worker function's timeout; the visibility timeout is validated against it, so a chunk is not delivered
   * again while a worker (or the event source's retries of a throttled invocation) may still be processing it.
   */
  readonly workerTimeout: Duration;
  /**
   * How long a received chunk stays invisible. At least 6 × `workerTimeout`, at most 12 hours.
   * @default 6 × workerTimeout
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Receives before SQS moves a chunk to the DLQ. The worker reads the same number (`LOGBATCH_MAX_RECEIVE_COUNT`)
   * to dead-letter a chunk itself, with a reason, on its last attempt. AWS recommends at least 5 for a Lambda
   * event source, so throttled deliveries do not exhaust it.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long an unprocessed chunk stays in the chunk queue. SQS deletes older messages without dead-lettering
   * them (their batches would stay SPLIT), so the default is SQS's longest.
   * @default Duration.days(14)
   */
  readonly retentionPeriod?: Duration;
  /**
   * How long a dead-lettered chunk stays in the DLQ, counted from when it was first sent to the chunk queue (SQS
   * keeps a message's original enqueue time when it moves it): at least the source queue's retention. At the default
   * 14 days for both (SQS's longest), a chunk that took N days to fail keeps 14 − N days in the DLQ; the
   * DeadLetterQueueNotEmpty alarm fires within minutes of its arrival, long before that.
   * @default Duration.days(14)
   */
  readonly deadLetterRetentionPeriod?: Duration;
  /**
   * What happens to both queues when the stack is deleted.
   * @default RemovalPolicy.DESTROY (queues hold work in flight, not records)
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * IAM principal ARNs (roles or users) that may send to the chunk queue besides the splitter and the redrive role,
   * for example an existing operators' role that runs `logbatch dlq redrive`. Everyone else is denied by the
   * queue policy, whatever their identity policies allow.
   * @default - only the splitter and {@link ChunkQueue.redriveRole}
   */
  readonly additionalSenderArns?: readonly string[];
}

const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[a-z-]+\/.+$/;

/**
 * The standard queue of chunk messages between the splitter and the worker, and its dead-letter queue. Both are
 * encrypted with SQS-managed keys, accept only TLS requests, and take messages up to 1 MiB.
 */
export class ChunkQueue extends Construct {
  /** The chunk queue the splitter sends to and the worker consumes. */
  readonly queue: Queue;
  /** Chunks that failed `maxReceiveCount` times, or that the worker dead-lettered with a reason. */
  readonly deadLetterQueue: Queue;
  /** The redrive threshold (also given to both functions as `LOGBATCH_MAX_RECEIVE_COUNT`). */
  readonly maxReceiveCount: number;
  /** The chunk queue's visibility timeout. */
  readonly visibilityTimeout: Duration;
  /**
   * The role that moves dead-lettered chunks back (`logbatch dlq redrive`, or SQS's `StartMessageMoveTask`):
   * principals of this account with `sts:AssumeRole` on it assume it, since the queue accepts sends only from
   * the splitter and this role.
   */
  readonly redriveRole: Role;

  /** Principal ARNs the queue policy lets send; the splitter's role joins when it is connected. */
  private readonly senderArns: string[] = [];

  constructor(scope: Construct, id: string, props: ChunkQueueProps) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    const minimumVisibility = Duration.seconds(props.workerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR);
    const visibilityTimeout = props.visibilityTimeout ?? minimumVisibility;
    const retentionPeriod = props.retentionPeriod ?? Duration.days(14);
    const deadLetterRetentionPeriod = props.deadLetterRetentionPeriod ?? Duration.days(14);
    assertDurationInRange('ChunkQueue', 'workerTimeout', props.workerTimeout, Duration.seconds(1), Duration.minutes(15));
    assertIntegerInRange('ChunkQueue', 'maxReceiveCount', maxReceiveCount, 5, 1000);
    assertDurationInRange('ChunkQueue', 'visibilityTimeout', visibilityTimeout, minimumVisibility, Duration.hours(12));
    assertDurationInRange('ChunkQueue', 'retentionPeriod', retentionPeriod, Duration.minutes(1), Duration.days(14));
    assertDurationInRange(
      'ChunkQueue',
      'deadLetterRetentionPeriod',
      deadLetterRetentionPeriod,
      Duration.minutes(1),
      Duration.days(14),
    );
    if (deadLetterRetentionPeriod.toSeconds() < retentionPeriod.toSeconds()) {
      throw new InvalidPropsError(
        'ChunkQueue',
        'deadLetterRetentionPeriod',
        `must be at least the chunk queue's retentionPeriod (${retentionPeriod.toHumanString()}), or dead-lettered chunks expire early`,
      );
    }

    for (const arn of props.additionalSenderArns ?? []) {
      if (!IAM_PRINCIPAL_ARN.test(arn)) throw new InvalidPropsError('ChunkQueue', 'additionalSenderArns', `"${arn}" is not an IAM role or user ARN`);
    }

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    this.maxReceiveCount = maxReceiveCount;
    this.visibilityTimeout = visibilityTimeout;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
      retentionPeriod: deadLetterRetentionPeriod,
      removalPolicy,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
      visibilityTimeout,
      retentionPeriod,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
      removalPolicy,
    });
    this.redriveRole = this.createRedriveRole();
    this.senderArns.push(this.redriveRole.roleArn, ...(props.additionalSenderArns ?? []));
    this.restrictSenders();
  }

  /**
   * Identity policies in the account may allow `sqs:SendMessage` on every queue; the queue's own policy denies it
   * to every principal but the listed ones, so nothing else can inject chunks. (`SendMessageBatch` is authorised as
   * `SendMessage`.)
   */
  private restrictSenders(): void {
    this.queue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheSplitterAndTheRedrivePathSend',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.senderArns }) } },
      }),
    );
  }

  /** Receives from the DLQ (or starts a move task on it) and sends back to the chunk queue — nothing else. */
  private createRedriveRole(): Role {
    const role = new Role(this, 'RedriveRole', {
      assumedBy: new AccountRootPrincipal(),
      description: 'logbatch: moves dead-lettered chunks back to the chunk queue (logbatch dlq redrive, StartMessageMoveTask)',
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:StartMessageMoveTask',
          'sqs:ListMessageMoveTasks',
          'sqs:CancelMessageMoveTask',
        ],
        resources: [this.deadLetterQueue.queueArn],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: [this.queue.queueArn],
      }),
    );
    return role;
  }

  /**
   * The splitter sends chunks (SendMessage/SendMessageBatch) to the chunk queue. It is not granted the DLQ: it gets
   * the DLQ's URL only because the handlers share one validated configuration.
   */
  connectSplitter(splitter: LambdaFunction): Grant {
    this.addQueueEnvironment(splitter);
    if (splitter.role === undefined) throw new InvalidPropsError('ChunkQueue', 'connectSplitter', 'the splitter has no execution role');
    this.senderArns.push(splitter.role.roleArn);
    return this.queue.grantSendMessages(splitter);
  }

  /**
   * The worker consumes the chunk queue through an event source mapping that reports partial batch failures, and
   * sends poison chunks to the DLQ itself (with a reason) on their last receive.
   */
  connectWorker(worker: LambdaFunction, options: ChunkConsumerOptions): Grant {
    this.addQueueEnvironment(worker);
    worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: options.batchSize,
        maxBatchingWindow: options.maxBatchingWindow,
        maxConcurrency: options.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    return this.deadLetterQueue.grantSendMessages(worker);
  }

  private addQueueEnvironment(fn: LambdaFunction): void {
    fn.addEnvironment(CONFIG_VARIABLES.queueUrl, this.queue.queueUrl);
    fn.addEnvironment(CONFIG_VARIABLES.deadLetterQueueUrl, this.deadLetterQueue.queueUrl);
    // Equal to the redrive policy's: the worker dead-letters a chunk itself, with a reason, on that receive.
    fn.addEnvironment(CONFIG_VARIABLES.maxReceiveCount, String(this.maxReceiveCount));
  }
}

/** How the worker's event source mapping polls the chunk queue (validated by the worker construct). */
export interface ChunkConsumerOptions {
  readonly batchSize: number;
  readonly maxBatchingWindow?: Duration;
  readonly maxConcurrency: number;
}
