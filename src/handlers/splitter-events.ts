import type { S3Event, S3EventRecord, S3NotificationEvent, SNSEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeContinuation, decodeReprocessRequest, isReprocessRequestShaped, type ReprocessRequest, type SplitContinuation } from '../domain/continuation.js';
import { MalformedChunkError } from '../domain/errors.js';

/** S3 sends `{"Event": "s3:TestEvent", ...}` when a notification is configured; it carries no records. */
export type S3TestEvent = { Event: 's3:TestEvent' };

/**
 * Everything the splitter is invoked with: an S3 notification (directly, or through SNS), an EventBridge event
 * from S3, or an SQS batch whose bodies are any of those or the splitter's own continuations.
 */
export type SplitterEvent = S3Event | SQSEvent | SNSEvent | S3NotificationEvent | S3TestEvent;

/** An object an event says was created, with the key decoded. */
export interface CreatedObject {
  readonly bucket: string;
  readonly key: string;
  /**
   * The ETag the event names; absent, the splitter asks the store. Never the version id: the read is pinned with
   * `If-Match`, which a version id never matches (the object would be reported as overwritten and never split).
   */
  readonly etag?: string;
  readonly size?: number;
  /** When the write completed (the event's time): the object's last-modified time. */
  readonly lastModified?: string;
}

/** What one SQS message on a splitter queue asks for. */
export type SplitterMessage =
  | { readonly kind: 'objects'; readonly objects: readonly CreatedObject[] }
  | { readonly kind: 'continuation'; readonly continuation: SplitContinuation }
  | { readonly kind: 'reprocess'; readonly request: ReprocessRequest };

/** One unit of the splitter's work: a record of a direct event, or an SQS message (reported alone when it fails). */
export type SplitterWorkItem =
  | { readonly kind: 'objects'; readonly objects: readonly CreatedObject[] }
  | { readonly kind: 'queued'; readonly record: SQSRecord };

/**
 * S3 event keys are URL-encoded with `+` for spaces. S3 itself always writes a `%` of the key as `%25`; a `%` that
 * starts no escape (`100%.log`, `a%zz.log`, from an event written by hand or by another tool), and an escaped byte
 * that starts or continues no UTF-8 character, are kept as they stand, so one such record cannot throw for the whole
 * invocation and its neighbours.
 */
export function decodeS3Key(encoded: string): string {
  return encoded.replace(/\+/g, ' ').replace(/(?:%[0-9A-Fa-f]{2})+/g, decodeEscapes);
}

/** A run of `%XX` escapes decoded one UTF-8 character at a time; an escape that is no part of one stays as written. */
function decodeEscapes(run: string): string {
  let decoded = '';
  for (let index = 0; index < run.length; ) {
    const lead = Number.parseInt(run.slice(index + 1, index + 3), 16);
    const bytes = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    try {
      decoded += decodeURIComponent(run.slice(index, index + bytes * 3));
      index += bytes * 3;
    } catch {
      decoded += run.slice(index, index + 3);
      index += 3;
    }
  }
  return decoded;
}

/**
 * Splits an invocation into work items. Unknown shapes give no work: Lambda only invokes the splitter with what
 * its triggers send, and an exception here could only make AWS retry something that will never parse.
 */
export function splitterWorkItems(event: SplitterEvent): SplitterWorkItem[] {
  const invocation: unknown = event;
  if (isRecord(invocation) && Array.isArray(invocation.Records)) {
    return (invocation.Records as unknown[]).map((record): SplitterWorkItem => {
      if (isRecord(record) && typeof record.body === 'string' && typeof record.messageId === 'string') {
        return { kind: 'queued', record: record as unknown as SQSRecord };
      }
      if (isRecord(record) && isRecord(record.Sns)) return { kind: 'objects', objects: objectsInNotification(parseJson(record.Sns.Message)) };
      return { kind: 'objects', objects: objectsInNotification({ Records: [record] }) };
    });
  }
  return [{ kind: 'objects', objects: objectsInNotification(invocation) }];
}

