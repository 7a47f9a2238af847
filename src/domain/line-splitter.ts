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
 * Cuts a byte stream into lines: LF or CRLF terminators, a UTF-8 BOM at the start skipped, a last line without
 * terminator kept. Works on bytes, so a multi-byte character split across buffers is reassembled (an LF byte never
 * occurs inside a UTF-8 sequence); invalid UTF-8 becomes U+FFFD rather than an error. Tracks the byte offset of
 * every line, which is what a checkpoint records.
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
    for (;;) {
      const newline = data.indexOf(LF, start);
      if (newline === -1) break;
      const end = newline > start && data[newline - 1] === CR ? newline - 1 : newline;
      const text = data.toString('utf8', start, end);
      out.push({ text, byteOffset: this.offset, ascii: isAscii(text, end - start) });
      this.offset += newline + 1 - start;
      start = newline + 1;
    }
    if (start < data.length) this.pending = data.subarray(start);
  }

  /** Flushes a last line that had no terminator. */
  end(out: RawLine[]): void {
    if (this.pending === undefined || this.pending.length === 0) return;
    const data = this.pending;
    this.pending = undefined;
    const end = data[data.length - 1] === CR ? data.length - 1 : data.length;
    const text = data.toString('utf8', 0, end);
    out.push({ text, byteOffset: this.offset, ascii: isAscii(text, end) });
    this.offset += data.length;
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

/** Cuts a string to at most `maxBytes` UTF-8 bytes on a character boundary. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}
