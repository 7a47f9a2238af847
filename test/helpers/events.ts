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
