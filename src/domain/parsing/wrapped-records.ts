import type { PositionedEvent } from '../event-assembler.js';
import type { RawLine } from '../line-splitter.js';

/**
 * Files whose lines are not the events: JSON documents that wrap records. logbatch stores one entry per inner
 * record, numbered across the file (record space: `lines` counts records, plus one blank line per CloudWatch
 * control message), so `entries + blank + continuation = lines` still holds and line numbers stay stable.
 *
 * - `cloudtrail`: `{"Records": [...]}` (AWS CloudTrail);
 * - `cloudwatch`: CloudWatch Logs subscription data as Firehose writes it to S3 —
 *   `{"messageType":"DATA_MESSAGE","owner":…,"logGroup":…,"logStream":…,"logEvents":[{"id","timestamp","message"}]}`
 *   documents back to back; each log event becomes a record carrying its group, stream and owner;
 * - `awsconfig`: AWS Config snapshot and history files, `{"fileVersion":…,"configurationItems":[...]}`;
 * - `array`: a file that is one JSON array of objects. An empty array (`[]`) holds no record and is no such file:
 *   as a first line it is a log line like any other, and later in a file of documents it is one unparsed line.
 */
export type WrappedKind = 'cloudtrail' | 'cloudwatch' | 'awsconfig' | 'array';

