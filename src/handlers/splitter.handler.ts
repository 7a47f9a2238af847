import { createSplitterHandler } from './splitter.js';
import { resolveSplitter } from './splitter-runtime.js';

/** The deployed entry point: AWS adapters from the environment, resolved on the first invocation. */
export const handler = createSplitterHandler(() => resolveSplitter());
