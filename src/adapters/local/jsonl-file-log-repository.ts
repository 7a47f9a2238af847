import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { PutEntriesResult } from '../../application/ports/log-repository.port.js';
import { LogBatchError } from '../../domain/errors.js';
import { exportedEntry, type LogEntry } from '../../domain/log-entry.js';
import { InMemoryLogRepository } from '../memory/in-memory-log-repository.js';

/**
 * Streams entries to a JSON Lines file, one entry per line, as they are written (the `--out` shape: no `raw`, see
 * {@link exportedEntry}); batch records stay in memory.
 * A redelivered entry is recognised by (batchId, lineNumber) — a bit per line number per batch — and not written
 * twice, so the file holds every entry exactly once while memory stays flat however long the file grows. A line
 * counts as written only once its text is handed to the stream (a call that throws part-way leaves no marks), and an
 * entry JSON cannot represent is written as an unparsed entry rather than failing its neighbours.
 * Reading back (`listEntries`) scans the file: meant for tests and small files, not as a query engine.
 */
export class JsonlFileLogRepository extends InMemoryLogRepository {
  private readonly out: WriteStream;
  private readonly written = new Map<string, Uint8Array>();
  private failure: Error | undefined;

  constructor(readonly filePath: string, options: { now?: () => Date } = {}) {
    super({ retainEntries: false, now: options.now });
    // Up to 8 MiB may wait for the disk before a write call waits in turn (the default 16 KiB, less than one chunk's
    // entries, made every call wait).
    this.out = createWriteStream(filePath, { flags: 'w', highWaterMark: WRITE_BUFFER_BYTES });
    this.out.on('error', (error) => {
      this.failure ??= new JsonlFileWriteError(filePath, error);
    });
  }

  protected override async storeEntries(entries: readonly LogEntry[]): Promise<PutEntriesResult> {
    if (this.failure !== undefined) throw this.failure;
    const marked: LogEntry[] = [];
    const lines: string[] = [];
    let chars = 0;
    let storedUnparsed = 0;
    try {
      for (const entry of entries) {
        if (!this.markWritten(entry.batchId, entry.lineNumber)) continue;
        marked.push(entry);
        const line = serializeEntry(entry);
        if (line.unparsed && entry.parseError === undefined) storedUnparsed++;
        lines.push(line.json);
        chars += line.json.length;
      }
      if (lines.length > 0) this.out.write(encodeLines(lines, chars));
    } catch (error) {
      // Nothing of this call reached the stream: a line counts as written only after its write, so forget this
      // call's marks and let the retry write every line.
      for (const entry of marked) this.unmarkWritten(entry.batchId, entry.lineNumber);
      throw error;
    }
    // Wait only when the file falls behind by more than the stream's high-water mark: a wait on every call stalled
    // the pipeline at each write and kept the call's entries alive (to be promoted by the GC) until the disk caught up.
    if (this.out.writableNeedDrain) await this.drained();
    return { storedUnparsed };
  }

  protected override async entriesOf(batchId: string): Promise<LogEntry[]> {
    await this.flush();
    const entries: LogEntry[] = [];
    const lines = createInterface({ input: createReadStream(this.filePath), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (line === '') continue;
      const entry = JSON.parse(line) as LogEntry;
      if (entry.batchId === batchId) entries.push(entry);
    }
    return entries.sort((a, b) => a.lineNumber - b.lineNumber);
  }

  /** Waits until everything written so far is in the file; rejects with a {@link JsonlFileWriteError} if a write failed. */
  async flush(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.out.writableNeedDrain) await this.drained();
    try {
      await new Promise<void>((resolve, reject) => this.out.write('', (error) => (error ? reject(error) : resolve())));
    } catch (error) {
      throw await this.streamFailure(error);
    }
  }

  /**
   * Ends the file and waits until it is closed; rejects with a {@link JsonlFileWriteError} if any write failed (also
   * on a second call). Checked only once the stream is closed: a failed write destroys the stream at once, but the
   * stream reports its error only after closing its file descriptor, and in between `end` knows only that the stream
   * was destroyed.
   */
  async close(): Promise<void> {
    if (!this.out.destroyed && !this.out.writableEnded) this.out.end();
    await this.closed();
    if (this.failure !== undefined) throw this.failure;
  }

