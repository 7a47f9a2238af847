import type { LogEvent } from './chunk-packer.js';
import { isBlankLine, type RawLine } from './line-splitter.js';
import { keyBlockLine, type KeyBlockLine, type MultilinePolicy, ONE_LINE_POLICY, opensPrivateKeyBlock, PRIVATE_KEY_BEGIN } from './parsing/multiline.js';

/** An event with the byte offset of its first line, which is where a split can resume before it. */
export interface PositionedEvent extends LogEvent {
  readonly byteOffset: number;
  /**
   * For record-structured files (CloudTrail documents): events produced before this one by the documents that
   * start on the line at `byteOffset`, so a split can resume between two records of one line.
   */
  readonly recordIndex?: number;
}

/** A line's UTF-8 size: its length when the splitter saw it is all ASCII (the hot path), else measured. */
const utf8Bytes = (line: RawLine): number => (line.ascii === true ? line.text.length : Buffer.byteLength(line.text, 'utf8'));

/**
 * Turns physical lines into events: continuation lines join the event before them (per the format's policy),
 * up to the policy's caps (a continuation line beyond them starts a new event); a blank line is an event of its
 * own and ends the one before it. In every format, the lines of a PEM private key block (`-----BEGIN … PRIVATE
 * KEY-----`, then its base64 and header lines, to `-----END … PRIVATE KEY-----`) join the event the block starts in,
 * so the block is redacted whole and never stored line by line.
 */
export class EventAssembler {
  private pending:
    | {
        lines: string[];
        lineCount: number;
        /** UTF-8 bytes of the joined lines (with their `\n`s), measured against the policy's byte cap. */
        bytes: number;
        byteOffset: number;
        ascii: boolean;
        cutBytes: number;
        inKeyBlock: boolean;
        /** In a key block: what its last line was (a short base64 line may follow BEGIN or a full-width line). */
        keyLine: KeyBlockLine;
      }
    | undefined;

  constructor(private readonly policy: MultilinePolicy | undefined) {}

  push(line: RawLine, out: PositionedEvent[]): void {
    const pending = this.pending;
    if (pending === undefined && this.standsAlone(line.text) && line.text.indexOf(PRIVATE_KEY_BEGIN) === -1) {
      // Every line is an event: the line itself, no copy (this runs for every line of most files).
      out.push(line);
      return;
    }
    const policy = this.policy ?? ONE_LINE_POLICY;
    if (pending !== undefined && !isBlankLine(line.text)) {
      if (pending.inKeyBlock) {
        // A key block takes the lines that look like its own (base64, headers, its END line) and nothing else, so a
        // line that only mentions `-----BEGIN PRIVATE KEY-----` takes no log lines with it. Beyond twice the line
        // cap the lines start a new event, as before.
        const keyLine = pending.lineCount < 2 * policy.maxLines ? keyBlockLine(line.text, pending.keyLine) : undefined;
        if (keyLine !== undefined) {
          pending.inKeyBlock = keyLine !== 'end';
          pending.keyLine = keyLine;
          // Beyond the caps a key block is cut, not split: its lines are counted, their text dropped, and the event
          // marked truncated with its full size. Stored on their own, they would escape the private-key detector.
          if (pending.cutBytes === 0 && pending.lines.length < policy.maxLines && pending.bytes + 1 + utf8Bytes(line) <= policy.maxBytes) {
            this.append(pending, line);
          } else {
            pending.cutBytes += Buffer.byteLength(line.text, 'utf8') + 1;
          }
          pending.lineCount += 1;
          return;
        }
      } else if (
        policy.isContinuation(line.text, pending.lines[0], pending.lines[pending.lines.length - 1]) &&
        pending.lines.length < policy.maxLines &&
        pending.bytes + 1 + utf8Bytes(line) <= policy.maxBytes
      ) {
        // Within the caps a continuation line joins the event; beyond them it starts a new event (below), so no
        // line's text is ever dropped from a long stack trace.
        this.append(pending, line);
        pending.inKeyBlock = opensPrivateKeyBlock(line.text);
        pending.keyLine = 'begin';
        pending.lineCount += 1;
        return;
      }
    }
    this.flush(out);
    if (isBlankLine(line.text)) {
      out.push({ text: '', lineCount: 1, byteOffset: line.byteOffset, ascii: true });
      return;
    }
    const inKeyBlock = opensPrivateKeyBlock(line.text);
    if (!inKeyBlock && this.standsAlone(line.text)) {
      out.push(line);
      return;
    }
    this.pending = {
      inKeyBlock,
      keyLine: 'begin',
      lines: [line.text],
      lineCount: 1,
      bytes: utf8Bytes(line),
      byteOffset: line.byteOffset,
      ascii: line.ascii === true,
      cutBytes: 0,
    };
  }

  /** True when no later line can continue this one (see `MultilinePolicy.continuable`), a private key block aside. */
  private standsAlone(text: string): boolean {
    const policy = this.policy;
    return policy === undefined || (policy.continuable !== undefined && !policy.continuable(text));
  }

  private append(pending: NonNullable<EventAssembler['pending']>, line: RawLine): void {
    pending.lines.push(line.text);
    pending.bytes += utf8Bytes(line) + 1;
    pending.ascii &&= line.ascii === true;
  }

  flush(out: PositionedEvent[]): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    const text = pending.lines.join('\n');
    out.push({
      text,
      lineCount: pending.lineCount,
      byteOffset: pending.byteOffset,
      ascii: pending.ascii,
      ...(pending.cutBytes > 0 ? { originalBytes: Buffer.byteLength(text, 'utf8') + pending.cutBytes } : {}),
    });
  }
}
