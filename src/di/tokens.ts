/** Injection tokens: one Symbol per port, setting and use case. */
export const TOKENS = {
  ObjectStore: Symbol.for('logbatch.ObjectStore'),
  ChunkQueue: Symbol.for('logbatch.ChunkQueue'),
  SplitContinuations: Symbol.for('logbatch.SplitContinuations'),
  LogRepository: Symbol.for('logbatch.LogRepository'),
  Clock: Symbol.for('logbatch.Clock'),
  PipelineSettings: Symbol.for('logbatch.PipelineSettings'),
  SplitLogObject: Symbol.for('logbatch.SplitLogObject'),
  ProcessChunk: Symbol.for('logbatch.ProcessChunk'),
} as const;

export type Token = (typeof TOKENS)[keyof typeof TOKENS];
