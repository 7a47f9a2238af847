/** One physical line of a file, without its terminator. */
export interface RawLine {
  readonly text: string;
  /** Byte offset of the line's first byte in the (decompressed) content. */
  readonly byteOffset: number;
  /** Every byte was ASCII (one character per byte), so the text's UTF-8 size is its length. */
  readonly ascii?: boolean;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Cuts a byte stream into lines: LF, CRLF or a lone CR (classic Mac OS, some network devices) end a line; a UTF-8
 * BOM is skipped at the start of the content and at the start of any line (where concatenated files and
 * multi-member gzip objects leave one); a last line without terminator is kept. Works on bytes, so a multi-byte
 * character split across buffers is reassembled (LF and CR bytes never occur inside a UTF-8 sequence); invalid
 * UTF-8 becomes U+FFFD rather than an error. Tracks the byte offset of every line, which is what a checkpoint
 * records.
 */
export class LineSplitter {
  private pending: Buffer | undefined;
  private offset: number;
  private atStart: boolean;

  constructor(startOffset = 0) {
    this.offset = startOffset;
    this.atStart = startOffset === 0;
  }

  /** Byte offset of the first byte not yet returned as part of a line. */
  get position(): number {
    return this.offset;
  }

  push(buffer: Buffer, out: RawLine[]): void {
    let data = buffer;
    if (this.pending !== undefined) {
      data = Buffer.concat([this.pending, buffer]);
      this.pending = undefined;
    }
    let start = 0;
    if (this.atStart) {
      if (data.length < 3 && data.length > 0 && isBomPrefix(data)) {
        this.pending = data;
        return;
      }
      this.atStart = false;
      if (data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
        start = 3;
        this.offset += 3;
      }
    }
    // Most files hold no CR at all, or only in CRLF: one search tells, and the loop below searches LF alone then.
    let nextCr = data.indexOf(CR, start);
    for (;;) {
      const newline = data.indexOf(LF, start);
      if (nextCr !== -1 && nextCr < start) nextCr = data.indexOf(CR, start);
      let end: number;
      let next: number;
      if (nextCr !== -1 && (newline === -1 || nextCr < newline - 1)) {
        // A lone CR ends the line, unless it is the last byte so far: an LF may follow in the next buffer.
        if (nextCr === data.length - 1) break;
        end = nextCr;
        next = nextCr + 1;
        if (data[next] === LF) next++;
      } else if (newline !== -1) {
        end = newline > start && data[newline - 1] === CR ? newline - 1 : newline;
        next = newline + 1;
      } else {
        break;
      }
      this.emit(data, start, end, out);
      this.offset += next - start;
      start = next;
    }
    if (start < data.length) this.pending = data.subarray(start);
  }

  /** Flushes a last line that had no terminator. */
  end(out: RawLine[]): void {
    if (this.pending === undefined || this.pending.length === 0) return;
    const data = this.pending;
    this.pending = undefined;
    const end = data[data.length - 1] === CR ? data.length - 1 : data.length;
    this.emit(data, 0, end, out);
    this.offset += data.length;
  }

  private emit(data: Buffer, start: number, end: number, out: RawLine[]): void {
    // A BOM inside the content (a second gzip member, files concatenated) starts a line but is not part of it.
    const textStart = data[start] === 0xef && end - start >= 3 && data[start + 1] === 0xbb && data[start + 2] === 0xbf ? start + 3 : start;
    const text = data.toString('utf8', textStart, end);
    out.push({ text, byteOffset: this.offset, ascii: isAscii(text, end - textStart) });
  }
}

/**
 * As many characters as bytes means ASCII (a multi-byte character decodes to fewer UTF-16 units than bytes), unless
 * an invalid byte became U+FFFD (one byte, one character).
 */
function isAscii(text: string, bytes: number): boolean {
  return text.length === bytes && !text.includes('\uFFFD');
}

function isBomPrefix(data: Buffer): boolean {
  const bom = [0xef, 0xbb, 0xbf];
  for (let i = 0; i < Math.min(data.length, 3); i++) if (data[i] !== bom[i]) return false;
  return true;
}

/**
 * A blank line: empty, or only spaces, tabs, vertical tabs, form feeds and carriage returns. It is counted as
 * blank, never stored, and it ends a multi-line event. Cheap for ordinary lines: the first character decides.
 */
export function isBlankLine(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0d && code !== 0x0b && code !== 0x0c) return false;
  }
  return true;
}

/** Cuts a string to at most `maxBytes` UTF-8 bytes on a character boundary. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}
