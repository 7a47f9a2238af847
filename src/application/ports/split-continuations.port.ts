import type { SplitContinuation } from '../../domain/continuation.js';
import type { ObjectInfo } from './object-store.port.js';

/**
 * The splitter's own queue (SQS on AWS; see docs/architecture.md for why not a self-invocation): where a splitter
 * that runs out of time hands the rest of its file, and where objects no event announced are queued for a split.
 */
export interface SplitContinuations {
  handOver(continuation: SplitContinuation): Promise<void>;
  /**
   * Queues an existing object for a split as an S3 `ObjectCreated` notification, so the splitter takes it exactly as
   * it takes an upload's event from a queue (a backfill).
   */
  requestSplit(object: ObjectInfo): Promise<void>;
  /**
   * Queues an object version already split for a split into a new batch, named by `reprocessId` (a backfill with
   * `--reprocess`): a reprocess request (`src/domain/continuation.ts`), which no S3 notification can stand for.
   */
  requestReprocess(object: ObjectInfo, reprocessId: string): Promise<void>;
}
