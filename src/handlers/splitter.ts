import type { Context, S3Event, S3EventRecord, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { SplitLogObject, SplitOutcome } from '../application/split-log-object.use-case.js';
import { decodeContinuation } from '../domain/continuation.js';
import { describeError } from '../domain/errors.js';
import { type HandlerTelemetry, silentTelemetry } from './telemetry.js';

export interface SplitterDependencies {
  readonly splitLogObject: SplitLogObject;
  readonly telemetry?: HandlerTelemetry;
  /**
   * Hand the rest of a file over when less than this much time is left in the invocation, leaving room to send
   * the pending chunks and the continuation. Used as given when set (tests force hand-overs with it).
   * @default a quarter of the time left when the invocation starts, at most 60000 (see {@link handOverMarginFor})
   */
  readonly handOverMarginMs?: number;
}

/** S3 sends `{"Event": "s3:TestEvent", ...}` when a notification is configured; it carries no records. */
type S3TestEvent = { Event: 's3:TestEvent' };
export type SplitterEvent = S3Event | SQSEvent | S3TestEvent;
export interface SplitterResult extends SQSBatchResponse {
  readonly outcomes: SplitOutcome['kind'][];
}

/** S3 event keys are URL-encoded with `+` for spaces. */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/** The most time the splitter keeps back to hand over: flushing ≤ 10 chunks and the continuation takes seconds. */
export const MAX_HAND_OVER_MARGIN_MS = 60_000;
/** Share of an invocation's time kept back, so a function whose timeout is near the margin still makes progress. */
const HAND_OVER_MARGIN_SHARE = 0.25;

/**
 * The default hand-over margin for an invocation that starts with `remainingMs` left: a quarter of it, at most
 * 60 s. A fixed 60 s would leave a splitter with a timeout of 60 s or less no time to work: it would hand over
 * at every chunk.
 */
export function handOverMarginFor(remainingMs: number): number {
  return Math.min(MAX_HAND_OVER_MARGIN_MS, Math.floor(remainingMs * HAND_OVER_MARGIN_SHARE));
}

/**
 * Lambda's context; absent locally unless the runtime plays a time limit, when it may carry only
 * `getRemainingTimeInMillis`.
 */
type SplitterContext = Pick<Context, 'getRemainingTimeInMillis'> & Partial<Context>;

/**
 * The splitter Lambda: one split per `ObjectCreated` record, and one resumed split per continuation message (from
 * the continuation queue, which this function consumes too). Dependencies are resolved once per cold start.
 */
export function createSplitterHandler(resolve: () => SplitterDependencies) {
  let dependencies: SplitterDependencies | undefined;
  return async (event: SplitterEvent, context?: SplitterContext): Promise<SplitterResult> => {
    dependencies ??= resolve();
    const { splitLogObject, telemetry = silentTelemetry } = dependencies;
    // A local runtime's stand-in (only the remaining time) is no Lambda context for the logger.
    telemetry.invocationStarted?.(context?.awsRequestId === undefined ? undefined : (context as Context));
    try {
      return await split(event, splitLogObject, telemetry, context, dependencies.handOverMarginMs);
    } finally {
      // Metrics of the files done before an error are published too.
      telemetry.flush();
    }
  };
}

async function split(
  event: SplitterEvent,
  splitLogObject: SplitLogObject,
  telemetry: HandlerTelemetry,
  context: SplitterContext | undefined,
  handOverMarginMs: number | undefined,
): Promise<SplitterResult> {
  let shouldHandOver: (() => boolean) | undefined;
  if (context !== undefined) {
    const marginMs = handOverMarginMs ?? handOverMarginFor(context.getRemainingTimeInMillis());
    shouldHandOver = () => context.getRemainingTimeInMillis() < marginMs;
  }
  const outcomes: SplitOutcome['kind'][] = [];
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  if (!('Records' in event) || !Array.isArray(event.Records)) return { outcomes, batchItemFailures };

  for (const record of event.Records) {
    const started = Date.now();
    if ('s3' in record) {
      if (!isObjectCreated(record)) continue;
      const bucket = record.s3.bucket.name;
      const key = decodeS3Key(record.s3.object.key);
      const outcome = await splitLogObject.execute({
        bucket,
        key,
        etag: record.s3.object.eTag ?? record.s3.object.versionId,
        size: record.s3.object.size,
        // An ObjectCreated event is sent when the write completes: its time is the object's last-modified time.
        lastModified: record.eventTime,
        shouldHandOver,
      });
      telemetry.splitFinished(outcome, { bucket, key, elapsedMs: Date.now() - started });
      outcomes.push(outcome.kind);
    } else {
      try {
        const continuation = decodeContinuation(record.body);
        const outcome = await splitLogObject.execute({
          bucket: continuation.bucket,
          key: continuation.key,
          etag: continuation.etag,
          size: continuation.size,
          resume: continuation.resume,
          handOvers: continuation.handOvers,
          shouldHandOver,
        });
        telemetry.splitFinished(outcome, { bucket: continuation.bucket, key: continuation.key, elapsedMs: Date.now() - started });
        outcomes.push(outcome.kind);
      } catch (error) {
        telemetry.chunkFailed({ messageId: record.messageId, reason: describeError(error), deadLettered: false });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
  }
  return { outcomes, batchItemFailures };
}

function isObjectCreated(record: S3EventRecord): boolean {
  return typeof record.eventName === 'string' && record.eventName.startsWith('ObjectCreated') && record.s3 !== undefined;
}
