import { crc32, createInflateRaw } from 'node:zlib';

/**
 * How far a gzip stream was read: members read whole and the decompressed bytes they gave. Updated as the stream
 * is read, so a caller can tell, after a failure, which of the bytes it was given came from members read whole.
 */
export interface GzipProgress {
  /** Members read whole: their deflate data ended and their trailer's CRC-32 and length matched. */
  completeMembers: number;
  /** Decompressed bytes given so far. */
  outputBytes: number;
  /** Decompressed bytes given by the members read whole (a prefix of `outputBytes`). */
  completeOutputBytes: number;
}

export function newGzipProgress(): GzipProgress {
  return { completeMembers: 0, outputBytes: 0, completeOutputBytes: 0 };
}

/**
 * Why a gzip stream could not be read to its end. `trailing`: bytes after a complete member that do not start
 * another one (what `gzip -d` warns about and ignores); `corrupt`: a member that is damaged or cut short. Offsets
 * are in the compressed stream.
 */
export class GzipStreamError extends Error {
  override readonly name = 'GzipStreamError';

  constructor(
    readonly kind: 'trailing' | 'corrupt',
    /** zlib's words for what is wrong (`invalid block type`, `unexpected end of file`, ...), or ours. */
    readonly problem: string,
    /** Compressed bytes read when the problem showed (for `trailing`: where the trailing bytes start). */
    readonly compressedOffset: number,
    /** The member it happened in (1-based); for `trailing`, the member the bytes would have been. */
    readonly member: number,
    /** Where that member starts in the compressed stream. */
    readonly memberOffset: number,
    /** For `trailing`: how many bytes follow the last complete member. */
    readonly trailingBytes = 0,
  ) {
    super(kind === 'trailing' ? `${trailingBytes} bytes after the last complete gzip member are not gzip` : problem);
  }
}

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const RESERVED_FLAGS = 0xe0;
const DEFLATE = 8;

/**
 * Decompresses a gzip stream member by member (RFC 1952), giving every byte of every member that decompresses, and
 * throwing a {@link GzipStreamError} where the stream stops being good gzip. Unlike zlib's own `Gunzip` stream,
 * which resets itself after a member and feeds whatever follows to the inflater in the same call (so trailing
 * garbage or a damaged next member throws away the output of the call that reached it), each member is inflated on
 * its own and ends exactly where its deflate data ends, so nothing decompressed is lost. NUL bytes after the last
 * member are padding (as zlib and `gzip -d` take them). Errors of the compressed source itself pass through as
 * they are.
 */
export async function* gunzipMembers(compressed: AsyncIterable<Buffer>, progress: GzipProgress = newGzipProgress()): AsyncGenerator<Buffer> {
  const input = new CompressedInput(compressed);
  for (let member = 1; ; member++) {
    const memberOffset = input.consumed;
    const start = await input.read(2);
    if (start.length === 0) return;
    if (member > 1 && (start.length < 2 || start[0] !== 0x1f || start[1] !== 0x8b)) {
      input.unread(start);
      const { bytes, allZero } = await input.drain();
      if (allZero) return;
      throw new GzipStreamError('trailing', 'not a gzip member', memberOffset, member, memberOffset, bytes);
    }
    const corrupt = (problem: string) => new GzipStreamError('corrupt', problem, input.consumed, member, memberOffset);
    if (start.length < 2) throw corrupt('unexpected end of file');
    if (start[0] !== 0x1f || start[1] !== 0x8b) throw corrupt('incorrect header check');
    await readHeader(input, Buffer.from(start), corrupt);

    let checksum = 0;
    let size = 0;
    try {
      for await (const output of inflateMember(input)) {
        checksum = crc32(output, checksum);
        size += output.length;
        progress.outputBytes += output.length;
        yield output;
      }
    } catch (error) {
      if (isZlibError(error)) throw corrupt((error as Error).message);
      throw error;
    }
    const trailer = await input.read(8);
    if (trailer.length < 8) throw corrupt('unexpected end of file');
    if (trailer.readUInt32LE(0) !== checksum >>> 0) throw corrupt('incorrect data check');
    if (trailer.readUInt32LE(4) !== size % 2 ** 32) throw corrupt('incorrect length check');
    progress.completeMembers = member;
    progress.completeOutputBytes = progress.outputBytes;
  }
}

