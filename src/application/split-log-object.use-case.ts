import type { Readable } from 'node:stream';
import { inject, injectable } from 'inversify';
import { TOKENS } from '../di/tokens.js';
import { type Batch, canSplit, decideCompletion, deriveBatchId, RETRYABLE_SPLIT_FAILURES } from '../domain/batch.js';
import type { SplitResume } from '../domain/continuation.js';
import { ChunkPacker } from '../domain/chunk-packer.js';
import { type EncodedChunk, type FormatContext, MAX_MESSAGE_BYTES, MAX_MESSAGES_PER_SEND, objectName } from '../domain/chunk.js';
import { describeError, ObjectChangedError, ObjectNotFoundError, SplitFailedError } from '../domain/errors.js';
import { EventAssembler, type PositionedEvent } from '../domain/event-assembler.js';
import { LineSplitter, type RawLine } from '../domain/line-splitter.js';
import { DocumentTooLargeError, looksLikeWrappedRecords, WrappedRecordReader } from '../domain/parsing/wrapped-records.js';
import { DETECTION_SAMPLE_LINES, detectFormat, type FormatOption, mixedOtherFormat } from '../domain/parsing/formats.js';
import { formatFromKey } from '../domain/parsing/key-rules.js';
import { multilinePolicyFor } from '../domain/parsing/multiline.js';
import { type GzipProgress, GzipStreamError, gunzipMembers, newGzipProgress } from './gzip-members.js';
import type { PipelineSettings } from './pipeline-settings.js';
import type { ChunkQueue } from './ports/chunk-queue.port.js';
import type { Clock } from './ports/clock.port.js';
import type { LogRepository } from './ports/log-repository.port.js';
import type { ObjectInfo, ObjectStore } from './ports/object-store.port.js';
import type { SplitContinuations } from './ports/split-continuations.port.js';

export interface SplitRequest {
  readonly bucket: string;
  readonly key: string;
  /** From the S3 event; looked up when absent. */
  readonly etag?: string;
  readonly size?: number;
  /** When the object was written (ISO 8601; the S3 event's time), for year-less timestamps; looked up when absent. */
  readonly lastModified?: string;
  /** Overrides the configured format for this object. */
  readonly format?: FormatOption;
  /** Resume a split that handed over (continuation). */
  readonly resume?: SplitResume;
  /**
   * Split this object version again into a new batch, named by this request (`backfill --reprocess`): the batch
   * id is derived from the object and this id, so a redelivered request finds its own batch.
   */
  readonly reprocessId?: string;
  /** Hand-overs so far for this object (carried by continuations). */
  readonly handOvers?: number;
  /** Asked after every send; true makes the split stop at the next chunk boundary and return a checkpoint. */
  readonly shouldHandOver?: () => boolean;
}

export type { SplitResume };

export type SplitOutcome =
  | { readonly kind: 'split'; readonly batch: Batch }
  | { readonly kind: 'handed-over'; readonly batchId: string; readonly resume: SplitResume }
  | { readonly kind: 'duplicate'; readonly batch: Batch }
  | { readonly kind: 'failed'; readonly batch: Batch | undefined; readonly reason: string };

const GZIP_MAGIC = [0x1f, 0x8b];
/** Bytes of decompressed content inspected for NUL bytes before anything is sent. */
const BINARY_SNIFF_BYTES = 8192;
/** A document of wrapped records (CloudTrail, CloudWatch Logs, AWS Config) is parsed whole; AWS writes them far smaller. */
const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;
/** Gzip levels inside the first one that are unpacked too. */
const MAX_NESTED_GZIP = 2;
/** Formats whose files may be documents of wrapped records rather than lines. */
const WRAPPED_FORMATS = new Set(['auto', 'cloudtrail', 'awsconfig']);

/**
 * Splits one uploaded object into chunk messages: streams it (decompressing gzip by its magic bytes), cuts lines,
 * detects the format, joins multi-line events, packs chunks by byte and line budget and sends them in batches of
 * at most 10 messages / 1 MiB, tracking the batch from SPLITTING to SPLIT (or FAILED with a reason).
 */
