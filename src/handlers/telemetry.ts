import type { Context } from 'aws-lambda';
import type { ChunkOutcome } from '../application/process-chunk.use-case.js';
import type { SplitOutcome } from '../application/split-log-object.use-case.js';

/** What the handlers report besides their result: structured logs and metrics. */
export interface HandlerTelemetry {
  /**
   * Called first in every invocation with Lambda's context (absent when a local runtime invokes the handler), so
   * logs carry the request id, function and cold start.
   */
  invocationStarted?(context: Context | undefined): void;
  splitFinished(outcome: SplitOutcome, context: { bucket: string; key: string; elapsedMs: number }): void;
  chunkProcessed(outcome: ChunkOutcome, context: { elapsedMs: number; receiveCount: number }): void;
  chunkFailed(context: { messageId: string; reason: string; deadLettered: boolean }): void;
  /** Flushes buffered metrics at the end of an invocation, whether it returned or threw. */
  flush(): void;
}

/** Reports nothing: for the local runtime and tests, where the summary is the output. */
export const silentTelemetry: HandlerTelemetry = {
  splitFinished: () => undefined,
  chunkProcessed: () => undefined,
  chunkFailed: () => undefined,
  flush: () => undefined,
};
