import { createHash } from 'node:crypto';
import type { S3Event, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ReceivedMessage } from '../application/ports/queue-consumer.port.js';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_QUEUE_ARN = `arn:aws:sqs:${LOCAL_REGION}:000000000000:logbatch-chunks`;
export const LOCAL_CONTINUATION_QUEUE_ARN = `arn:aws:sqs:${LOCAL_REGION}:000000000000:logbatch-continuations`;

/** URL-encodes a key the way S3 event notifications do: per path segment, spaces as `+`. */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');
}

export interface ObjectCreated {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  /** The event's time: when the object was written, if known. */
  readonly lastModified?: string;
}

/** An `ObjectCreated:Put` notification, shaped as S3 delivers it to Lambda. */
export function objectCreatedEvent(object: ObjectCreated, now = new Date()): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: LOCAL_REGION,
        eventTime: object.lastModified ?? now.toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:LOCAL' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'LOCAL', 'x-amz-id-2': 'LOCAL' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'logbatch-ingest',
          bucket: { name: object.bucket, ownerIdentity: { principalId: 'LOCAL' }, arn: `arn:aws:s3:::${object.bucket}` },
          object: {
            key: encodeS3EventKey(object.key),
            size: object.size,
            eTag: object.etag.replace(/"/g, ''),
            sequencer: now.getTime().toString(16).toUpperCase(),
          },
        },
      },
    ],
  };
}

/** An SQS event source batch, shaped as Lambda receives it. */
export function sqsEvent(messages: readonly ReceivedMessage[], queueArn = LOCAL_QUEUE_ARN, now = Date.now()): SQSEvent {
  return { Records: messages.map((message) => sqsRecord(message, queueArn, now)) };
}

function sqsRecord(message: ReceivedMessage, queueArn: string, now: number): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentTimestamp),
      SenderId: 'LOCAL',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    // Computed only if a handler reads it: hashing every 256 KiB body costs more than the rest of the event.
    get md5OfBody() {
      return createHash('md5').update(message.body).digest('hex');
    },
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}
