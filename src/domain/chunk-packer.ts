import { CONTINUATION_MARKER, type EncodedChunk, encodeChunkHeader, escapedPrefixLength, escapeLine, type FormatContext, MAX_MESSAGE_BYTES, type ObjectRef } from './chunk.js';
import { isBlankLine, truncateUtf8 } from './line-splitter.js';
import { opensPrivateKeyBlock, PRIVATE_KEY_BEGIN } from './parsing/multiline.js';

/** One event to pack: a line, a multi-line event, or a blank line. */
export interface LogEvent {
  /** The event's text; lines of a multi-line event are joined by `\n`. Empty for a blank line. */
  readonly text: string;
  /** Physical lines the event covers (1 + continuation lines). @default 1 (a line is an event as it is) */
  readonly lineCount?: number;
  /** Known to be all ASCII (the splitter sees it from the byte count): its encoded size is its length. */
  readonly ascii?: boolean;
  /** Set when the event was already cut (a multi-line event beyond its caps): its full size in bytes. */
  readonly originalBytes?: number;
}

export interface ChunkPackerOptions {
  readonly batchId: string;
  readonly source: ObjectRef;
  readonly format: string;
  readonly formatContext?: FormatContext;
  /** Byte budget of one message body (≤ 1 MiB). */
  readonly maxChunkBytes: number;
  /** Physical lines per chunk at most; 1 reproduces one message per line. */
  readonly maxChunkLines: number;
  /** An event longer than this (UTF-8 bytes) is cut to it and marked truncated. */
  readonly maxEventBytes: number;
  readonly firstChunkIndex?: number;
  readonly firstLineNumber?: number;
}

export const DEFAULT_MAX_EVENT_BYTES = 128 * 1024;
/** Room kept in each message for its `truncated` map entries. */
const TRUNCATION_NOTE_BYTES = 24;

const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Most UTF-8 bytes one UTF-16 code unit escapes to (`\u0001`; a surrogate pair is two `\uXXXX` escapes). */
const MAX_ESCAPED_BYTES_PER_UNIT = 6;

/** True when a line of the event opens a PEM private key block: such an event is never split at its lines. */
const holdsPrivateKeyBlock = (text: string, lines: readonly string[]): boolean =>
  text.indexOf(PRIVATE_KEY_BEGIN) !== -1 && lines.some((line) => opensPrivateKeyBlock(line));

/**
 * Packs events into chunk messages by byte and line budget, encoding each line once. An event never spans two
 * chunks. A multi-line event too large for any chunk (or beyond `maxEventBytes`) is split at its lines: the longest
 * run of whole lines that fits is one event, the lines after it the next, so every line is stored and a piece that
 * starts with a continuation line is an entry of its own. Only a single line too large for any chunk is cut to fit and
 * recorded in `truncated` (and a multi-line event holding a PEM private key block, which is cut whole, never split:
 * stored apart, its lines would escape the private-key redactor).
 */
export class ChunkPacker {
  private readonly envelopeBytes: number;
  private readonly chunkRoom: number;
  /** The encoded lines so far, newline-separated, built by concatenation (faster here than join; see docs/performance.md). */
  private lines = '';
  private partBytes = 0;
  /** Exact UTF-8 bytes of the encoded lines, each with a trailing comma. */
  private linesBytes = 0;
  private lineCount = 0;
  private truncated: Record<string, number> | undefined;
  private chunkIndex: number;
  private firstLine: number;

  constructor(private readonly options: ChunkPackerOptions) {
    if (options.maxChunkBytes > MAX_MESSAGE_BYTES) {
      throw new RangeError(`maxChunkBytes ${options.maxChunkBytes} exceeds the SQS limit of ${MAX_MESSAGE_BYTES}`);
    }
    if (options.maxChunkLines < 1) throw new RangeError('maxChunkLines must be at least 1');
    this.chunkIndex = options.firstChunkIndex ?? 0;
    this.firstLine = options.firstLineNumber ?? 1;
    // The envelope with the widest possible numbers, so the real one is never larger.
    this.envelopeBytes = utf8Length(this.header(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)) + 1 + TRUNCATION_NOTE_BYTES;
    this.chunkRoom = options.maxChunkBytes - this.envelopeBytes;
    if (this.chunkRoom < 64) {
      throw new RangeError(`maxChunkBytes ${options.maxChunkBytes} leaves no room for lines after the message envelope`);
    }
  }

  /** Index the next chunk will get. */
  get nextChunkIndex(): number {
    return this.chunkIndex;
  }

  /** Line number the open (pending) chunk starts at. */
  get openChunkFirstLine(): number {
    return this.firstLine;
  }

  /** Line number the next chunk will start at (after pending lines). */
  get nextLineNumber(): number {
    return this.firstLine + this.lineCount;
  }

  get hasPending(): boolean {
    return this.lineCount > 0;
  }

  /** Adds an event; returns the chunk it closed, if adding it overflowed the current one. */
  add(event: LogEvent, out: EncodedChunk[]): void {
    const lineCount = event.lineCount ?? 1;
    if (lineCount > 1 && event.originalBytes === undefined && !this.fitsWhole(event.text, lineCount)) {
      const lines = event.text.split('\n');
      // An event the assembler already cut (a key block) or whose lines hold a newline of their own is not split.
      if (lines.length === lineCount && !holdsPrivateKeyBlock(event.text, lines)) {
        this.addSplit(lines, event.ascii, out);
        return;
      }
    }
    this.addEvent(event, out);
  }