@injectable()
export class SplitLogObject {
  constructor(
    @inject(TOKENS.ObjectStore) private readonly objects: ObjectStore,
    @inject(TOKENS.ChunkQueue) private readonly queue: ChunkQueue,
    @inject(TOKENS.LogRepository) private readonly repository: LogRepository,
    @inject(TOKENS.PipelineSettings) private readonly settings: PipelineSettings,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.SplitContinuations) private readonly continuations: SplitContinuations,
  ) {}

  async execute(request: SplitRequest): Promise<SplitOutcome> {
    const { bucket, key } = request;
    let info: ObjectInfo;
    if (request.etag !== undefined && request.size !== undefined) {
      info = { bucket, key, etag: request.etag, size: request.size, lastModified: request.lastModified };
    } else {
      try {
        info = await this.objects.head(bucket, key);
      } catch (error) {
        if (error instanceof ObjectNotFoundError) return { kind: 'failed', batch: undefined, reason: error.message };
        throw error;
      }
    }
    const source = { bucket, key, etag: info.etag, size: info.size };
    const batchId = request.resume?.batchId ?? deriveBatchId(source, request.reprocessId);
    const { batch, created } = await this.repository.createBatch({ batchId, source, createdAt: this.clock.now().toISOString() });
    if (!created && request.resume === undefined && !canSplit(batch)) {
      // A redelivered event, or a retry after a crash between SPLIT and completion: finish what is finishable.
      const decision = decideCompletion(batch);
      if (decision !== undefined) await this.repository.completeBatch(batch, decision);
      return { kind: 'duplicate', batch: (await this.repository.getBatch(batchId)) ?? batch };
    }
    try {
      return await this.split(batch, request, info.lastModified);
    } catch (error) {
      const failure =
        error instanceof SplitFailedError
          ? error
          : error instanceof ObjectNotFoundError
            ? new SplitFailedError('UNREADABLE_OBJECT', `cannot be read: ${error.message}`)
            : error instanceof ObjectChangedError
              ? new SplitFailedError('OBJECT_CHANGED', error.message)
            : new SplitFailedError('SPLIT_FAILED', `splitting failed: ${describeError(error)}`, { cause: error });
      // The reason names the object, so a list of failed batches reads on its own.
      const reason = `${objectName(bucket, key)}: ${failure.message}`;
      await this.repository.failBatch(batchId, failure.code, reason);
      // A transient failure also fails the invocation, so Lambda retries the event and the retry splits again.
      if (RETRYABLE_SPLIT_FAILURES.includes(failure.code)) throw failure;
      return { kind: 'failed', batch: await this.repository.getBatch(batchId), reason };
    }
  }

  private async split(batch: Batch, request: SplitRequest, lastModified: string | undefined): Promise<SplitOutcome> {
    const { bucket, key } = request;
    const resume = request.resume;
    // A gzip or UTF-16 object cannot be entered mid-stream: such a resumed split re-reads from byte 0 and skips.
    const rereads = resume !== undefined && (resume.gzip === true || resume.utf16 === true);
    const rangedStart = resume !== undefined && !rereads ? resume.byteOffset : 0;
    const raw = await this.objects.openStream(bucket, key, {
      ...(rangedStart > 0 ? { startByte: rangedStart } : {}),
      ifMatch: batch.source.etag,
    });
    try {
      return await this.splitOpened(batch, request, lastModified, raw, rangedStart);
    } finally {
      // A split that hands over or fails part-way has not read the stream to its end: let go of its file descriptor
      // or socket now rather than at garbage collection (on S3, the rest of the object would stay unread on it).
      raw.destroy();
    }
  }

  private async splitOpened(batch: Batch, request: SplitRequest, lastModified: string | undefined, raw: Readable, rangedStart: number): Promise<SplitOutcome> {
    const { bucket, key } = request;
    const resume = request.resume;
    const rereads = resume !== undefined && (resume.gzip === true || resume.utf16 === true);
    // What the content is (gzip, UTF-16, binary) is decided once, at the start of the object, never mid-object.
    const content = await this.decode(raw, rangedStart === 0, resume === undefined);
    const skipUntil = rereads ? resume.byteOffset : 0;
    const lines = this.readLines(content.stream, skipUntil, rangedStart);

    // Detect the format from the first lines (or keep the one a resumed split already chose).
    let decision: { format: string; formatContext?: FormatContext };
    let documents = resume?.documents === true;
    let reader: WrappedRecordReader | undefined;
    const events: PositionedEvent[] = [];
    let head: RawLine[] = [];
    const iterator: AsyncIterator<RawLine[]> = lines[Symbol.asyncIterator]();
    if (resume !== undefined) {
      decision = { format: resume.format, formatContext: resume.formatContext };
    } else {
      const configured = request.format ?? this.settings.format;
      // Under auto, the key may already say what the object is (AWS's delivery layouts, the user's rules).
      const requested = configured === 'auto' ? (formatFromKey(key, this.settings.formatRules) ?? 'auto') : configured;
      let sampleCount = 0;
      while (sampleCount < DETECTION_SAMPLE_LINES) {
        const next = await iterator.next();
        if (next.done) break;
        head.push(...next.value);
        sampleCount = head.filter((line) => line.text.trim() !== '').length;
      }
      if (WRAPPED_FORMATS.has(requested) && looksLikeWrappedRecords(head.slice(0, 20).map((l) => l.text).join('\n'))) {
        // Documents of wrapped records: read the first records, then decide what they are.
        const candidate = new WrappedRecordReader(MAX_DOCUMENT_BYTES);
        const read = await this.readRecords(candidate, head, iterator, events, requested === 'auto');
        if (read.confirmed) {
          documents = true;
          reader = candidate;
          head = [];
        } else {
          // Under auto, a file whose first documents are not what AWS writes (`[] startup`, a JSON log line with a
          // `Records` field) is read as lines after all, from its first line: every line read so far is kept.
          events.length = 0;
          head = read.lines;
        }
      }
      if (reader !== undefined) {
        decision = wrappedFormat(reader, events, requested);
      } else {
        decision = detectFormat(
          head.filter((line) => line.text.trim() !== '').map((line) => line.text),
          requested,
        );
      }
    }

    // Year-less timestamps (BSD syslog, `Oct 11 22:14:15` text) take their year from the object's time: a December
    // line in an object written in January belongs to the year before. Every chunk carries it (and so does a resume).
    if (resume === undefined && lastModified !== undefined && hasYearlessTimestamps(decision.format)) {
      decision = { ...decision, formatContext: { ...decision.formatContext, objectModifiedAt: lastModified } };
    }
    const packer = new ChunkPacker({
      batchId: batch.batchId,
      source: { bucket, key, etag: batch.source.etag },
      format: decision.format,
      formatContext: decision.formatContext,
      maxChunkBytes: this.settings.maxChunkBytes,
      maxChunkLines: this.settings.maxChunkLines,
      maxEventBytes: this.settings.maxEventBytes,
      firstChunkIndex: resume?.nextChunkIndex ?? 0,
      firstLineNumber: resume?.nextLineNumber ?? 1,
    });
    // Wrapped records are read in record space (one event per record); other files line by line.
    const assembler: { push(line: RawLine, out: PositionedEvent[]): void; flush(out: PositionedEvent[]): void } =
      reader ?? (documents ? new WrappedRecordReader(MAX_DOCUMENT_BYTES, resume?.recordIndex ?? 0) : new EventAssembler(multilinePolicyFor(decision.format)));
    const sender = new BatchSender(this.queue);
    const closed: EncodedChunk[] = [];
    /** A chunk boundary has passed with the split not yet asked whether to hand over there. */
    let boundaryUnasked = false;
    const handOverAt = async (event: PositionedEvent): Promise<SplitResume> => {
      await sender.flush();
      return {
        batchId: batch.batchId,
        format: decision.format,
        formatContext: decision.formatContext,
        gzip: content.gzip,
        ...(content.utf16 ? { utf16: true } : {}),
        ...(documents ? { documents: true, recordIndex: event.recordIndex ?? 0 } : {}),
        byteOffset: event.byteOffset,
        nextLineNumber: packer.openChunkFirstLine,
        nextChunkIndex: packer.nextChunkIndex,
      };
    };

    /** Packs the events so far; may stop at a chunk boundary and return where to resume (never when `final`). */
    const pack = async (final = false): Promise<SplitResume | undefined> => {
      for (const event of events) {
        // A chunk closed on its line budget with nothing left over: this event opens the next chunk, so the
        // boundary is here and it is known where the continuation would resume.
        if (boundaryUnasked && !packer.hasPending && !final) {
          boundaryUnasked = false;
          if (request.shouldHandOver?.() === true) return handOverAt(event);
        }
        const eventFirstLine = packer.nextLineNumber;
        packer.add(event, closed);
        if (closed.length > 0) {
          for (const chunk of closed) await sender.add(chunk);
          closed.length = 0;
          // The event that overflowed the closed chunk opens the next one: hand over before it, so the
          // continuation packs exactly the chunks an uninterrupted split would have. Not when pieces of it went into
          // the closed chunks (a multi-line event too large for one chunk is split at its lines): a continuation
          // resumes at an event's start, and would pack those pieces again.
          if (packer.hasPending) {
            if (!final && packer.openChunkFirstLine === eventFirstLine && request.shouldHandOver?.() === true) return handOverAt(event);
          } else {
            boundaryUnasked = true;
          }
        }
      }
      events.length = 0;
      return undefined;
    };

    let batchLines: RawLine[] | undefined = head.length > 0 ? head : undefined;
    for (;;) {
      // Records read ahead for detection are packed (and may hand over) before more lines are read.
      if (batchLines === undefined && events.length === 0) {
        const next = await iterator.next();
        if (next.done) break;
        batchLines = next.value;
      }
      try {
        if (batchLines !== undefined) for (const line of batchLines) assembler.push(line, events);
      } catch (error) {
        if (error instanceof DocumentTooLargeError) throw new SplitFailedError('DOCUMENT_TOO_LARGE', error.message);
        throw error;
      }
      batchLines = undefined;
      try {
        const handOver = await pack();
        if (handOver !== undefined) {
          await this.repository.saveCheckpoint(batch.batchId, handOver);
          await this.continuations.handOver({
            v: 1,
            bucket,
            key,
            etag: batch.source.etag,
            size: batch.source.size,
            resume: handOver,
            handOvers: (request.handOvers ?? 0) + 1,
          });
          return { kind: 'handed-over', batchId: batch.batchId, resume: handOver };
        }
      } catch (error) {
        throw new SplitFailedError('QUEUE_UNAVAILABLE', `sending chunks failed: ${describeError(error)}`, { cause: error });
      }
    }
    // The end of the file: the last events are packed here, whatever the time (handing over now would hand
    // over events that the reader has already let go of).
    assembler.flush(events);
    await pack(true);
    packer.flush(closed);
    for (const chunk of closed) await sender.add(chunk);
    await sender.flush();

    const totals = { totalLines: packer.nextLineNumber - 1, totalChunks: packer.nextChunkIndex, format: decision.format };
    if (content.failure !== undefined) {
      const failure = content.failure();
      if (failure !== undefined) {
        // A transient read failure fails the invocation, so Lambda retries the event (see execute).
        if (RETRYABLE_SPLIT_FAILURES.includes(failure.code)) throw failure;
        const reason = `${objectName(bucket, key)}: ${failure.message}`;
        await this.repository.failBatch(batch.batchId, failure.code, reason, totals);
        return { kind: 'failed', batch: await this.repository.getBatch(batch.batchId), reason };
      }
    }
    const split = await this.repository.finishSplitting(batch.batchId, totals);
    const decisionNow = decideCompletion(split);
    if (decisionNow !== undefined) await this.repository.completeBatch(split, decisionNow);
    return { kind: 'split', batch: (await this.repository.getBatch(batch.batchId)) ?? split };
  }

  /**
   * Peeks at the first bytes: gzip by magic number is decompressed (whatever the key's suffix); UTF-16 text (by
   * its byte-order mark) is decoded to UTF-8; NUL bytes in the first 8 KiB of content then mean binary. All of
   * this is decided at the start of the object only: a ranged resume is plain UTF-8 text by then, and a resumed
   * re-read was sniffed when the split began.
   *
   * Gzip is read member by member (see `gunzipMembers`). Where it stops being good gzip — bytes after the last
   * member that are not gzip, a damaged or cut-off member — the content ends with every byte that decompressed,
   * except a torn last line: bytes after the last line break that no member read whole vouches for. The last line
   * of a member read whole is kept even without a final newline. `failure` then says what stopped it.
   */
  private async decode(
    raw: Readable,
    atObjectStart: boolean,
    sniff: boolean,
  ): Promise<{ stream: AsyncIterable<Buffer>; gzip: boolean; utf16: boolean; failure?: () => SplitFailedError | undefined }> {
    const peeked = await peekBytes(raw as AsyncIterable<Buffer>, 2);
    const first = peeked.head;
    const isGzip = atObjectStart && first.length >= 2 && first[0] === GZIP_MAGIC[0] && first[1] === GZIP_MAGIC[1];
    let gzipError: Error | undefined;
    /** The level (0 the object's own gzip, 1 a gzip inside it, ...) whose error is `gzipError`. */
    let gzipErrorLevel = 0;
    const levels: GzipProgress[] = [];
    const gunzipped = (compressed: AsyncIterable<Buffer>): AsyncIterable<Buffer> => {
      const level = levels.length;
      const progress = newGzipProgress();
      levels.push(progress);
      const members = gunzipMembers(compressed, progress);
      return (async function* (): AsyncGenerator<Buffer> {
        try {
          for await (const chunk of members) yield chunk;
        } catch (error) {
          // The first error is the cause: a level inside one that broke only sees its input end early.
          if (gzipError === undefined) {
            gzipError = error as Error;
            gzipErrorLevel = level;
          }
        }
      })();
    };
    let decompressed: AsyncIterable<Buffer> = isGzip ? gunzipped(peeked.stream) : peeked.stream;
    let text = atObjectStart ? await peekBytes(decompressed, 2) : { head: Buffer.alloc(0), stream: decompressed };
    // Gzip inside gzip: Firehose compresses CloudWatch Logs data that CloudWatch had already compressed.
    for (let level = 0; isGzip && level < MAX_NESTED_GZIP && text.head[0] === GZIP_MAGIC[0] && text.head[1] === GZIP_MAGIC[1]; level++) {
      decompressed = gunzipped(text.stream);
      text = await peekBytes(decompressed, 2);
    }
    const utf16 = text.head.length >= 2 ? utf16Encoding(text.head) : undefined;
    let stream = utf16 === undefined ? text.stream : transcodeUtf16(text.stream, utf16);
    if (sniff) stream = sniffBinary(stream);
    if (isGzip) {
      const innermost = levels[levels.length - 1];
      stream = withoutTornLine(stream, () => {
        if (gzipError === undefined) return undefined;
        if (utf16 === undefined) return innermost.completeOutputBytes;
        // Transcoded positions are not the decompressed ones: a UTF-16 tail is kept only if all of it was vouched for.
        return innermost.completeOutputBytes === innermost.outputBytes ? Number.POSITIVE_INFINITY : 0;
      });
    }
    return {
      stream,
      gzip: isGzip,
      utf16: utf16 !== undefined,
      failure: !isGzip
        ? undefined
        : () => {
            if (gzipError === undefined) return undefined;
            if (gzipError instanceof ObjectChangedError) return new SplitFailedError('OBJECT_CHANGED', gzipError.message);
            if (gzipError instanceof ObjectNotFoundError) return new SplitFailedError('UNREADABLE_OBJECT', `cannot be read: ${gzipError.message}`);
            // Only the gzip reader's own errors say the bytes are bad; anything else broke the read (retried as transient).
            if (!(gzipError instanceof GzipStreamError)) {
              return new SplitFailedError('SPLIT_FAILED', `reading the object failed: ${describeError(gzipError)}`, { cause: gzipError });
            }
            return new SplitFailedError('CORRUPT_GZIP', gzipFailureReason(gzipError, gzipErrorLevel), { cause: gzipError });
          },
    };
  }

  /**
   * Feeds lines to the reader until it has produced a detection sample of records, or the file ends. `confirmed`
   * unless `mayRefuse` and the file does not start with a clean document of a known shape (see
   * `WrappedRecordReader.strayAtStart`),
   * in which case `lines` holds every line read, for the caller to read them as lines.
   */
  private async readRecords(
    reader: WrappedRecordReader,
    head: readonly RawLine[],
    iterator: AsyncIterator<RawLine[]>,
    events: PositionedEvent[],
    mayRefuse: boolean,
  ): Promise<{ confirmed: boolean; lines: RawLine[] }> {
    const lines = mayRefuse ? [...head] : [];
    const verdict = () => ({ confirmed: !mayRefuse || (reader.kind !== undefined && !reader.strayAtStart), lines });
    try {
      for (const line of head) reader.push(line, events);
      while (events.length < DETECTION_SAMPLE_LINES) {
        if (mayRefuse && reader.strayAtStart) return verdict();
        const next = await iterator.next();
        if (next.done) {
          reader.flush(events);
          return verdict();
        }
        if (mayRefuse) lines.push(...next.value);
        for (const line of next.value) reader.push(line, events);
      }
      return verdict();
    } catch (error) {
      // An unclosed bracket in a text file that starts like a document reads as lines, not as a too-large document.
      if (error instanceof DocumentTooLargeError && mayRefuse && reader.kind === undefined) return { confirmed: false, lines };
      if (error instanceof DocumentTooLargeError) throw new SplitFailedError('DOCUMENT_TOO_LARGE', error.message);
      throw error;
    }
  }

  private async *readLines(
    content: AsyncIterable<Buffer>,
    skipUntil: number,
    startByte: number,
  ): AsyncGenerator<RawLine[]> {
    const splitter = new LineSplitter(startByte);
    for await (const buffer of content) {
      const out: RawLine[] = [];
      splitter.push(buffer, out);
      if (out.length > 0) yield skipUntil > 0 ? out.filter((line) => line.byteOffset >= skipUntil) : out;
    }
    // The content holds no torn line, even after a gzip failure (see decode): what is left is the last line.
    const out: RawLine[] = [];
    splitter.end(out);
    if (out.length > 0) yield skipUntil > 0 ? out.filter((line) => line.byteOffset >= skipUntil) : out;
  }
}


