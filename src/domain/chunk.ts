import * as z from 'zod';
import { MalformedChunkError } from './errors.js';

/**
 * Version of the chunk message contract a splitter writes; a worker reads versions 1 and 2 and rejects others.
 * v1: one JSON document with `lines` as a JSON array. v2: a JSON header line, then the lines themselves, one per
 * line of the body (see {@link encodeChunk}) — no JSON escaping of every quote of every JSON log line, which made
 * v1 cost more CPU than parsing the lines and ~15% more bytes.
 */
export const CHUNK_MESSAGE_VERSION = 2;

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

/**
 * How people are shown an object: a local run's file by its path (the local object store's bucket is `local`, its
 * keys are the files' paths), anything else as an `s3://` URL.
 */
export function objectName(bucket: string, key: string): string {
  return bucket === 'local' ? key : `s3://${bucket}/${key}`;
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
  readonly v: 1 | 2;
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

/** The fields every version carries besides the lines. */
const chunkFields = z.object({
  batchId: z.string().min(1),
  chunk: z.number().int().nonnegative(),
  firstLine: z.number().int().positive(),
  source: z.object({ bucket: z.string(), key: z.string().min(1), etag: z.string() }),
  format: z.string().min(1),
  formatContext: z.record(z.string(), z.unknown()).optional(),
  truncated: z.record(z.string(), z.number().int().nonnegative()).optional(),
});

const chunkSchema = chunkFields.extend({ v: z.literal(1), lines: z.array(z.string().nullable()).min(1) });

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
  return escapeForSqs(JSON.stringify(value));
}

/** {@link sqsSafeJson} for a string that is already JSON. */
export function escapeForSqs(json: string): string {
  return SQS_UNSAFE.test(json) ? json.replace(SQS_UNSAFE_GLOBAL, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

/** A body line that stands for a continuation line (`null` in `lines`): escaped text never looks like this. */
export const CONTINUATION_MARKER = '\\N';

/** Characters a v2 line escapes: the escape character, newlines, and what SQS (or fauxqs) rejects. */
const LINE_NEEDS_ESCAPE = /[\u0000-\u0008\u000a-\u000c\u000e-\u001f\\\ud800-\udfff\ufffe\uffff]/;
const LINE_ESCAPES = /[\u0000-\u0008\u000a-\u000c\u000e-\u001f\\\ud800-\udfff\ufffe\uffff]/g;
const LINE_UNESCAPES = /\\(?:\\|n|u([0-9a-f]{4}))/g;

/** Escapes one event's text for a v2 body line: `\` → `\\`, newline → `\n`, other unsafe characters → `\uXXXX`. */
export function escapeLine(text: string): string {
  if (!LINE_NEEDS_ESCAPE.test(text)) return text;
  return text.replace(LINE_ESCAPES, (char) =>
    char === '\\' ? '\\\\' : char === '\n' ? '\\n' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The length (in UTF-16 units) of the longest prefix of `text` whose {@link escapeLine} encoding takes at most
 * `maxBytes` UTF-8 bytes, never ending between the two halves of a surrogate pair. A control character grows
 * sixfold when escaped, so cutting by the raw size can leave nothing of a line made of them.
 */
export function escapedPrefixLength(text: string, maxBytes: number): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    let size: number;
    if (code < 0x20) size = code === 0x0a ? 2 : code === 0x09 || code === 0x0d ? 1 : 6;
    else if (code === 0x5c) size = 2;
    else if (code < 0x80) size = 1;
    else if (code < 0x800) size = 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length && isLowSurrogate(text.charCodeAt(index + 1))) {
      // A pair is escaped as two \uXXXX escapes, and is kept or cut whole.
      if (bytes + 12 > maxBytes) return index;
      bytes += 12;
      index++;
      continue;
    } else if ((code >= 0xd800 && code <= 0xdfff) || code === 0xfffe || code === 0xffff) size = 6;
    else size = 3;
    if (bytes + size > maxBytes) return index;
    bytes += size;
  }
  return text.length;
}

const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

function unescapeLine(line: string): string {
  return line.replace(LINE_UNESCAPES, (escape: string, hex: string | undefined) =>
    hex !== undefined ? String.fromCharCode(Number.parseInt(hex, 16)) : escape === '\\\\' ? '\\' : '\n',
  );
}

/** The body line for one entry of `lines`. */
export function encodeLine(line: string | null): string {
  return line === null ? CONTINUATION_MARKER : escapeLine(line);
}

/** The v2 header: everything but the lines, plus how many there are. */
export function encodeChunkHeader(header: Omit<ChunkMessage, 'v' | 'lines'>, lineCount: number): string {
  const { batchId, chunk, firstLine, source, format, formatContext, truncated } = header;
  return sqsSafeJson({ v: CHUNK_MESSAGE_VERSION, batchId, chunk, firstLine, source, format, formatContext, truncated, lineCount });
}

/** Encodes a chunk message as a v2 body: a JSON header line, then one body line per entry of `lines`. */
export function encodeChunk(message: ChunkMessage): string {
  return `${encodeChunkHeader(message, message.lines.length)}\n${message.lines.map(encodeLine).join('\n')}`;
}

const headerSchema = chunkFields.extend({ v: z.literal(2), lineCount: z.number().int().positive() });

function invalid(error: z.ZodError): MalformedChunkError {
  const issue = error.issues[0];
  const where = issue.path.length > 0 ? issue.path.join('.') : 'message';
  return new MalformedChunkError(`chunk message is invalid at ${where}: ${issue.message}`);
}

/**
 * Parses and validates a message body (v2, or v1 from an older splitter). Throws {@link MalformedChunkError} naming
 * the first problem, so the message can be dead-lettered with a reason instead of retried.
 */
export function decodeChunk(body: string): ChunkMessage {
  const newline = body.indexOf('\n');
  let raw: unknown;
  try {
    raw = JSON.parse(newline === -1 ? body : body.slice(0, newline));
  } catch (error) {
    throw new MalformedChunkError(`chunk message is not JSON: ${(error as Error).message}`);
  }
  if ((raw as { v?: unknown } | null)?.v !== 2) {
    const result = chunkSchema.safeParse(raw);
    if (!result.success) throw invalid(result.error);
    if (newline !== -1) throw new MalformedChunkError('chunk message v1 must be a single JSON document');
    return result.data as ChunkMessage;
  }
  const header = headerSchema.safeParse(raw);
  if (!header.success) throw invalid(header.error);
  const lines: Array<string | null> = newline === -1 ? [] : body.slice(newline + 1).split('\n');
  if (lines.length !== header.data.lineCount) {
    throw new MalformedChunkError(`chunk message declares ${header.data.lineCount} line(s) but carries ${lines.length}`);
  }
  // In place, in one plain loop: this runs for every line, and most lines have nothing to unescape.
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line.includes('\\')) lines[index] = line === CONTINUATION_MARKER ? null : unescapeLine(line);
  }
  const { lineCount: _lineCount, ...fields } = header.data;
  return { ...fields, lines } as ChunkMessage;
}

/** Best-effort batch id and chunk index of a body that may not be valid, for DLQ bookkeeping. */
export function peekChunkIdentity(body: string): { batchId?: string; chunk?: number } {
  try {
    const newline = body.indexOf('\n');
    const raw = JSON.parse(newline === -1 ? body : body.slice(0, newline)) as { batchId?: unknown; chunk?: unknown };
    return {
      batchId: typeof raw.batchId === 'string' ? raw.batchId : undefined,
      chunk: typeof raw.chunk === 'number' ? raw.chunk : undefined,
    };
  } catch {
    return {};
  }
}
