import type { LogEvent } from './chunk-packer.js';
import { isBlankLine, type RawLine } from './line-splitter.js';
import { closesPrivateKeyBlock, type MultilinePolicy, ONE_LINE_POLICY, opensPrivateKeyBlock, PRIVATE_KEY_BEGIN } from './parsing/multiline.js';

/** An event with the byte offset of its first line, which is where a split can resume before it. */
export interface PositionedEvent extends LogEvent {
  readonly byteOffset: number;
  /**
   * For record-structured files (CloudTrail documents): events produced before this one by the documents that
   * start on the line at `byteOffset`, so a split can resume between two records of one line.
   */
  readonly recordIndex?: number;
}

/**
 * Turns physical lines into events: continuation lines join the event before them (per the format's policy),
 * up to the policy's caps; a blank line is an event of its own and ends the one before it. In every format, the
 * lines of a PEM private key block (`-----BEGIN … PRIVATE KEY-----` to `-----END … PRIVATE KEY-----`) join the event
 * the block starts in, so the block is redacted whole and never stored line by line.
 */
export class EventAssembler {
  private pending:
    | { lines: string[]; lineCount: number; bytes: number; byteOffset: number; ascii: boolean; cutBytes: number; inKeyBlock: boolean }
    | undefined;

  constructor(private readonly policy: MultilinePolicy | undefined) {}

  push(line: RawLine, out: PositionedEvent[]): void {
    const pending = this.pending;
    if (pending === undefined && this.policy === undefined && line.text.indexOf(PRIVATE_KEY_BEGIN) === -1) {
      // Every line is an event: the line itself, no copy (this runs for every line of most files).
      out.push(line);
      return;
    }
    const policy = this.policy ?? ONE_LINE_POLICY;
    // An event stops absorbing continuation lines at twice its line cap; what follows starts a new event.
    if (
      pending !== undefined &&
      !isBlankLine(line.text) &&
      pending.lineCount < 2 * policy.maxLines &&
      (pending.inKeyBlock || policy.isContinuation(line.text, pending.lines[0]))
    ) {
      pending.inKeyBlock = pending.inKeyBlock ? !closesPrivateKeyBlock(line.text) : opensPrivateKeyBlock(line.text);
      if (pending.lines.length < policy.maxLines && pending.bytes + line.text.length < policy.maxBytes) {
        pending.lines.push(line.text);
        pending.bytes += line.text.length + 1;
        pending.ascii &&= line.ascii === true;
      } else {
        // Beyond the caps the event is cut: the line still belongs to it (and is counted) but its text is dropped,
        // and the event is marked truncated with its full size.
        pending.cutBytes += Buffer.byteLength(line.text, 'utf8') + 1;
      }
      pending.lineCount += 1;
      return;
    }
    this.flush(out);
    if (isBlankLine(line.text)) {
      out.push({ text: '', lineCount: 1, byteOffset: line.byteOffset, ascii: true });
      return;
    }
    const inKeyBlock = opensPrivateKeyBlock(line.text);
    if (this.policy === undefined && !inKeyBlock) {
      out.push(line);
      return;
    }
    this.pending = {
      inKeyBlock,
      lines: [line.text],
      lineCount: 1,
      bytes: line.text.length,
      byteOffset: line.byteOffset,
      ascii: line.ascii === true,
      cutBytes: 0,
    };
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
