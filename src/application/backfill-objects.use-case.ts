import { setTimeout as delay } from 'node:timers/promises';
import { inject, injectable } from 'inversify';
import { BatchStatus, canSplit, deriveBatchId } from '../domain/batch.js';
import { TOKENS } from '../di/tokens.js';
import type { LogRepository } from './ports/log-repository.port.js';
import type { ObjectInfo, ObjectStore } from './ports/object-store.port.js';
import type { SplitContinuations } from './ports/split-continuations.port.js';

export interface BackfillRequest {
  readonly bucket: string;
  /** Only keys starting with this. @default every key */
  readonly prefix?: string;
  /** Only objects last modified at or after this time. */
  readonly since?: Date;
  /** Only objects last modified before this time. */
  readonly until?: Date;
  /** Objects queued per second at most. @default 10 */
  readonly ratePerSecond?: number;
  /** List and decide, queue nothing. */
  readonly dryRun?: boolean;
  /** Called for each object listed, with what was decided for it. */
  readonly onObject?: (object: ObjectInfo, decision: BackfillDecision) => void;
  /** Waits between queued objects (tests pass a fake). @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * `queued`: no batch yet (or one whose split may be retried); `done`: the batch exists, the duplicate case, which
 * the splitter would skip too; `outside-range`: last modified outside `since`/`until`.
 */
export type BackfillDecision = 'queued' | 'done' | 'outside-range';

export interface BackfillSummary {
  readonly listed: number;
  /** Queued for a split (with `dryRun`, would have been). */
  readonly queued: number;
  readonly skippedDone: number;
  readonly skippedOutsideRange: number;
  readonly dryRun: boolean;
}

export const DEFAULT_BACKFILL_RATE_PER_SECOND = 10;

/**
 * Feeds objects already in a bucket to the splitter, as if each had just been uploaded: lists them, skips those
 * whose batch exists (processed, or being processed: the duplicate case), and queues the rest on the splitter's own
 * queue as S3 `ObjectCreated` notifications, at most `ratePerSecond` a second, so the splitter takes them through
 * the path its trigger queue's events take.
 */
@injectable()
export class BackfillObjects {
  constructor(
    @inject(TOKENS.ObjectStore) private readonly objects: ObjectStore,
    @inject(TOKENS.LogRepository) private readonly repository: LogRepository,
    @inject(TOKENS.SplitContinuations) private readonly splitter: SplitContinuations,
  ) {}

  async execute(request: BackfillRequest): Promise<BackfillSummary> {
    const rate = request.ratePerSecond ?? DEFAULT_BACKFILL_RATE_PER_SECOND;
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`ratePerSecond must be a positive number, got ${rate}`);
    const sleep = request.sleep ?? ((ms: number) => delay(ms));
    const intervalMs = 1000 / rate;
    let listed = 0;
    let queued = 0;
    let skippedDone = 0;
    let skippedOutsideRange = 0;
    let nextSendAt = performance.now();

    for await (const object of this.objects.list(request.bucket, { prefix: request.prefix })) {
      listed++;
      const decision = await this.decide(object, request);
      if (decision === 'done') skippedDone++;
      else if (decision === 'outside-range') skippedOutsideRange++;
      else {
        queued++;
        if (request.dryRun !== true) {
          // Paced from a schedule rather than by a fixed pause, so the time each send takes is not added to it.
          const waitMs = nextSendAt - performance.now();
          if (waitMs > 0) await sleep(waitMs);
          nextSendAt = Math.max(nextSendAt, performance.now() - intervalMs) + intervalMs;
          await this.splitter.requestSplit(object);
        }
      }
      request.onObject?.(object, decision);
    }
    return { listed, queued, skippedDone, skippedOutsideRange, dryRun: request.dryRun === true };
  }

  private async decide(object: ObjectInfo, request: BackfillRequest): Promise<BackfillDecision> {
    if (request.since !== undefined || request.until !== undefined) {
      const modified = object.lastModified === undefined ? Number.NaN : Date.parse(object.lastModified);
      if (Number.isNaN(modified)) return 'outside-range';
      if (request.since !== undefined && modified < request.since.getTime()) return 'outside-range';
      if (request.until !== undefined && modified >= request.until.getTime()) return 'outside-range';
    }
    const batch = await this.repository.getBatch(deriveBatchId(object));
    // A batch whose split failed on something worth retrying is split again by the splitter: queue it.
    return batch === undefined || (canSplit(batch) && batch.status !== BatchStatus.SPLITTING) ? 'queued' : 'done';
  }
}
