import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { inject, injectable } from 'inversify';
import { BatchStatus, canSplit, deriveBatchId, isTerminal } from '../domain/batch.js';
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
  /**
   * Split objects already processed (their batch finished: COMPLETED, COMPLETED_WITH_ERRORS or FAILED) again, each
   * into a new batch; objects still being processed are skipped.
   */
  readonly reprocess?: boolean;
  /** Names this reprocess: each new batch id derives from the object and it. @default a random UUID */
  readonly reprocessId?: string;
  /** Called for each object listed, with what was decided for it. */
  readonly onObject?: (object: ObjectInfo, decision: BackfillDecision) => void;
  /** Waits between queued objects (tests pass a fake). @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * `queued`: no batch yet (or one whose split may be retried); `reprocess`: with `reprocess`, the batch has finished
 * and the object is queued for a new one; `done`: the batch exists (with `reprocess`: and is still being processed),
 * the duplicate case, which the splitter would skip too; `outside-range`: last modified outside `since`/`until`.
 */
export type BackfillDecision = 'queued' | 'reprocess' | 'done' | 'outside-range';

/** An object queued for a reprocess: the batch it had, and the new one its split will fill. */
export interface ReprocessedObject {
  readonly key: string;
  readonly previousBatchId: string;
  readonly batchId: string;
}

export interface BackfillSummary {
  readonly listed: number;
  /** Queued for a first split (with `dryRun`, would have been). */
  readonly queued: number;
  /** Queued for a split into a new batch, with `reprocess` (with `dryRun`, would have been). */
  readonly reprocessed: number;
  readonly skippedDone: number;
  readonly skippedOutsideRange: number;
  readonly dryRun: boolean;
  /** With `reprocess` and not `dryRun`: the id naming this reprocess, and each reprocessed object's batches. */
  readonly reprocessId?: string;
  readonly reprocessedBatches?: readonly ReprocessedObject[];
}

export const DEFAULT_BACKFILL_RATE_PER_SECOND = 10;

/**
 * Feeds objects already in a bucket to the splitter, as if each had just been uploaded: lists them, skips those
 * whose batch exists (processed, or being processed: the duplicate case), and queues the rest on the splitter's own
 * queue as S3 `ObjectCreated` notifications, at most `ratePerSecond` a second, so the splitter takes them through
 * the path its trigger queue's events take. With `reprocess`, objects whose batch has finished are queued too, as
 * reprocess requests: the splitter splits each into a new batch (a fresh id, so its entries and counters start
 * from nothing and no chunk of the old batch can count in it); the old batch stays as it was.
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
    const reprocessId = request.reprocess === true ? (request.reprocessId ?? randomUUID()) : undefined;
    const reprocessedBatches: ReprocessedObject[] = [];
    const counts: Record<BackfillDecision, number> = { queued: 0, reprocess: 0, done: 0, 'outside-range': 0 };
    let listed = 0;
    let nextSendAt = performance.now();

    for await (const object of this.objects.list(request.bucket, { prefix: request.prefix })) {
      listed++;
      const decision = await this.decide(object, request);
      counts[decision]++;
      if ((decision === 'queued' || decision === 'reprocess') && request.dryRun !== true) {
        // Paced from a schedule rather than by a fixed pause, so the time each send takes is not added to it.
        const waitMs = nextSendAt - performance.now();
        if (waitMs > 0) await sleep(waitMs);
        nextSendAt = Math.max(nextSendAt, performance.now() - intervalMs) + intervalMs;
        if (decision === 'queued') await this.splitter.requestSplit(object);
        else {
          await this.splitter.requestReprocess(object, reprocessId as string);
          reprocessedBatches.push({ key: object.key, previousBatchId: deriveBatchId(object), batchId: deriveBatchId(object, reprocessId) });
        }
      }
      request.onObject?.(object, decision);
    }
    return {
      listed,
      queued: counts.queued,
      reprocessed: counts.reprocess,
      skippedDone: counts.done,
      skippedOutsideRange: counts['outside-range'],
      dryRun: request.dryRun === true,
      ...(reprocessId === undefined || request.dryRun === true ? {} : { reprocessId, reprocessedBatches }),
    };
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
    if (batch === undefined || (canSplit(batch) && batch.status !== BatchStatus.SPLITTING)) return 'queued';
    // A batch still being split or processed is left to finish: a reprocess is for what has ended.
    return request.reprocess === true && isTerminal(batch.status) ? 'reprocess' : 'done';
  }
}
