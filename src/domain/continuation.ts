import { z } from 'zod';
import type { SplitCheckpoint } from './batch.js';
import type { FormatContext } from './chunk.js';
import { MalformedChunkError } from './errors.js';

/** Where a split stopped, with what it had decided about the file, so a continuation resumes identically. */
export interface SplitResume extends SplitCheckpoint {
  readonly batchId: string;
  readonly format: string;
  readonly formatContext?: FormatContext;
  /** The object is gzip: resume by re-reading from the start and skipping to `byteOffset`. */
  readonly gzip?: boolean;
  /** The object is UTF-16 text, decoded as it streams: offsets are in the decoded text, so resume re-reads too. */
  readonly utf16?: boolean;
  /** The file is read as CloudTrail documents, in record space (see `CloudTrailDocumentReader`). */
  readonly documents?: boolean;
  /** With `documents`: records to skip among those the documents starting at `byteOffset` produce. */
  readonly recordIndex?: number;
}

/** The message a splitter hands the rest of a file over with (it consumes these itself). */
export interface SplitContinuation {
  readonly v: 1;
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly size?: number;
  readonly resume: SplitResume;
  /** How many hand-overs came before this one, for logs and a runaway guard. */
  readonly handOvers: number;
}

const continuationSchema = z.object({
  v: z.literal(1),
  bucket: z.string(),
  key: z.string().min(1),
  etag: z.string(),
  size: z.number().int().nonnegative().optional(),
  handOvers: z.number().int().nonnegative(),
  resume: z.object({
    batchId: z.string().min(1),
    format: z.string().min(1),
    formatContext: z.record(z.string(), z.unknown()).optional(),
    gzip: z.boolean().optional(),
    utf16: z.boolean().optional(),
    documents: z.boolean().optional(),
    recordIndex: z.number().int().nonnegative().optional(),
    byteOffset: z.number().int().nonnegative(),
    nextLineNumber: z.number().int().positive(),
    nextChunkIndex: z.number().int().nonnegative(),
  }),
});

export function decodeContinuation(body: string): SplitContinuation {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new MalformedChunkError(`continuation message is not JSON: ${(error as Error).message}`);
  }
  const result = continuationSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MalformedChunkError(`continuation message is invalid at ${issue.path.join('.') || 'message'}: ${issue.message}`);
  }
  return result.data as SplitContinuation;
}
