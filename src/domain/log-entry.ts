/**
 * One stored log record, in the OpenTelemetry log data model
 * (https://opentelemetry.io/docs/specs/otel/logs/data-model/), plus the keys logbatch tracks it by.
 */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

export interface LogEntry {
  readonly batchId: string;
  /** 1-based line number in the original file; for a multi-line event, the number of its first line. */
  readonly lineNumber: number;
  /** When the event happened, ISO 8601 UTC with milliseconds; absent when the line carries no time. */
  readonly timestamp?: string;
  /** When logbatch read the line, ISO 8601 UTC with milliseconds. */
  readonly observedTimestamp: string;
  readonly severityText?: string;
  /** OpenTelemetry severity number: 1-4 TRACE, 5-8 DEBUG, 9-12 INFO, 13-16 WARN, 17-20 ERROR, 21-24 FATAL. */
  readonly severityNumber?: number;
  /** The message; for an unparsed line, the raw line. */
  readonly body: string;
  /**
   * The event's text as read (a multi-line event's lines joined with `\n`), redacted like the body; set only when it
   * differs from `body` (an unparsed entry's body already is the raw line) and the event was not truncated.
   */
  readonly raw?: string;
  /** Named by OpenTelemetry semantic conventions (`client.address`, `http.request.method`, ...). */
  readonly attributes: Attributes;
  /** The format the line was parsed as (`json`, `text`, `combined`, ...). */
  readonly format: string;
  /** Set when the line could not be parsed: the body is then the raw line. */
  readonly parseError?: string;
  /** Set when the line was longer than the item budget and was cut. */
  readonly truncated?: boolean;
  /** Byte length of the line before truncation. */
  readonly originalLength?: number;
  /** Number of physical lines in a multi-line event (absent for 1). */
  readonly lineCount?: number;
  /** Values replaced by redaction, counted by detector (`{"aws-access-key": 1}`); absent when nothing was redacted. */
  readonly redactions?: Readonly<Record<string, number>>;
}

/**
 * An entry as `--out` and `query --json` write it: without `raw`, which for a JSON log would repeat the whole line
 * (the page and its API show `raw`; the stores keep it).
 */
export function exportedEntry(entry: LogEntry): LogEntry {
  if (entry.raw === undefined) return entry;
  const { raw: _raw, ...exported } = entry;
  return exported;
}

/** What a parser extracts from one line; the pipeline adds the tracking keys. */
export interface ParsedRecord {
  readonly timestamp?: string;
  readonly severityText?: string;
  readonly severityNumber?: number;
  readonly body: string;
  readonly attributes: Attributes;
}

export type ParseResult =
  | { readonly ok: true; readonly record: ParsedRecord; readonly format?: string }
  | { readonly ok: false; readonly error: string };
