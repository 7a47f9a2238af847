/** A mistake in how the command was called: one line on stderr, exit code 2, no stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT_OK = 0;
export const EXIT_BATCH_FAILED = 1;
export const EXIT_USAGE = 2;
