import type { ParsedRecord, ParseResult } from '../log-entry.js';
import { LOG_IOSTREAM_ATTRIBUTE, parseJsonLine } from './json.parser.js';
import type { LineParser, ParseContext } from './parser.js';
import { parseTextLine } from './text.parser.js';
import { isoFromString } from './timestamp.js';

/**
 * Set to `P` on an entry whose line never got its `F` line (the file ended, another stream's line came first, or the
 * event reached the multi-line caps). The OpenTelemetry Collector's container parser names the CRI tag `logtag`.
 */
export const CRI_LOGTAG_ATTRIBUTE = 'logtag';

const SPACE = 32;
const COLON = 58;
const PARTIAL_TAG = 80; /* P */
const FULL_TAG = 70; /* F */
/** `2024-05-01T10:00:00Z` to `2024-05-01T10:00:00.123456789+02:00`: where the space after an RFC 3339 time may stand. */
const SHORTEST_TIME = 20;
const LONGEST_TIME = 35;
/** `stdout ` and `stderr `, between the time's space and the tag. */
const STREAM_FIELD = 7;

/**
 * Where the tag of a Kubernetes CRI log line stands (`<RFC 3339 time> <stdout|stderr> <P|F> <payload>`, as containerd
 * and CRI-O write them), or -1 when the line is not of that shape. Only the shape is checked, not the time's value: this
 * runs on every line of a CRI file (see `CRI_POLICY`). The stream's fourth letter is at the tag's index − 4 (`o` for
 * stdout, `e` for stderr). A tag may carry more `:`-separated tags after `P`/`F`, as the CRI log format allows.
 */
export function criTagIndex(line: string): number {
  if (line.charCodeAt(4) !== 45 /* - */ || line.charCodeAt(7) !== 45 || line.charCodeAt(10) !== 84 /* T */) return -1;
  const timeEnd = line.indexOf(' ', SHORTEST_TIME - 1);
  if (timeEnd < SHORTEST_TIME || timeEnd > LONGEST_TIME) return -1;
  if (!line.startsWith('stdout ', timeEnd + 1) && !line.startsWith('stderr ', timeEnd + 1)) return -1;
  const tag = timeEnd + 1 + STREAM_FIELD;
  const code = line.charCodeAt(tag);
  if (code !== PARTIAL_TAG && code !== FULL_TAG) return -1;
  const next = line.charCodeAt(tag + 1);
  return tag + 1 === line.length || next === SPACE || next === COLON ? tag : -1;
}

/** The payload of a CRI line whose tag is at `tag`: what follows the tag field and one space (may be empty). */
function payloadOf(line: string, tag: number): string {
  const tagEnd = line.charCodeAt(tag + 1) === COLON ? line.indexOf(' ', tag) : tag + 1;
  return tagEnd === -1 || tagEnd >= line.length ? '' : line.slice(tagEnd + 1);
}

/**
 * The payload's own fields: a JSON object is read as the `json` parser reads a line (body, level, attributes),
 * anything else as `text` reads a line (level word, a klog header's fields).
 */
function payloadRecord(payload: string, context: ParseContext): ParsedRecord {
  const first = payload.charCodeAt(0);
  if (first === 123 /* { */ || ((first === SPACE || first === 9) && payload.trimStart().charCodeAt(0) === 123)) {
    const json = parseJsonLine(payload, context);
    if (json.ok) return json.record;
  }
  const text = parseTextLine(payload, context);
  return text.ok ? text.record : { body: payload, attributes: {} };
}

/**
 * Kubernetes container logs as the CRI runtimes write them: `<RFC 3339 time> <stdout|stderr> <P|F> <payload>`.
 * The runtime splits a long line into `P` (partial) lines and a last `F` (full) line; the splitter joins such a run
 * into one event (`CRI_POLICY`), and this parser makes it one entry whose body is the payloads concatenated with
 * nothing between them. (Lines joined for another reason, a private key block, keep a `\n` after each `F` line.)
 *
 * `timestamp` is the runtime's time of the event's first line; `log.iostream` the stream. The payload is then read
 * for its own fields: a JSON object as the `json` parser reads a line (its body, level and attributes; its own time
 * field is read but the runtime's time is kept, as for CloudWatch Logs events), anything else as `text` (a level word
 * anywhere, a klog header). An entry whose line never got its `F` gets `logtag: "P"`.
 */
export const parseCriLine: LineParser = (event, context): ParseResult => {
  let newline = event.indexOf('\n');
  const firstLine = newline === -1 ? event : event.slice(0, newline);
  const tag = criTagIndex(firstLine);
  if (tag === -1) return { ok: false, error: 'not a CRI log line: expected "<RFC 3339 time> <stdout|stderr> <P|F> <message>"' };
  const time = firstLine.slice(0, tag - 1 - STREAM_FIELD);
  const timestamp = isoFromString(time);
  if (timestamp === undefined) return { ok: false, error: `invalid time "${time}"` };
  const stream = firstLine.charCodeAt(tag - 4) === 111 /* o */ ? 'stdout' : 'stderr';
  let payload = payloadOf(firstLine, tag);
  let partial = firstLine.charCodeAt(tag) === PARTIAL_TAG;
  while (newline !== -1) {
    const start = newline + 1;
    newline = event.indexOf('\n', start);
    const line = newline === -1 ? event.slice(start) : event.slice(start, newline);
    const lineTag = criTagIndex(line);
    if (lineTag === -1) {
      // Not a CRI line (only a private key block's lines can be joined so): kept whole, on a line of its own.
      payload += `\n${line}`;
      partial = false;
      continue;
    }
    payload += partial ? payloadOf(line, lineTag) : `\n${payloadOf(line, lineTag)}`;
    partial = line.charCodeAt(lineTag) === PARTIAL_TAG;
  }
  const inner = payloadRecord(payload, context);
  const attributes = inner.attributes;
  attributes[LOG_IOSTREAM_ATTRIBUTE] = stream;
  if (partial) attributes[CRI_LOGTAG_ATTRIBUTE] = 'P';
  return { ok: true, record: { ...inner, timestamp, attributes } };
};
