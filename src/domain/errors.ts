/**
 * Base class of every error logbatch raises on purpose. `code` is stable and machine-readable; `message`
 * is for people. What can be recorded (an unparsable line) is data, not an exception: only what stops a
 * unit of work (a chunk, a file) is thrown.
 */
export abstract class LogBatchError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A queue message that is not a valid chunk: it goes to the DLQ with this error's message as the reason. */
export class MalformedChunkError extends LogBatchError {
  readonly code = 'MALFORMED_CHUNK';
}

/** Codes a batch can fail with; each names what the operator should look at. */
export type BatchFailureCode =
  | 'UNREADABLE_OBJECT'
  | 'BINARY_CONTENT'
  | 'CORRUPT_GZIP'
  | 'QUEUE_UNAVAILABLE'
  | 'DEAD_LETTERED_CHUNKS'
  | 'OBJECT_CHANGED'
  | 'DOCUMENT_TOO_LARGE'
  | 'SPLIT_FAILED';

/** A file that cannot be split (missing, binary, corrupt): the batch is marked FAILED with this reason. */
export class SplitFailedError extends LogBatchError {
  constructor(
    readonly code: BatchFailureCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The object named by an event does not exist (deleted between the event and the read). */
export class ObjectNotFoundError extends LogBatchError {
  readonly code = 'OBJECT_NOT_FOUND';
}

/**
 * The object no longer has the ETag a read was pinned to: it was overwritten after the batch was created (or during
 * the read). Reading on would mix two versions of the file in one batch; the new version has its own event and batch.
 */
export class ObjectChangedError extends LogBatchError {
  readonly code = 'OBJECT_CHANGED';
  readonly bucket: string;
  readonly key: string;
  /** The ETag the read was pinned to (unquoted). */
  readonly expectedEtag: string;
  /** The object's ETag now (unquoted), when the store could tell. */
  readonly actualEtag?: string;

  constructor(
    object: { bucket: string; key: string; expectedEtag: string; actualEtag?: string; /** @default s3://bucket/key */ name?: string },
    options?: { cause?: unknown },
  ) {
    const name = object.name ?? `s3://${object.bucket}/${object.key}`;
    const now = object.actualEtag === undefined ? 'the object has another one now' : `the object has ${object.actualEtag} now`;
    super(`${name} was overwritten: the read is pinned to ETag ${object.expectedEtag}, ${now}`, options);
    this.bucket = object.bucket;
    this.key = object.key;
    this.expectedEtag = object.expectedEtag;
    this.actualEtag = object.actualEtag;
  }
}

/** A referenced batch does not exist in the repository. */
export class BatchNotFoundError extends LogBatchError {
  readonly code = 'BATCH_NOT_FOUND';
}

/** Configuration is missing or malformed; the message names the variable. */
/** A page cursor this backend did not print (garbled, tampered with, or from another query or store). */
export class UnknownCursorError extends LogBatchError {
  readonly code = 'UNKNOWN_CURSOR';

  constructor(message = 'not a cursor this backend printed', options?: { cause?: unknown }) {
    super(message, options);
  }

  /**
   * By its code, not `instanceof`: a backend loaded with a dynamic `import()` (the SQLite adapters) can come from
   * another instance of this module than the caller's when both run from sources through a loader (tsx under mocha).
   */
  static is(error: unknown): error is UnknownCursorError {
    return error instanceof Error && (error as { code?: unknown }).code === 'UNKNOWN_CURSOR';
  }
}

export class ConfigurationError extends LogBatchError {
  readonly code = 'INVALID_CONFIGURATION';
}

/** A dependency stayed unavailable after bounded retries (throttling, 5xx, connection resets). */
export class TransientFailureError extends LogBatchError {
  readonly code = 'TRANSIENT_FAILURE_EXHAUSTED';
}

/** Describes any thrown value in one line, for reasons stored in batches and DLQ messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
