import type { ChunkStats } from './batch.js';
import type { ChunkMessage } from './chunk.js';
import { isBlankLine } from './line-splitter.js';
import type { LogEntry } from './log-entry.js';
import { lineParserFor, mixedOtherFormat } from './parsing/formats.js';
import type { ParseContext } from './parsing/parser.js';
import { parseTextLine } from './parsing/text.parser.js';
import type { EventFilter } from './filtering/event-filter.js';
import type { Redactor } from './redaction/redactor.js';

/** What the worker keeps and hides, compiled once from the pipeline settings. */
export interface EntryPolicy {
  /** Drops events by their raw text and entries by their parsed severity; the dropped lines count as `filtered`. */
  readonly filter?: EventFilter;
  /** Replaces secrets in each kept entry (its `raw` too); an entry with a replacement counts as `redacted`. */
  readonly redactor?: Redactor;
  /**
   * Keep each parsed entry's event text in `raw` (when it differs from the body and the event was not truncated);
   * false for a store that leaves `raw` out (the `--out` file), so it costs nothing there. @default true
   */
  readonly keepRaw?: boolean;
}

/**
 * Parses every event of a chunk into entries and counts what the chunk holds. A line its format cannot parse is
 * still an entry: the text fallback's fields, the raw line as body, and `parseError` set. With a policy, filters
 * drop whole events (all their lines count as `filtered`) and the redactor rewrites the entries kept.
 */
export function buildEntries(
  message: ChunkMessage,
  observedAt: Date,
  policy: EntryPolicy = {},
): { entries: LogEntry[]; stats: ChunkStats } {
  const filter = policy.filter;
  const textFilter = filter?.matchesText === true ? filter : undefined;
  const minSeverity = filter?.minSeverityNumber;
  const redactor = policy.redactor;
  const keepRaw = policy.keepRaw !== false;
  // A header that names a secret field (`x-api-key`) leaves its data lines without the trigger word the gate looks for.
  const fieldNames = message.formatContext?.fields;
  const ungated = redactor !== undefined && fieldNames !== undefined && redactor.declaresSecretFields(fieldNames);
  const parse = lineParserFor(message.format) ?? parseTextLine;
  // An unparsed line of a mixed file is not JSON: it is recorded under the file's other format.
  const unparsedFormat = mixedOtherFormat(message.format) ?? message.format;
  const context: ParseContext = { observedAt, formatContext: message.formatContext };
  const observedTimestamp = observedAt.toISOString();
  const entries: LogEntry[] = [];
  let blank = 0;
  let continuation = 0;
  let unparsed = 0;
  let truncated = 0;
  let filtered = 0;
  let redacted = 0;
  const lines = message.lines;
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index];
    if (text === null) {
      continuation++;
      continue;
    }
    const originalLength = message.truncated?.[String(index)];
    // A cut event is never blank: what was cut off may be all of its text (a line of 140k spaces, then a message).
    if (text === '' || (originalLength === undefined && isBlankLine(text))) {
      blank++;
      continue;
    }
    const lineNumber = message.firstLine + index;
    let lineCount = 1;
    while (index + lineCount < lines.length && lines[index + lineCount] === null) lineCount++;
    if (textFilter !== undefined && !textFilter.keepsText(text)) {
      // The whole event goes: its continuation lines count as filtered, not as continuation.
      filtered += lineCount;
      index += lineCount - 1;
      continue;
    }
    const result = parse(text, context);
    let entry: LogEntry;
    if (result.ok) {
      if (minSeverity !== undefined && result.record.severityNumber !== undefined && result.record.severityNumber < minSeverity) {
        filtered += lineCount;
        index += lineCount - 1;
        continue;
      }
      // One literal with every field (absent ones undefined, dropped by serialisation): every entry gets the same
      // shape, which keeps this loop monomorphic and is measurably faster than spreading the record.
      const record = result.record;
      entry = {
        batchId: message.batchId,
        lineNumber,
        timestamp: record.timestamp,
        observedTimestamp,
        severityText: record.severityText,
        severityNumber: record.severityNumber,
        body: record.body,
        // The event text is at most the body's budget (maxEventBytes); a longer one was cut on the way in (truncated),
        // and a cut raw line is left out rather than shown as if it were the line.
        raw: keepRaw && originalLength === undefined && record.body !== text ? text : undefined,
        attributes: record.attributes,
        format: result.format ?? message.format,
      };
    } else {
      unparsed++;
      const fallback = parseTextLine(text, context);
      const record = fallback.ok ? fallback.record : { body: text, attributes: {} };
      entry = {
        batchId: message.batchId,
        lineNumber,
        ...record,
        body: text,
        observedTimestamp,
        format: unparsedFormat,
        parseError: result.error,
      };
    }
    if (originalLength !== undefined) {
      truncated++;
      entry = { ...entry, truncated: true, originalLength };
    }
    if (lineCount > 1) entry = { ...entry, lineCount };
    if (redactor !== undefined) {
      const redactedEntry = redactor.redactEntry(entry, text, ungated);
      if (redactedEntry !== entry) {
        redacted++;
        entry = redactedEntry;
      }
    }
    entries.push(entry);
  }
  return {
    entries,
    stats: { lines: lines.length, entries: entries.length, unparsed, blank, continuation, truncated, filtered, redacted },
  };
}
