import { createWorkerHandler } from './worker.js';
import { resolveWorker } from './lambda-runtime.js';

/** The deployed entry point: AWS adapters from the environment, resolved on the first invocation. */
export const handler = createWorkerHandler((context) => resolveWorker(context));
