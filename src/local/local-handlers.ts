import type { Container } from 'inversify';
import type { ProcessChunk } from '../application/process-chunk.use-case.js';
import type { SplitLogObject } from '../application/split-log-object.use-case.js';
import { TOKENS } from '../di/tokens.js';
import { createSplitterHandler } from '../handlers/splitter.js';
import { createWorkerHandler } from '../handlers/worker.js';

/** The real splitter and worker handlers over a container, as the local runtime invokes them (no telemetry). */
export function createLocalHandlers(container: Container) {
  return {
    splitter: createSplitterHandler(() => ({ splitLogObject: container.get<SplitLogObject>(TOKENS.SplitLogObject) })),
    worker: createWorkerHandler(() => ({ processChunk: container.get<ProcessChunk>(TOKENS.ProcessChunk) })),
  };
}