/** Reads the rest of a member's header (after its magic bytes), checking what zlib would check. */
async function readHeader(input: CompressedInput, magic: Buffer, corrupt: (problem: string) => GzipStreamError): Promise<void> {
  const fixed = await input.read(8);
  if (fixed.length < 8) throw corrupt('unexpected end of file');
  if (fixed[0] !== DEFLATE) throw corrupt('unknown compression method');
  const flags = fixed[1];
  if ((flags & RESERVED_FLAGS) !== 0) throw corrupt('unknown header flags set');
  const parts: Buffer[] = [magic, Buffer.from(fixed)];
  const exactly = async (count: number): Promise<Buffer> => {
    const bytes = Buffer.from(await input.read(count));
    if (bytes.length < count) throw corrupt('unexpected end of file');
    parts.push(bytes);
    return bytes;
  };
  const zeroTerminated = async (): Promise<void> => {
    for (;;) {
      const byte = await exactly(1);
      if (byte[0] === 0) return;
    }
  };
  if ((flags & FEXTRA) !== 0) await exactly((await exactly(2)).readUInt16LE(0));
  if ((flags & FNAME) !== 0) await zeroTerminated();
  if ((flags & FCOMMENT) !== 0) await zeroTerminated();
  if ((flags & FHCRC) !== 0) {
    const expected = crc32(Buffer.concat(parts)) & 0xffff;
    if ((await exactly(2)).readUInt16LE(0) !== expected) throw corrupt('header crc mismatch');
  }
}

/**
 * Inflates one member's deflate data, fed from `input`, and gives back to `input` the bytes after its end (the
 * trailer and whatever follows). The output is read with back-pressure: input is written only as it is consumed.
 */
async function* inflateMember(input: CompressedInput): AsyncGenerator<Buffer> {
  const inflater = createInflateRaw();
  let fed = 0;
  const writing = (async () => {
    try {
      for (;;) {
        const chunk = await input.next();
        if (chunk === undefined) {
          inflater.end();
          return;
        }
        fed += chunk.length;
        await new Promise<void>((resolve) => inflater.write(chunk, () => resolve()));
        // The inflater stops taking input where the deflate data ends: what it left is the trailer and beyond.
        const unused = fed - inflater.bytesWritten;
        if (unused > 0) {
          input.unread(chunk.subarray(chunk.length - unused));
          return;
        }
        if (inflater.destroyed) return;
      }
    } catch (error) {
      inflater.destroy(error as Error);
    }
  })();
  for await (const output of inflater) yield output as Buffer;
  await writing;
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** The compressed bytes, read as they come, with bytes a member did not use given back for the next. */
class CompressedInput {
  private readonly source: AsyncIterator<Buffer>;
  private readonly returned: Buffer[] = [];
  /** Bytes handed out and not given back: where in the compressed stream the next byte is. */
  consumed = 0;

  constructor(compressed: AsyncIterable<Buffer>) {
    this.source = compressed[Symbol.asyncIterator]();
  }

  async next(): Promise<Buffer | undefined> {
    let buffer = this.returned.pop();
    if (buffer === undefined) {
      const next = await this.source.next();
      if (next.done) return undefined;
      buffer = next.value;
    }
    this.consumed += buffer.length;
    return buffer;
  }

  unread(buffer: Buffer): void {
    if (buffer.length === 0) return;
    this.returned.push(buffer);
    this.consumed -= buffer.length;
  }

  /** Up to `count` bytes: fewer only at the end of the stream. */
  async read(count: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let length = 0;
    while (length < count) {
      const buffer = await this.next();
      if (buffer === undefined) break;
      const wanted = Math.min(buffer.length, count - length);
      parts.push(buffer.subarray(0, wanted));
      length += wanted;
      this.unread(buffer.subarray(wanted));
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** Reads to the end, counting the bytes and whether all were NUL. */
  async drain(): Promise<{ bytes: number; allZero: boolean }> {
    let bytes = 0;
    let allZero = true;
    for (;;) {
      const buffer = await this.next();
      if (buffer === undefined) return { bytes, allZero };
      bytes += buffer.length;
      if (allZero && buffer.some((byte) => byte !== 0)) allZero = false;
    }
  }
}
