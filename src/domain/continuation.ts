import * as z from 'zod';
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

/**
 * A request to split an object version again into a new batch (`logbatch backfill --reprocess`), sent to the
 * splitter's own queue. It is no S3 notification (no `Records`, `detail-type` or `Type`), so nothing S3 sends can
 * carry one; and the splitter derives the new batch id from the object and `reprocessId`, so a request can only make
 * a new batch of the object it names, never reach another object's batch.
 */
export interface ReprocessRequest {
  readonly v: 1;
  readonly reprocess: { readonly reprocessId: string };
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly size?: number;
  /** The object's last-modified time (ISO 8601), as an S3 event's time would give it. */
  readonly lastModified?: string;
}

const reprocessSchema = z.object({
  v: z.literal(1),
  reprocess: z.object({ reprocessId: z.string().min(1).max(128) }),
  bucket: z.string().min(1),
  key: z.string().min(1),
  etag: z.string().min(1),
  size: z.number().int().nonnegative().optional(),
  lastModified: z.string().optional(),
});

/** The reprocess request for an object version (the ETag bare, as S3 events carry it). */
export function reprocessRequest(
  object: { readonly bucket: string; readonly key: string; readonly etag: string; readonly size?: number; readonly lastModified?: string },
  reprocessId: string,
): ReprocessRequest {
  return {
    v: 1,
    reprocess: { reprocessId },
    bucket: object.bucket,
    key: object.key,
    etag: object.etag.replace(/"/g, ''),
    ...(object.size === undefined ? {} : { size: object.size }),
    ...(object.lastModified === undefined ? {} : { lastModified: object.lastModified }),
  };
}

export function decodeContinuation(body: string): SplitContinuation {
  return decodeMessage(continuationSchema, body, 'continuation') as SplitContinuation;
}

export function decodeReprocessRequest(body: string): ReprocessRequest {
  return decodeMessage(reprocessSchema, body, 'reprocess request') as ReprocessRequest;
}

/** True for a message body that claims to be a reprocess request (decode it to know whether it is a valid one). */
export function isReprocessRequestShaped(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'reprocess' in value;
}

function decodeMessage(schema: z.ZodType, body: string, what: string): unknown {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new MalformedChunkError(`${what} message is not JSON: ${(error as Error).message}`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MalformedChunkError(`${what} message is invalid at ${issue.path.join('.') || 'message'}: ${issue.message}`);
  }
  return result.data;
}