/** The start of a document this reader takes, as the first bytes of a file show it (an array only of objects). */
const WRAPPED_START =
  /^\uFEFF?\s*(?:\{\s*"Records"\s*:\s*\[|\{\s*"messageType"\s*:\s*"(?:DATA|CONTROL)_MESSAGE"|\{\s*"fileVersion"\s*:[^]*?"configurationItems"\s*:\s*\[|\[\s*\{)/;

/** A line that visibly starts a new document (so a document cut short ends before it). */
const DOCUMENT_START = /^\uFEFF?\s*\{\s*"(?:Records|messageType|fileVersion)"\s*:/;

/**
 * How a later document of a file of documents starts when it is one AWS (or an array of records) would write, even
 * damaged: `{"Records":`, `{"messageType":`, `{"fileVersion":` or `[{`, pretty-printed or not.
 */
const LATER_DOCUMENT_START = /^\uFEFF?\s*(?:\{\s*"(?:Records|messageType|fileVersion)"\s*:|\[\s*\{)/;

/**
 * The opening of a document, as far as its first line shows it: a bracket followed by the end of the line or by
 * what JSON puts there. `[INFO]` or `{ dump: a=1` is text that starts with a bracket, not a document.
 */
const JSON_OPENING = /^[{[]\s*(?:$|["{[\]}])/;

/** True when the head of a file (its first lines, joined) starts a document of wrapped records. */
export function looksLikeWrappedRecords(head: string): boolean {
  return WRAPPED_START.test(head);
}

/** The records a parsed document wraps, and its kind; undefined when it is not one of the shapes. */
export function recordsOf(document: unknown): { kind: WrappedKind; records: unknown[]; control?: true } | undefined {
  // `[]` wraps nothing: taken as an empty document it would confirm a text file that starts with it as documents,
  // and vanish from the count (a line `[]` stored nowhere). As no shape, it is one line wherever it stands.
  if (Array.isArray(document)) return document.length > 0 ? { kind: 'array', records: document } : undefined;
  if (document === null || typeof document !== 'object') return undefined;
  const object = document as Record<string, unknown>;
  // Only the shapes AWS writes: a JSON log line that merely has a `Records` or `messageType` field is a line.
  if (Array.isArray(object.Records)) return onlyKey(object, 'Records') ? { kind: 'cloudtrail', records: object.Records } : undefined;
  if (object.messageType === 'CONTROL_MESSAGE' || (object.messageType === 'DATA_MESSAGE' && Array.isArray(object.logEvents))) {
    // CloudWatch checks the destination with a control message: no log events of the group.
    if (object.messageType === 'CONTROL_MESSAGE') return { kind: 'cloudwatch', records: [], control: true };
    const events = object.logEvents as unknown[];
    const { owner, logGroup, logStream } = object;
    const records = events.map((event) => {
      const { id, timestamp, message } = (event ?? {}) as { id?: unknown; timestamp?: unknown; message?: unknown };
      return { logGroup, logStream, owner, id, timestamp, message };
    });
    return { kind: 'cloudwatch', records };
  }
  if (Array.isArray(object.configurationItems)) return { kind: 'awsconfig', records: object.configurationItems };
  return undefined;
}

function onlyKey(object: Record<string, unknown>, key: string): boolean {
  for (const name in object) if (name !== key) return false;
  return true;
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Streams a file of JSON documents that wrap records — one document pretty-printed over many lines, or many, one
 * per line or back to back with no separator — into one event per inner record, in record space (see
 * {@link recordsOf} for the shapes). Each event is the record as one compact JSON line.
 *
 * Nothing is lost on bad input: a document that is not valid JSON, has no records, or is cut off at the end of
 * the file becomes one event holding its text (the worker stores it unparsed), and text between documents that
 * is not JSON becomes one such event per line.
 *
 * Every event carries where a split can resume before it: the byte offset of the line on which the chain of
 * documents it belongs to starts, and how many events that chain produced before it (`recordIndex`). A reader
 * created with `skipEvents` set to that count, fed from that line, continues exactly where the first stopped.
 */
export class WrappedRecordReader {
  /** The shape of the first complete document: what the file is. */
  kind: WrappedKind | undefined;
  /**
   * Set when the file does not start with a clean document of a known shape: text, a document that is not valid
   * JSON, not one of the shapes (`[]` is none) or cut short, before the first that is; or text after that first
   * document on its line (`[{"a":1}] batch received`). Such a file is not one of wrapped records, whatever its
   * first bytes looked like. Text on any later line after that first document sets it too: anything but
   * whitespace and further documents (`[INFO] started`, `{ dump: a=1`, a JSON log line, a PEM block) means a text
   * file whose first line happens to be a document. A later document that starts as AWS's do (`{"Records":`,
   * `{"messageType":`, `{"fileVersion":`, `[{`) but is broken or cut short is the file's own damage, stored
   * unparsed, and does not set this; nor does a later `[]`. The caller decides on the lines it has read (its
   * detection sample): text beyond them is stored, one event per line, as before.
   */
  strayAtStart = false;
  private readonly parts: string[] = [];
  private bytes = 0;
  private inDocument = false;
  /** The open document started after the first document of a known shape closed. */
  private laterDocument = false;
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
    if (this.inDocument && DOCUMENT_START.test(text)) this.abandonDocument(out);
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
          // Text before the first document, after it on its line, or on any later line: not a file of documents.
          this.strayAtStart = true;
          this.emit(text.slice(position), out);
          return;
        }
        this.laterDocument = this.kind !== undefined;
        // A bracket that opens text, not JSON (`[INFO] started`, `{ dump: a=1`), after the first document: decided
        // at once, before the bracket can run on over the following lines.
        if (this.laterDocument && !JSON_OPENING.test(text.slice(position))) this.strayAtStart = true;
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
    if (this.kind === undefined || !this.looksLikeLaterDocument(text)) this.strayAtStart = true;
    if (text !== '') this.emit(text, out);
  }

  /**
   * Whether a broken (or shapeless) document after the first one is damage of a file of documents rather than text:
   * it starts as a document AWS writes. (The first document decides on its own: see `strayAtStart`.)
   */
  private looksLikeLaterDocument(text: string): boolean {
    return this.laterDocument && LATER_DOCUMENT_START.test(text);
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
      throw new DocumentTooLargeError(`a JSON document larger than ${this.maxDocumentBytes} bytes`);
    }
  }

  private completeDocument(out: PositionedEvent[]): void {
    const text = this.parts.length === 1 ? this.parts[0] : this.parts.join('\n');
    this.parts.length = 0;
    this.bytes = 0;
    this.inDocument = false;
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      if (this.kind === undefined || !this.looksLikeLaterDocument(text)) this.strayAtStart = true;
      this.emit(text, out);
      return;
    }
    const found = recordsOf(document);
    if (found === undefined) {
      const emptyArray = Array.isArray(document);
      if (this.kind === undefined || (!emptyArray && !this.looksLikeLaterDocument(text))) this.strayAtStart = true;
      this.emit(text, out);
      return;
    }
    this.kind ??= found.kind;
    if (found.control === true) {
      // CloudWatch's own health message: no log event, one line of the file, counted blank.
      this.emit('', out);
      return;
    }
    for (const record of found.records) {
      let line: string;
      try {
        line = JSON.stringify(record) ?? 'null';
      } catch (error) {
        line = `record could not be re-serialised: ${(error as Error).message}`;
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

/** A single document too large to hold; the file cannot be split (not a transient failure). */
export class DocumentTooLargeError extends Error {
  override readonly name = 'DocumentTooLargeError';
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0xfeff;
}
