import type { ChunkOutcome } from '../application/process-chunk.use-case.js';
import type { SplitOutcome } from '../application/split-log-object.use-case.js';

/** What the handlers report besides their result: structured logs and metrics. */
export interface HandlerTelemetry {
  splitFinished(outcome: SplitOutcome, context: { bucket: string; key: string; elapsedMs: number }): void;
  chunkProcessed(outcome: ChunkOutcome, context: { elapsedMs: number; receiveCount: number }): void;
  chunkFailed(context: { messageId: string; reason: string; deadLettered: boolean }): void;
  /** Flushes buffered metrics at the end of an invocation. */
  flush(): void;
}

/** Reports nothing: for the local runtime and tests, where the summary is the output. */
export const silentTelemetry: HandlerTelemetry = {
  splitFinished: () => undefined,
  chunkProcessed: () => undefined,
  chunkFailed: () => undefined,
  flush: () => undefined,
};
