import type { SQSEvent } from 'aws-lambda';
import type { ReceivedMessage } from '../../src/application/ports/queue-consumer.port.js';
import { objectCreatedEvent, sqsEvent } from '../../src/local/aws-events.js';

/** An S3 `ObjectCreated:Put` event as Lambda receives it (key URL-encoded, `+` for spaces). */
export function s3EventFactory(object: { bucket?: string; key: string; size?: number; etag?: string }) {
  return objectCreatedEvent({ bucket: object.bucket ?? 'ingest', key: object.key, size: object.size ?? 10, etag: object.etag ?? 'etag-1' });
}

/** An SQS event source batch with one record per body. */
export function sqsEventFactory(bodies: readonly string[], receiveCount = 1): SQSEvent {
  const messages: ReceivedMessage[] = bodies.map((body, index) => ({
    messageId: `m-${index}`,
    receiptHandle: `r-${index}`,
    body,
    receiveCount,
    sentTimestamp: Date.parse('2026-11-26T09:00:00Z'),
  }));
  return sqsEvent(messages);
}

/** The test event S3 sends (directly, or as a message body) when a notification configuration is saved. */
export function s3TestEventFactory(bucket = 'ingest') {
  return { Service: 'Amazon S3', Event: 's3:TestEvent' as const, Time: '2026-11-26T09:00:00.000Z', Bucket: bucket, RequestId: 'R', HostId: 'H' };
}

/** An SNS notification envelope around `message`, as SNS delivers it to SQS without raw message delivery. */
export function snsEnvelopeFactory(message: unknown, topicArn = 'arn:aws:sns:us-east-1:111122223333:uploads'): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: '5f3c3e3e-0000-4000-8000-000000000001',
    TopicArn: topicArn,
    Subject: 'Amazon S3 Notification',
    Message: JSON.stringify(message),
    Timestamp: '2026-11-26T09:00:01.000Z',
    SignatureVersion: '1',
    Signature: 'c2lnbmF0dXJl',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem',
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
  });
}

/** SNS delivering `message` to a Lambda function directly. */
export function snsEventFactory(message: unknown) {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:111122223333:uploads:sub',
        Sns: { ...(JSON.parse(snsEnvelopeFactory(message)) as Record<string, unknown>), MessageAttributes: {} },
      },
    ],
  };
}

/**
 * EventBridge's `Object Created` event from S3, as a rule delivers it (directly to Lambda, or as an SQS body).
 * The key is not URL-encoded there.
 */
export function eventBridgeObjectCreatedFactory(object: { bucket?: string; key: string; size?: number; etag?: string; time?: string }) {
  const bucket = object.bucket ?? 'ingest';
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created' as const,
    source: 'aws.s3' as const,
    account: '111122223333',
    time: object.time ?? '2026-11-26T09:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0' as const,
      bucket: { name: bucket },
      object: { key: object.key, size: object.size ?? 10, etag: object.etag ?? 'etag-1', 'version-id': 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e', sequencer: '617f08299329d189' },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '111122223333',
      'source-ip-address': '1.2.3.4',
      reason: 'PutObject' as const,
    },
  };
}