/**
 * Reads the body of a message on a splitter queue: an S3 notification (as S3 sends it to a queue, wrapped in an SNS
 * envelope, or delivered raw by SNS), an EventBridge event from S3 (a rule targeting the queue), a continuation or
 * a reprocess request (`src/domain/continuation.ts`). The shapes do not overlap: a continuation has `v`, `resume`,
 * a reprocess request `v`, `reprocess`, and neither has `Records`, `detail-type` or `Type`. Whatever an S3
 * notification carries besides its objects is ignored, so no S3 event (whatever its key) asks for a reprocess.
 * Throws `MalformedChunkError` for anything else.
 */
export function readSplitterMessage(body: string): SplitterMessage {
  const parsed = parseJson(body);
  const notification = isSnsEnvelope(parsed) ? parseJson(parsed.Message) : parsed;
  if (isS3Notification(notification)) return { kind: 'objects', objects: objectsInNotification(notification) };
  if (isSnsEnvelope(parsed)) {
    throw new MalformedChunkError(`SNS message on the splitter's queue is not an S3 notification: ${preview(parsed.Message)}`);
  }
  if (isReprocessRequestShaped(parsed)) return { kind: 'reprocess', request: decodeReprocessRequest(body) };
  try {
    return { kind: 'continuation', continuation: decodeContinuation(body) };
  } catch (error) {
    throw new MalformedChunkError(
      `message on the splitter's queue is neither an S3 notification (direct, SNS or EventBridge), a continuation nor a reprocess request: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The created objects of an S3 notification in any of its shapes; none for a test event, deletions and the like. */
function objectsInNotification(notification: unknown): CreatedObject[] {
  if (!isRecord(notification)) return [];
  if (notification['detail-type'] !== undefined) return objectInEventBridgeEvent(notification);
  if (!Array.isArray(notification.Records)) return []; // s3:TestEvent, or nothing we know
  return (notification.Records as unknown[]).filter(isObjectCreatedRecord).map((record) => ({
    bucket: record.s3.bucket.name,
    key: decodeS3Key(record.s3.object.key),
    etag: record.s3.object.eTag,
    size: record.s3.object.size,
    // An ObjectCreated event is sent when the write completes: its time is the object's last-modified time.
    lastModified: record.eventTime,
  }));
}

/** EventBridge's `Object Created` (keys are not URL-encoded there, unlike S3 notifications). */
function objectInEventBridgeEvent(event: Record<string, unknown>): CreatedObject[] {
  if (event.source !== 'aws.s3' || event['detail-type'] !== 'Object Created' || !isRecord(event.detail)) return [];
  const { bucket, object } = event.detail;
  if (!isRecord(bucket) || !isRecord(object) || typeof bucket.name !== 'string' || typeof object.key !== 'string') return [];
  const etag = typeof object.etag === 'string' ? object.etag : undefined;
  return [
    {
      bucket: bucket.name,
      key: object.key,
      etag,
      size: typeof object.size === 'number' ? object.size : undefined,
      lastModified: typeof event.time === 'string' ? event.time : undefined,
    },
  ];
}

function isObjectCreatedRecord(record: unknown): record is S3EventRecord {
  return (
    isRecord(record) &&
    typeof record.eventName === 'string' &&
    record.eventName.startsWith('ObjectCreated') &&
    isRecord(record.s3) &&
    isRecord(record.s3.bucket) &&
    isRecord(record.s3.object) &&
    typeof record.s3.object.key === 'string'
  );
}

/** S3's own notification (records or test event) or an EventBridge event from S3. */
function isS3Notification(value: unknown): boolean {
  if (!isRecord(value)) return false;
  if (value.Event === 's3:TestEvent') return true;
  if (value.source === 'aws.s3' && typeof value['detail-type'] === 'string') return true;
  return Array.isArray(value.Records) && value.Records.every((record) => isRecord(record) && isRecord(record.s3));
}

function isSnsEnvelope(value: unknown): value is { Type: 'Notification'; Message: string } {
  return isRecord(value) && value.Type === 'Notification' && typeof value.Message === 'string';
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function preview(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
