import type { Context, SQSBatchResponse } from 'aws-lambda';
import type { SplitLogObject, SplitOutcome, SplitRequest } from '../application/split-log-object.use-case.js';
import { describeError } from '../domain/errors.js';
import { type CreatedObject, readSplitterMessage, type SplitterEvent, splitterWorkItems } from './splitter-events.js';
import { type HandlerTelemetry, silentTelemetry } from './telemetry.js';

export { decodeS3Key, type SplitterEvent } from './splitter-events.js';

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

export interface SplitterResult extends SQSBatchResponse {
  readonly outcomes: SplitOutcome['kind'][];
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
  const execute = async (request: SplitRequest) => {
    const started = Date.now();
    const outcome = await splitLogObject.execute({ ...request, shouldHandOver });
    telemetry.splitFinished(outcome, { bucket: request.bucket, key: request.key, elapsedMs: Date.now() - started });
    outcomes.push(outcome.kind);
  };
  const splitObjects = async (objects: readonly CreatedObject[]) => {
    for (const object of objects) await execute(object);
  };

  for (const item of splitterWorkItems(event)) {
    if (item.kind === 'objects') {
      // A direct event: an error fails the invocation, and Lambda retries the event.
      await splitObjects(item.objects);
      continue;
    }
    // A queue message (a trigger queue's notification, or a continuation): a failure is this message's alone,
    // reported so SQS retries it and, after maxReceiveCount, moves it to the queue's dead-letter queue.
    try {
      const message = readSplitterMessage(item.record.body);
      if (message.kind === 'objects') {
        await splitObjects(message.objects);
      } else if (message.kind === 'reprocess') {
        const { reprocess, bucket, key, etag, size, lastModified } = message.request;
        await execute({ bucket, key, etag, size, lastModified, reprocessId: reprocess.reprocessId });
      } else {
        const { continuation } = message;
        await execute({
          bucket: continuation.bucket,
          key: continuation.key,
          etag: continuation.etag,
          size: continuation.size,
          resume: continuation.resume,
          handOvers: continuation.handOvers,
        });
      }
    } catch (error) {
      telemetry.chunkFailed({ messageId: item.record.messageId, reason: describeError(error), deadLettered: false });
      batchItemFailures.push({ itemIdentifier: item.record.messageId });
    }
  }
  return { outcomes, batchItemFailures };
}
