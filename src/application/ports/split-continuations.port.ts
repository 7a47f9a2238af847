import type { SplitContinuation } from '../../domain/continuation.js';

/**
 * Where a splitter that runs out of time hands the rest of its file: a queue the splitter itself consumes
 * (SQS on AWS; see docs/architecture.md for why not a self-invocation).
 */
export interface SplitContinuations {
  handOver(continuation: SplitContinuation): Promise<void>;
}
