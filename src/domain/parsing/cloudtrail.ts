import type { PositionedEvent } from '../event-assembler.js';
import type { RawLine } from '../line-splitter.js';

/**
 * AWS CloudTrail delivers one JSON document per file, `{"Records": [ {...}, {...} ]}`, usually on one line and
 * sometimes pretty-printed. logbatch stores one entry per record: the splitter recognises the document with
 * {@link looksLikeCloudTrail} and turns it into record lines with {@link cloudTrailRecords}, which the `cloudtrail`
 * line parser reads.
 */

const CLOUDTRAIL_START = /^\uFEFF?\s*\{\s*"Records"\s*:\s*\[/;

/**
 * True when `head` (the first bytes of the decompressed file, decoded) starts a `{"Records":[` document,
 * whitespace and a byte-order mark allowed.
 */
export function looksLikeCloudTrail(head: string): boolean {
  return CLOUDTRAIL_START.test(head);
}

/**
 * The records of a CloudTrail document, each re-serialised as one compact JSON line, in order.
 * Throws an Error naming the problem when the document is not JSON or has no `Records` array.
 */
export function cloudTrailRecords(document: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document.charCodeAt(0) === 0xfeff ? document.slice(1) : document);
  } catch (error) {
    throw new Error(`CloudTrail document is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('CloudTrail document is not a JSON object');
  }
  const records = (parsed as { Records?: unknown }).Records;
  if (!Array.isArray(records)) throw new Error('CloudTrail document has no "Records" array');
  return records.map((record) => JSON.stringify(record));
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Streams a file of CloudTrail documents — one, pretty-printed over many lines, or many, one per line or
 * back to back — into one event per record, in record space: each event is a record as a compact JSON line.
 *
 * Nothing is lost on bad input: a document that is not valid JSON, has no `Records` array, or is cut off at the
 * end of the file becomes one event holding its text (the worker stores it unparsed), and text between
 * documents that is not JSON becomes one such event per line.
 *
 * Every event carries where a split can resume before it: the byte offset of the line on which the chain of
 * documents it belongs to starts, and how many events that chain produced before it (`recordIndex`). A reader
 * created with `skipEvents` set to that count, fed from that line, continues exactly where the first stopped.
 */
export class CloudTrailDocumentReader {
  private readonly parts: string[] = [];
  private bytes = 0;
  private inDocument = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private anchorOffset = 0;
  private eventsSinceAnchor = 0;
  private skip: number;

  constructor(
    private readonly maxDocumentBytes: number,
    skipEvents = 0,
  ) {
    this.skip = skipEvents;
  }

  push(line: RawLine, out: PositionedEvent[]): void {
    const text = line.text;
    // A document cut short (its closing brackets missing) ends where the next one visibly starts.
    if (this.inDocument && CLOUDTRAIL_START.test(text)) this.abandonDocument(out);
    // A line that starts outside any document anchors the events of the documents that start on it.
    if (!this.inDocument) {
      this.anchorOffset = line.byteOffset;
      this.eventsSinceAnchor = 0;
    }
    let position = 0;
    while (position < text.length) {
      if (!this.inDocument) {
        while (position < text.length && isSpace(text.charCodeAt(position))) position++;
        if (position === text.length) break;
        const first = text.charCodeAt(position);
        if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
          this.emit(text.slice(position), out);
          return;
        }
        this.inDocument = true;
        this.depth = 0;
        this.inString = false;
        this.escaped = false;
      }
      const end = this.scan(text, position);
      if (end === -1) {
        this.append(text.slice(position));
        return;
      }
      this.append(text.slice(position, end));
      this.completeDocument(out);
      position = end;
    }
    // JSON strings hold no raw line break: a document whose line ends inside a string is malformed, and ends here.
    if (this.inDocument && this.inString) this.abandonDocument(out);
  }

  /** Emits a document cut off by the end of the file as it is. */
  flush(out: PositionedEvent[]): void {
    if (this.inDocument) this.abandonDocument(out);
  }

  /** Ends the open document as malformed: its text becomes one event, stored unparsed. */
  private abandonDocument(out: PositionedEvent[]): void {
    const text = this.parts.join('\n').trimEnd();
    this.parts.length = 0;
    this.bytes = 0;
    this.inDocument = false;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    if (text !== '') this.emit(text, out);
  }

  /** Index just past the character that closes the document, or -1 when it goes on past this line. */
  private scan(text: string, from: number): number {
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    for (let index = from; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (inString) {
        if (escaped) escaped = false;
        else if (code === BACKSLASH) escaped = true;
        else if (code === QUOTE) inString = false;
      } else if (code === QUOTE) {
        inString = true;
      } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
        depth++;
      } else if ((code === CLOSE_BRACE || code === CLOSE_BRACKET) && --depth <= 0) {
        this.depth = 0;
        this.inString = false;
        this.escaped = false;
        return index + 1;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    return -1;
  }

  private append(part: string): void {
    this.parts.push(part);
    this.bytes += part.length + 1;
    if (this.bytes > this.maxDocumentBytes) {
      throw new DocumentTooLargeError(`CloudTrail document larger than ${this.maxDocumentBytes} bytes`);
    }
  }

  private completeDocument(out: PositionedEvent[]): void {
    const text = this.parts.length === 1 ? this.parts[0] : this.parts.join('\n');
    this.parts.length = 0;
    this.bytes = 0;
    this.inDocument = false;
    let records: unknown;
    try {
      records = (JSON.parse(text) as { Records?: unknown } | null)?.Records;
    } catch {
      records = undefined;
    }
    if (!Array.isArray(records)) {
      this.emit(text, out);
      return;
    }
    for (const record of records) {
      let line: string;
      try {
        line = JSON.stringify(record) ?? 'null';
      } catch (error) {
        line = `CloudTrail record could not be re-serialised: ${(error as Error).message}`;
      }
      this.emit(line, out);
    }
  }

  private emit(text: string, out: PositionedEvent[]): void {
    const recordIndex = this.eventsSinceAnchor++;
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    out.push({ text, lineCount: 1, byteOffset: this.anchorOffset, recordIndex });
  }
}

/** A single CloudTrail document too large to hold; the file cannot be split (not a transient failure). */
export class DocumentTooLargeError extends Error {
  override readonly name = 'DocumentTooLargeError';
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0xfeff;
}
