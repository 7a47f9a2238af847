import type { S3Event, S3EventRecord } from 'aws-lambda';
import type { SplitLogObject, SplitOutcome } from '../application/split-log-object.use-case.js';
import { type HandlerTelemetry, silentTelemetry } from './telemetry.js';

export interface SplitterDependencies {
  readonly splitLogObject: SplitLogObject;
  readonly telemetry?: HandlerTelemetry;
}

/** S3 sends `{"Event": "s3:TestEvent", ...}` when a notification is configured; it carries no records. */
type SplitterEvent = S3Event | { Event: 's3:TestEvent' };

/** S3 event keys are URL-encoded with `+` for spaces. */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/**
 * The splitter Lambda: one split per `ObjectCreated` record. Dependencies are resolved once per cold start
 * (`resolve` is called on the first invocation only).
 */
export function createSplitterHandler(resolve: () => SplitterDependencies) {
  let dependencies: SplitterDependencies | undefined;
  return async (event: SplitterEvent): Promise<{ outcomes: SplitOutcome['kind'][] }> => {
    dependencies ??= resolve();
    const { splitLogObject, telemetry = silentTelemetry } = dependencies;
    if (!('Records' in event) || !Array.isArray(event.Records)) return { outcomes: [] };
    const outcomes: SplitOutcome['kind'][] = [];
    for (const record of event.Records.filter(isObjectCreated)) {
      const started = Date.now();
      const bucket = record.s3.bucket.name;
      const key = decodeS3Key(record.s3.object.key);
      const outcome = await splitLogObject.execute({
        bucket,
        key,
        etag: record.s3.object.eTag ?? record.s3.object.versionId,
        size: record.s3.object.size,
      });
      telemetry.splitFinished(outcome, { bucket, key, elapsedMs: Date.now() - started });
      outcomes.push(outcome.kind);
    }
    telemetry.flush();
    return { outcomes };
  };
}

function isObjectCreated(record: S3EventRecord): boolean {
  return typeof record.eventName === 'string' && record.eventName.startsWith('ObjectCreated') && record.s3 !== undefined;
}