/**
 * Fails the split with BINARY_CONTENT when the first bytes of content hold a NUL byte. The whole window is read
 * before any of it goes on: content may come in small pieces (a gzip member per piece), and a split that hands
 * over after its first chunk must still have looked at all of it (a resumed split does not sniff again).
 */
async function* sniffBinary(content: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const source = content[Symbol.asyncIterator]();
  const window: Buffer[] = [];
  let inspected = 0;
  while (inspected < BINARY_SNIFF_BYTES) {
    const next = await source.next();
    if (next.done) break;
    const bytes = next.value.subarray(0, BINARY_SNIFF_BYTES - inspected);
    const nul = bytes.indexOf(0);
    if (nul !== -1) {
      throw new SplitFailedError('BINARY_CONTENT', `binary content (NUL byte at offset ${inspected + nul}), not a text log`);
    }
    inspected += bytes.length;
    window.push(next.value);
  }
  yield* window;
  for (;;) {
    const next = await source.next();
    if (next.done) return;
    yield next.value;
  }
}

/**
 * The format of a file of wrapped records, from the first document's kind and the first records: CloudTrail and
 * AWS Config have their own parsers; CloudWatch Logs events are `cloudwatch/<format of their messages>`; the
 * elements of a JSON array are detected like lines.
 */