  private async drained(): Promise<void> {
    try {
      await once(this.out, 'drain');
    } catch (error) {
      throw await this.streamFailure(error);
    }
  }

  /** The failure to report for `error`, a write or wait that failed: the stream's own error once it has reported it. */
  private async streamFailure(error: unknown): Promise<Error> {
    if (this.out.destroyed) await this.closed();
    return this.failure ?? new JsonlFileWriteError(this.filePath, error as Error);
  }

  /** Resolves once the stream has closed ('close' follows 'finish' or 'error', so everything is reported by then). */
  private closed(): Promise<void> {
    if (this.out.closed) return Promise.resolve();
    return new Promise((resolve) => this.out.once('close', () => resolve()));
  }

  /** Marks (batchId, lineNumber) written; false if it already was. */
  private markWritten(batchId: string, lineNumber: number): boolean {
    let bits = this.written.get(batchId);
    const byte = lineNumber >> 3;
    if (bits === undefined || byte >= bits.length) {
      const grown = new Uint8Array(Math.max(1024, (byte + 1) * 2));
      if (bits !== undefined) grown.set(bits);
      bits = grown;
      this.written.set(batchId, bits);
    }
    const mask = 1 << (lineNumber & 7);
    if ((bits[byte] & mask) !== 0) return false;
    bits[byte] |= mask;
    return true;
  }

  /** Undoes {@link markWritten} for a line whose write did not happen. */
  private unmarkWritten(batchId: string, lineNumber: number): void {
    const bits = this.written.get(batchId);
    if (bits !== undefined) bits[lineNumber >> 3] &= ~(1 << (lineNumber & 7));
  }
}

/**
 * Writing the JSON Lines file failed: the disk is full, the file outgrew its size limit, or the reader of the pipe it
 * names went away (EPIPE). `cause` is the stream's error; every later write, `flush` and `close` throw the same error.
 */
export class JsonlFileWriteError extends LogBatchError {
  readonly code = 'OUTPUT_WRITE_FAILED';

  constructor(
    readonly filePath: string,
    cause: Error,
  ) {
    super(`${filePath}: ${cause.message}`, { cause });
  }
}

const WRITE_BUFFER_BYTES = 8 * 1024 * 1024;
const NEWLINE = 0x0a;

/** Room beyond one byte per character, so ASCII lines up to half this long never need measuring. */
const ENCODE_SLACK_BYTES = 64 * 1024;

/**
 * `lines` as UTF-8 bytes, each followed by a newline, encoded straight into one buffer: no joined string to build and
 * flatten first. `chars` is their total length in UTF-16 units; the buffer starts at that many bytes plus some room
 * (exact for ASCII), and a line that might not fit (a UTF-16 unit takes up to 3 bytes) is measured first and the
 * buffer grown.
 */
function encodeLines(lines: readonly string[], chars: number): Buffer {
  let buffer = Buffer.allocUnsafe(chars + lines.length + ENCODE_SLACK_BYTES);
  let offset = 0;
  let remainingChars = chars;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    remainingChars -= line.length;
    if (buffer.length - offset < line.length * 3 + 1) {
      const needed = offset + Buffer.byteLength(line) + 1;
      if (needed > buffer.length) {
        const grown = Buffer.allocUnsafe(needed + remainingChars + (lines.length - index) + ENCODE_SLACK_BYTES);
        buffer.copy(grown, 0, 0, offset);
        buffer = grown;
      }
    }
    offset += buffer.write(line, offset);
    buffer[offset++] = NEWLINE;
  }
  return buffer.subarray(0, offset);
}

/**
 * One JSON line for an entry. An entry JSON cannot represent — attributes nested so deep that `JSON.stringify`
 * overflows the stack, a value it rejects — is written as an unparsed entry (its body, no attributes, `parseError`
 * saying why) instead of failing the call, so one line never costs its neighbours.
 */
function serializeEntry(entry: LogEntry): { json: string; unparsed: boolean } {
  try {
    return { json: JSON.stringify(exportedEntry(entry)), unparsed: false };
  } catch (error) {
    const unparsed: LogEntry = {
      ...exportedEntry(entry),
      attributes: {},
      parseError: `entry not serialisable as JSON: ${(error as Error).message}`,
    };
    return { json: JSON.stringify(unparsed), unparsed: true };
  }
}