  /** True when a multi-line event is stored whole: within `maxEventBytes` and, escaped, within an empty chunk. */
  private fitsWhole(text: string, lineCount: number): boolean {
    const room = this.roomFor(lineCount);
    // Hot path: no escape makes a code unit longer than 6 bytes, nor its UTF-8 longer than 3.
    if (text.length * MAX_ESCAPED_BYTES_PER_UNIT <= room && text.length * 3 <= this.options.maxEventBytes) return true;
    return utf8Length(text) <= this.options.maxEventBytes && utf8Length(escapeLine(text)) <= room;
  }

  /** Room for an event's encoded text in an empty chunk, after its continuation markers. */
  private roomFor(lineCount: number): number {
    return Math.max(64, this.chunkRoom - (lineCount - 1) * (CONTINUATION_MARKER.length + 1));
  }

  /**
   * Adds the lines of a multi-line event too large to store whole as consecutive events: each the longest run of
   * whole lines that fits (at least one line, which is cut as any line if it does not fit alone). Line numbers stay
   * right, as they are counted from the events' line counts.
   */
  private addSplit(lines: readonly string[], ascii: boolean | undefined, out: EncodedChunk[]): void {
    const { maxEventBytes } = this.options;
    let start = 0;
    while (start < lines.length) {
      // Sizes of the joined run so far: its `\n`s are one byte each in UTF-8 and two escaped.
      let textBytes = -1;
      let encodedBytes = -2;
      let end = start;
      while (end < lines.length) {
        const nextText = textBytes + 1 + utf8Length(lines[end]);
        const nextEncoded = encodedBytes + 2 + utf8Length(escapeLine(lines[end]));
        if (end > start && (nextText > maxEventBytes || nextEncoded > this.roomFor(end - start + 1))) break;
        textBytes = nextText;
        encodedBytes = nextEncoded;
        end++;
      }
      const text = end === start + 1 ? lines[start] : lines.slice(start, end).join('\n');
      this.addEvent({ text, lineCount: end - start, ...(ascii === undefined ? {} : { ascii }) }, out);
      start = end;
    }
  }

  private addEvent(event: LogEvent, out: EncodedChunk[]): void {
    let text = event.text;
    let originalBytes = event.originalBytes;
    if (text.length * 3 > this.options.maxEventBytes) {
      const textBytes = utf8Length(text);
      if (textBytes > this.options.maxEventBytes) {
        originalBytes ??= textBytes;
        text = truncateUtf8(text, this.options.maxEventBytes);
      }
    }
    let encoded = escapeLine(text);
    // Hot path: ASCII text escapes to ASCII, whose UTF-8 size is its length; no need to measure it.
    let bytes = event.ascii === true && originalBytes === undefined ? encoded.length : utf8Length(encoded);
    // Room for the event's continuation markers, so a long multi-line event still fits one chunk.
    const lineCount = event.lineCount ?? 1;
    const continuationBytes = (lineCount - 1) * (CONTINUATION_MARKER.length + 1);
    const room = this.roomFor(lineCount);
    if (bytes > room) {
      // Escapes make the encoding longer than the text: keep the longest prefix whose encoding fits.
      originalBytes ??= utf8Length(event.text);
      text = text.slice(0, escapedPrefixLength(text, room));
      encoded = escapeLine(text);
      bytes = utf8Length(encoded);
    }
    if (originalBytes !== undefined && event.originalBytes === undefined && isBlankLine(text) && isBlankLine(event.text)) {
      // A line of nothing but spaces stays blank when cut; a cut that leaves only the spaces of a longer line does
      // not make it blank (the worker stores a truncated event whatever its text).
      text = '';
      encoded = '';
      bytes = 0;
      originalBytes = undefined;
    }
    const addedBytes = bytes + 1 + continuationBytes + (originalBytes === undefined ? 0 : TRUNCATION_NOTE_BYTES);
    if (
      this.lineCount > 0 &&
      (this.envelopeBytes + this.partBytes + addedBytes > this.options.maxChunkBytes ||
        this.lineCount + lineCount > this.options.maxChunkLines)
    ) {
      out.push(this.emit());
    }
    if (originalBytes !== undefined) {
      this.truncated ??= {};
      this.truncated[String(this.lineCount)] = originalBytes;
    }
    this.lines = this.lineCount === 0 ? encoded : `${this.lines}\n${encoded}`;
    for (let i = 1; i < lineCount; i++) this.lines = `${this.lines}\n${CONTINUATION_MARKER}`;
    this.partBytes += addedBytes;
    this.linesBytes += bytes + 1 + continuationBytes;
    this.lineCount += lineCount;
    if (this.lineCount >= this.options.maxChunkLines) out.push(this.emit());
  }

  /** Emits the last, partly filled chunk. */
  flush(out: EncodedChunk[]): void {
    if (this.lineCount > 0) out.push(this.emit());
  }

  private header(chunk: number, firstLine: number, lineCount: number): string {
    const { batchId, source, format, formatContext } = this.options;
    return encodeChunkHeader({ batchId, chunk, firstLine, source, format, formatContext, truncated: this.truncated }, lineCount);
  }

  private emit(): EncodedChunk {
    const header = this.header(this.chunkIndex, this.firstLine, this.lineCount);
    const body = `${header}\n${this.lines}`;
    // Flattened here, once (indexOf flattens a concatenated string): a chunk waiting in the queue is then one string
    // outside the young generation instead of a thousand line strings the garbage collector copies while it waits.
    body.indexOf('\n');
    // The lines were measured as they came, each with its newline: the header's newline stands for the last one's.
    const bytes = utf8Length(header) + this.linesBytes;
    const chunk: EncodedChunk = { chunk: this.chunkIndex, body, bytes };
    this.chunkIndex += 1;
    this.firstLine += this.lineCount;
    this.lines = '';
    this.partBytes = 0;
    this.linesBytes = 0;
    this.lineCount = 0;
    this.truncated = undefined;
    return chunk;
  }
}