function wrappedFormat(reader: WrappedRecordReader, events: readonly PositionedEvent[], requested: string): { format: string; formatContext?: FormatContext } {
  if (requested !== 'auto') return { format: requested };
  const texts = events.map((event) => event.text).filter((text) => text !== '');
  switch (reader.kind) {
    case 'cloudwatch': {
      const messages = texts.flatMap((text) => {
        try {
          const message = (JSON.parse(text) as { message?: unknown }).message;
          return typeof message === 'string' ? [message] : [];
        } catch {
          return [];
        }
      });
      const inner = detectFormat(messages);
      return { format: `cloudwatch/${inner.format}`, ...(inner.formatContext === undefined ? {} : { formatContext: inner.formatContext }) };
    }
    case 'awsconfig':
      return { format: 'awsconfig' };
    case 'array':
      return detectFormat(texts);
    default:
      return { format: 'cloudtrail' };
  }
}

/** Formats whose lines may carry a timestamp without a year. */
function hasYearlessTimestamps(format: string): boolean {
  const single = mixedOtherFormat(format) ?? format;
  return single === 'syslog' || single === 'text';
}

/**
 * The reason of a batch whose gzip stopped being good gzip: where, what, and what was kept. Offsets of a gzip
 * inside the object's gzip are in that inner gzip's own bytes.
 */
