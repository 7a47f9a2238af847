/** Injection tokens: one Symbol per port, setting and use case. */
export const TOKENS = {
  ObjectStore: Symbol.for('logbatch.ObjectStore'),
  ChunkQueue: Symbol.for('logbatch.ChunkQueue'),
  SplitContinuations: Symbol.for('logbatch.SplitContinuations'),
  LogRepository: Symbol.for('logbatch.LogRepository'),
  /** The consuming side of the chunk queue and its DLQ: the local runtime and the operator tools use it. */
  QueueConsumer: Symbol.for('logbatch.QueueConsumer'),
  DeadLetters: Symbol.for('logbatch.DeadLetters'),
  Clock: Symbol.for('logbatch.Clock'),
  PipelineSettings: Symbol.for('logbatch.PipelineSettings'),
  SplitLogObject: Symbol.for('logbatch.SplitLogObject'),
  ProcessChunk: Symbol.for('logbatch.ProcessChunk'),
  BackfillObjects: Symbol.for('logbatch.BackfillObjects'),
} as const;

export type Token = (typeof TOKENS)[keyof typeof TOKENS];
