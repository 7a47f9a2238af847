import { EventAssembler, type PositionedEvent } from '../../src/domain/event-assembler.js';
import { multilinePolicyFor } from '../../src/domain/parsing/multiline.js';

/** Runs lines through the splitter's assembler with the multi-line policy of `format` and returns the events' texts. */
export function assemble(lines: readonly string[], format: string): string[] {
  const assembler = new EventAssembler(multilinePolicyFor(format));
  const events: PositionedEvent[] = [];
  let byteOffset = 0;
  for (const text of lines) {
    assembler.push({ text, byteOffset }, events);
    byteOffset += Buffer.byteLength(text) + 1;
  }
  assembler.flush(events);
  return events.map((event) => event.text);
}