function gzipFailureReason(error: GzipStreamError, level: number): string {
  const at = (offset: number) => (level === 0 ? `compressed byte ${offset}` : `byte ${offset} of the gzip inside the gzip`);
  const members = (count: number) => `${count} member${count === 1 ? '' : 's'}`;
  if (error.kind === 'trailing') {
    return (
      `${error.trailingBytes} bytes after the last complete gzip member (from ${at(error.compressedOffset)}) do not start a ` +
      `gzip member and were not read (\`gzip -d\` ignores them too); every line of the ${members(error.member - 1)} before them was kept`
    );
  }
  const near = `corrupt gzip near ${at(error.compressedOffset)}`;
  if (error.member === 1) return `${near}: ${error.problem}; the complete lines before it were kept`;
  return (
    `${near} (member ${error.member}, from ${at(error.memberOffset)}): ${error.problem}; every line of the ` +
    `${members(error.member - 1)} before it was kept, and the complete lines this member gave before the damage`
  );
}

/**
 * Holds back the bytes after the last line break (LF or CR) until it is known whether they are a line: at the end
 * of good content they are its last line; after a gzip failure (`keepUntil` gives a position) only the bytes up
 * to it — the end of the last member read whole — are, and the rest, a line torn by the damage, is dropped. It
 * comes after the binary sniff, so a binary object without line breaks fails before it is held.
 */
