import type { FormatContext } from '../chunk.js';
import type { ParseResult } from '../log-entry.js';

export interface ParseContext {
  /** When the line is read; years missing from a timestamp are inferred relative to it. */
  readonly observedAt: Date;
  /** File-level context the splitter found (header fields), carried in every chunk. */
  readonly formatContext?: FormatContext;
}

/** A pure function from one log event (a line, or lines joined by `\n`) to a record or a parse error. */
export type LineParser = (line: string, context: ParseContext) => ParseResult;
