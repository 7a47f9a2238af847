import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { inject, injectable } from 'inversify';
import type { ObjectInfo } from '../../application/ports/object-store.port.js';
import type { SplitContinuations } from '../../application/ports/split-continuations.port.js';
import { objectCreatedEvent } from '../../local/aws-events.js';
import type { AwsConfig } from '../../config/config.js';
import { AWS_TOKENS } from '../../di/aws.tokens.js';
import { reprocessRequest, type SplitContinuation } from '../../domain/continuation.js';
import { ConfigurationError } from '../../domain/errors.js';
import { type RetryPolicy, retryPolicy, withTransientRetries } from './retry.js';

/**
 * {@link SplitContinuations} on SQS: the rest of a file is handed over as a JSON message on the continuation queue
 * (`LOGBATCH_CONTINUATION_QUEUE_URL`), which the splitter consumes. Throttling and 5xx are retried with backoff.
 * Without a configured queue, a hand-over fails with a {@link ConfigurationError} naming the variable.
 */
@injectable()
export class SqsSplitContinuations implements SplitContinuations {
  private readonly retry: RetryPolicy;

  constructor(
    @inject(AWS_TOKENS.SqsClient) private readonly sqs: SQSClient,
    @inject(AWS_TOKENS.AwsConfig) private readonly config: Pick<AwsConfig, 'continuationQueueUrl'>,
    @inject(AWS_TOKENS.RetryPolicy) retry: Partial<RetryPolicy> = {},
  ) {
    this.retry = retryPolicy(retry);
  }

  async handOver(continuation: SplitContinuation): Promise<void> {
    const queueUrl = this.config.continuationQueueUrl;
    if (queueUrl === undefined) {
      throw new ConfigurationError(
        `cannot hand over the rest of s3://${continuation.bucket}/${continuation.key}: LOGBATCH_CONTINUATION_QUEUE_URL is not set`,
      );
    }
    await withTransientRetries(() => this.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(continuation) })), this.retry);
  }

  /** Sends an S3 `ObjectCreated` notification for `object` to the continuation queue, which the splitter consumes. */
  async requestSplit(object: ObjectInfo): Promise<void> {
    await this.queueForSplit(object, JSON.stringify(objectCreatedEvent(object)));
  }

  /** Sends a reprocess request for `object` to the continuation queue. */
  async requestReprocess(object: ObjectInfo, reprocessId: string): Promise<void> {
    await this.queueForSplit(object, JSON.stringify(reprocessRequest(object, reprocessId)));
  }

  private async queueForSplit(object: ObjectInfo, body: string): Promise<void> {
    const queueUrl = this.config.continuationQueueUrl;
    if (queueUrl === undefined) {
      throw new ConfigurationError(`cannot queue s3://${object.bucket}/${object.key} for a split: LOGBATCH_CONTINUATION_QUEUE_URL is not set`);
    }
    await withTransientRetries(() => this.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body })), this.retry);
  }

  /**
   * Takes (receives and deletes) one pending continuation body, for the local runtime playing the splitter's SQS
   * trigger; on AWS the event source mapping does this.
   */
  async take(): Promise<string | undefined> {
    const queueUrl = this.config.continuationQueueUrl;
    if (queueUrl === undefined) return undefined;
    const response = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }));
    const message = response.Messages?.[0];
    if (message?.Body === undefined) return undefined;
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    return message.Body;
  }
}