async function* withoutTornLine(content: AsyncIterable<Buffer>, keepUntil: () => number | undefined): AsyncGenerator<Buffer> {
  let position = 0;
  let held: Buffer[] = [];
  let heldBytes = 0;
  for await (const buffer of content) {
    position += buffer.length;
    const cut = Math.max(buffer.lastIndexOf(0x0a), buffer.lastIndexOf(0x0d)) + 1;
    if (cut === 0) {
      held.push(buffer);
      heldBytes += buffer.length;
      continue;
    }
    // One buffer per release: a long line held in pieces reaches the line splitter in one piece.
    yield held.length === 0 ? buffer.subarray(0, cut) : Buffer.concat([...held, buffer.subarray(0, cut)]);
    held = cut < buffer.length ? [buffer.subarray(cut)] : [];
    heldBytes = buffer.length - cut;
  }
  if (heldBytes === 0) return;
  const heldFrom = position - heldBytes;
  const kept = Math.max(0, Math.min(heldBytes, (keepUntil() ?? position) - heldFrom));
  if (kept > 0) yield Buffer.concat(held).subarray(0, kept);
}

/** Reads at least `count` bytes (or all there is) and hands back a stream that replays them first. */
async function peekBytes(content: AsyncIterable<Buffer>, count: number): Promise<{ head: Buffer; stream: AsyncIterable<Buffer> }> {
  const source = content[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < count) {
    const next = await source.next();
    if (next.done) break;
    head = head.length === 0 ? Buffer.from(next.value) : Buffer.concat([head, next.value]);
  }
  const replay = async function* (): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await source.next();
      if (next.done) return;
      yield next.value;
    }
  };
  return { head, stream: replay() };
}

/** The UTF-16 variant a byte-order mark announces. */
function utf16Encoding(head: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

/** Decodes UTF-16 text (its BOM dropped) to UTF-8 as it streams; characters split across buffers are kept. */
async function* transcodeUtf16(content: AsyncIterable<Buffer>, encoding: 'utf-16le' | 'utf-16be'): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder(encoding);
  for await (const buffer of content) {
    const text = decoder.decode(buffer, { stream: true });
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield Buffer.from(rest, 'utf8');
}

/** Groups chunks into `SendMessageBatch` calls of at most 10 messages and 1 MiB. */
class BatchSender {
  private pending: EncodedChunk[] = [];
  private pendingBytes = 0;

  constructor(private readonly queue: ChunkQueue) {}

  async add(chunk: EncodedChunk): Promise<void> {
    if (this.pending.length >= MAX_MESSAGES_PER_SEND || this.pendingBytes + chunk.bytes > MAX_MESSAGE_BYTES) {
      await this.flush();
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.bytes;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await this.queue.sendBatch(batch);
  }
}
