import { z } from 'zod';
import { MalformedChunkError } from './errors.js';

/** Version of the chunk message contract; a worker rejects versions it does not know. */
export const CHUNK_MESSAGE_VERSION = 1;

/** SQS's message size limit (raised from 256 KiB in 2025); also the most `SendMessageBatch` carries per call. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** `SendMessageBatch` takes at most 10 entries. */
export const MAX_MESSAGES_PER_SEND = 10;
export const DEFAULT_MAX_CHUNK_BYTES = 256 * 1024;
export const DEFAULT_MAX_CHUNK_LINES = 5_000;

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  /** ETag (or version id) of the object version the batch was created for. */
  readonly etag: string;
}

/** Format-level context a worker needs to parse a chunk on its own (e.g. a `#Fields` header). */
export interface FormatContext {
  readonly fields?: readonly string[];
  readonly [key: string]: unknown;
}

/**
 * The queue message contract: a run of consecutive lines of one file.
 *
 * `lines[i]` is line `firstLine + i` of the file: a string for a line that starts an event (a multi-line event
 * holds all its lines joined by `\n`), `""` for a blank line (counted, not stored) and `null` for a line that was
 * joined into the event before it. So every line of the file is accounted for by position.
 */
export interface ChunkMessage {
  readonly v: typeof CHUNK_MESSAGE_VERSION;
  readonly batchId: string;
  /** 0-based index of the chunk in its batch. */
  readonly chunk: number;
  /** 1-based number of the first line of the chunk in the original file. */
  readonly firstLine: number;
  readonly source: ObjectRef;
  readonly format: string;
  readonly formatContext?: FormatContext;
  readonly lines: ReadonlyArray<string | null>;
  /** Index in `lines` → original byte length, for events cut to the item budget. */
  readonly truncated?: Readonly<Record<string, number>>;
}

const chunkSchema = z.object({
  v: z.literal(CHUNK_MESSAGE_VERSION),
  batchId: z.string().min(1),
  chunk: z.number().int().nonnegative(),
  firstLine: z.number().int().positive(),
  source: z.object({ bucket: z.string(), key: z.string().min(1), etag: z.string() }),
  format: z.string().min(1),
  formatContext: z.record(z.string(), z.unknown()).optional(),
  lines: z.array(z.string().nullable()).min(1),
  truncated: z.record(z.string(), z.number().int().nonnegative()).optional(),
});

/** A chunk message ready to send: encoded once, so its size is known before it is batched. */
export interface EncodedChunk {
  /** Chunk index, unique within the batch; used as the batch entry id. */
  readonly chunk: number;
  readonly body: string;
  /** UTF-8 byte length of `body`. */
  readonly bytes: number;
}

/** Identity of a chunk for logs, DLQ listings and idempotency keys. */
export function chunkLabel(message: Pick<ChunkMessage, 'batchId' | 'chunk'>): string {
  return `${message.batchId}#${message.chunk}`;
}

const SQS_UNSAFE = /[\ud800-\udfff\ufffe\uffff]/;
const SQS_UNSAFE_GLOBAL = /[\ud800-\udfff\ufffe\uffff]/g;

/**
 * JSON that any SQS implementation accepts as a message body. SQS allows only some Unicode: JSON.stringify already
 * escapes control characters; this also escapes surrogate pairs (emoji, which some implementations reject) and the
 * noncharacters U+FFFE/U+FFFF (which SQS rejects), as `\uXXXX` escapes that JSON.parse turns back into the text.
 */
export function sqsSafeJson(value: unknown): string {
  const json = JSON.stringify(value);
  return SQS_UNSAFE.test(json) ? json.replace(SQS_UNSAFE_GLOBAL, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

export function encodeChunk(message: ChunkMessage): string {
  return sqsSafeJson(message);
}

/**
 * Parses and validates a message body. Throws {@link MalformedChunkError} naming the first problem,
 * so the message can be dead-lettered with a reason instead of retried.
 */
export function decodeChunk(body: string): ChunkMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new MalformedChunkError(`chunk message is not JSON: ${(error as Error).message}`);
  }
  const result = chunkSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join('.') : 'message';
    throw new MalformedChunkError(`chunk message is invalid at ${where}: ${issue.message}`);
  }
  return result.data as ChunkMessage;
}

/** Best-effort batch id and chunk index of a body that may not be valid, for DLQ bookkeeping. */
export function peekChunkIdentity(body: string): { batchId?: string; chunk?: number } {
  try {
    const raw = JSON.parse(body) as { batchId?: unknown; chunk?: unknown };
    return {
      batchId: typeof raw.batchId === 'string' ? raw.batchId : undefined,
      chunk: typeof raw.chunk === 'number' ? raw.chunk : undefined,
    };
  } catch {
    return {};
  }
}
