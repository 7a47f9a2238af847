import type { LogEvent } from './chunk-packer.js';
import type { RawLine } from './line-splitter.js';
import type { MultilinePolicy } from './parsing/multiline.js';

/** An event with the byte offset of its first line, which is where a split can resume before it. */
export interface PositionedEvent extends LogEvent {
  readonly byteOffset: number;
}

/**
 * Turns physical lines into events: continuation lines join the event before them (per the format's policy),
 * up to the policy's caps; a blank line is an event of its own and ends the one before it.
 */
export class EventAssembler {
  private pending: { lines: string[]; bytes: number; byteOffset: number; ascii: boolean } | undefined;

  constructor(private readonly policy: MultilinePolicy | undefined) {}

  push(line: RawLine, out: PositionedEvent[]): void {
    const policy = this.policy;
    if (policy === undefined) {
      out.push({ text: line.text, lineCount: 1, byteOffset: line.byteOffset, ascii: line.ascii });
      return;
    }
    const pending = this.pending;
    if (
      pending !== undefined &&
      line.text !== '' &&
      pending.lines.length < policy.maxLines &&
      pending.bytes + line.text.length < policy.maxBytes &&
      policy.isContinuation(line.text, pending.lines[0])
    ) {
      pending.lines.push(line.text);
      pending.bytes += line.text.length + 1;
      pending.ascii &&= line.ascii === true;
      return;
    }
    this.flush(out);
    if (line.text === '') {
      out.push({ text: '', lineCount: 1, byteOffset: line.byteOffset, ascii: true });
      return;
    }
    this.pending = { lines: [line.text], bytes: line.text.length, byteOffset: line.byteOffset, ascii: line.ascii === true };
  }

  flush(out: PositionedEvent[]): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    out.push({ text: pending.lines.join('\n'), lineCount: pending.lines.length, byteOffset: pending.byteOffset, ascii: pending.ascii });
  }
}
