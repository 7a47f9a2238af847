import type { Attributes, AttributeValue, ParsedRecord, ParseResult } from '../log-entry.js';
import { severityFromNumber, severityFromText } from '../severity.js';
import { setInputKey } from './fields.js';
import { findInexactLongNumbers, isSuspectNumber, MAX_ATTRIBUTE_DEPTH, needsRewrite, jsonErrorMessage, quoteSpans, rewriteJsonText } from './json-text.js';
import type { LineParser } from './parser.js';
import { isoFromEpoch, isoFromString } from './timestamp.js';

/** Field names tried, in order, for the timestamp, the level and the message. */
const TIMESTAMP_KEYS = ['@timestamp', 'timestamp', 'time', 'ts', 'datetime', 'date', 't', 'eventTime'];
const LEVEL_KEYS = ['level', 'severity', 'lvl', 'loglevel', 'log.level', 'severityText', 'levelname', 'log_level'];
const MESSAGE_KEYS = ['message', 'msg', 'body', 'log', 'text', 'event'];

function takeTimestamp(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') {
    return isoFromString(value) ?? (/^\d+(?:\.\d+)?$/.test(value) ? isoFromEpoch(Number(value)) : undefined);
  }
  if (typeof value === 'number') return isoFromEpoch(value);
  return undefined;
}

function takeSeverity(value: AttributeValue | undefined): { severityText: string; severityNumber: number } | undefined {
  if (typeof value === 'string') return severityFromText(value.trim());
  if (typeof value === 'number') return severityFromNumber(value);
  return undefined;
}

/**
 * The stream a container wrote the line to (`stdout`, `stderr`), as the OpenTelemetry Collector's container parser
 * names it: a Docker json-file record's `stream`, a CRI line's stream field.
 */
export const LOG_IOSTREAM_ATTRIBUTE = 'log.iostream';

/** Set (to `true`) on an entry one of whose values was nested too deep and is kept as its JSON text. */
export const DEPTH_LIMITED_ATTRIBUTE = 'log.json.depth_limited';

/**
 * JSON lines. Any JSON value parses: an object's timestamp, level and message are taken from their common names
 * (`@timestamp`/`timestamp`/`time`/`ts`..., `level`/`severity`/`lvl`..., `message`/`msg`...; numeric levels as
 * bunyan/pino or OpenTelemetry numbers, numeric times as epoch seconds/ms/µs/ns) and every other field becomes
 * an attribute, nested values kept as maps and lists. A value that is not an object (a string, number, array...)
 * is kept in `log.json.value` with the line as the body. Invalid JSON is an error with the parser's reason. A Docker
 * json-file record (the body taken from `log`, and a string `stream`) loses the one `\n` (or `\r\n`) Docker ends
 * every `log` with, and its `stream` is `log.iostream`.
 *
 * Values are kept exactly: a number literal a double cannot hold (an integer beyond 2^53 − 1, `1e400`, `-0`...)
 * becomes a string of its source text, and a map or list more than {@link MAX_ATTRIBUTE_DEPTH} levels below
 * `attributes` becomes a string of its JSON text, the entry marked with {@link DEPTH_LIMITED_ATTRIBUTE}. Both are
 * rewritten in the source text before `JSON.parse`. Ordinary lines pay little: a probe of every 16th character
 * finds no inexact long number ({@link findInexactLongNumbers}; a 64-bit id found there is quoted in place), and
 * the check of the parsed values rides on the loop that copies them. Only a line that fails the check, or whose
 * quoted id was in a string after all, is scanned in full ({@link rewriteJsonText}) and parsed again.
 */
export const parseJsonLine: LineParser = (line, context): ParseResult => {
  const spans = findInexactLongNumbers(line);
  let value: unknown;
  try {
    value = JSON.parse(spans === undefined ? line : quoteSpans(line, spans));
  } catch (error) {
    const joined = joinDockerRecords(line);
    if (joined !== undefined) return parseJsonLine(joined, context);
    if (spans === undefined) return { ok: false, error: `invalid JSON: ${jsonErrorMessage(error, line)}` };
    // A quoted span was text in a string (or the line is invalid): find the number literals with the full scan.
    try {
      value = JSON.parse(rewriteJsonText(line, false).text);
    } catch (fullScanError) {
      return { ok: false, error: `invalid JSON: ${parseErrorOf(line, fullScanError)}` };
    }
  }
  const record = recordOf(value, line, Check.VALUES);
  if (record !== undefined) return { ok: true, record };
  // A suspect number or a value nested too deep. The line is valid JSON (the depth rewrite needs that): rewrite
  // both at the source and parse again.
  const rewritten = rewriteJsonText(line, true);
  try {
    value = JSON.parse(rewritten.text);
  } catch (error) {
    return { ok: false, error: `invalid JSON: ${parseErrorOf(line, error)}` };
  }
  return { ok: true, record: recordOf(value, line, rewritten.depthLimited ? Check.NONE_DEPTH_LIMITED : Check.NONE)! };
};

/** How Docker's json-file driver starts every record: the `log` field first. */
export const DOCKER_RECORD_START = '{"log":"';
/** What follows a Docker record's `log` string. */
export const DOCKER_STREAM_KEY = '","stream":"';

/**
 * Where the `log` string of a Docker json-file record ends (the index of the `","stream":"` after it), or -1 when the
 * line is not one. The first `","stream":"` ends it: inside the string every `"` is escaped.
 */
export function dockerLogEnd(line: string): number {
  return line.startsWith(DOCKER_RECORD_START) ? line.indexOf(DOCKER_STREAM_KEY, DOCKER_RECORD_START.length) : -1;
}

/**
 * The one record of an event of Docker json-file records joined by `DOCKER_JSON_POLICY` (a line Docker wrote as 16 KiB
 * partial records): the first record's text with its `log` replaced by the pieces' concatenation, its other fields
 * (`stream`, `time`, `attrs`) as written. Undefined when the event is not such records: each line a JSON object whose
 * `log` comes first and is a string, all of one `stream`. Runs only for a text `JSON.parse` refused.
 */
function joinDockerRecords(event: string): string | undefined {
  if (!event.startsWith(DOCKER_RECORD_START) || event.indexOf('\n') === -1) return undefined;
  let log = '';
  let stream: unknown;
  for (const line of event.split('\n')) {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      return undefined;
    }
    if (!line.startsWith(DOCKER_RECORD_START) || record === null || typeof record !== 'object') return undefined;
    const fields = record as { log?: unknown; stream?: unknown };
    if (typeof fields.log !== 'string' || typeof fields.stream !== 'string') return undefined;
    if (stream !== undefined && fields.stream !== stream) return undefined;
    stream = fields.stream;
    log += fields.log;
  }
  const first = event.slice(0, event.indexOf('\n'));
  return `{"log":${JSON.stringify(log)}${first.slice(dockerLogEnd(first) + 1)}`;
}

/** What {@link recordOf} checks in the parsed value, and whether the entry is to be marked depth-limited. */
const Check = { VALUES: 0, NONE: 1, NONE_DEPTH_LIMITED: 2 } as const;
type Check = (typeof Check)[keyof typeof Check];

/** `JSON.parse`'s message for the line as written (a rewritten text would report shifted positions). */
function parseErrorOf(line: string, rewrittenError: unknown): string {
  try {
    JSON.parse(line);
  } catch (error) {
    return jsonErrorMessage(error, line);
  }
  return jsonErrorMessage(rewrittenError, line);
}

/**
 * The record for a parsed line; with `Check.VALUES`, undefined when a value needs the source rewrite (a suspect
 * number, nesting beyond the limit). The check rides on the loop that copies the fields.
 */
function recordOf(value: unknown, line: string, check: Check): ParsedRecord | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    if (check === Check.VALUES) {
      if (typeof value === 'object' ? value !== null && needsRewrite(value, 1, line) : typeof value === 'number' && isSuspectNumber(value, line)) {
        return undefined;
      }
    }
    const attributes: Attributes = { 'log.json.value': value as AttributeValue };
    if (check === Check.NONE_DEPTH_LIMITED) attributes[DEPTH_LIMITED_ATTRIBUTE] = true;
    return { body: line, attributes };
  }
  const object = value as Record<string, AttributeValue>;
  let timestampKey: string | undefined;
  let timestamp: string | undefined;
  for (const key of TIMESTAMP_KEYS) {
    if (!Object.hasOwn(object, key)) continue;
    timestamp = takeTimestamp(object[key]);
    if (timestamp !== undefined) {
      timestampKey = key;
      break;
    }
  }
  let levelKey: string | undefined;
  let severity: { severityText: string; severityNumber: number } | undefined;
  for (const key of LEVEL_KEYS) {
    if (!Object.hasOwn(object, key)) continue;
    severity = takeSeverity(object[key]);
    if (severity !== undefined) {
      levelKey = key;
      break;
    }
  }
  let messageKey: string | undefined;
  for (const key of MESSAGE_KEYS) {
    if (Object.hasOwn(object, key) && typeof object[key] === 'string') {
      messageKey = key;
      break;
    }
  }
  // Docker's json-file driver (`{"log":"GET /\n","stream":"stdout","time":"…"}`): the stream is `log.iostream`, and
  // the `\n` Docker appends to every line is not part of the message.
  const dockerRecord = messageKey === 'log' && typeof object.stream === 'string';
  // Copy the remaining fields instead of deleting from the parsed object (deletes make V8 objects slow).
  const attributes: Attributes = {};
  for (const key in object) {
    const field = object[key];
    if (check === Check.VALUES) {
      if (typeof field === 'object') {
        if (field !== null && needsRewrite(field, 1, line)) return undefined;
      } else if (typeof field === 'number' && isSuspectNumber(field, line)) return undefined;
    }
    if (key !== timestampKey && key !== levelKey && key !== messageKey) {
      setInputKey(attributes, dockerRecord && key === 'stream' ? LOG_IOSTREAM_ATTRIBUTE : key, field);
    }
  }
  if (check === Check.NONE_DEPTH_LIMITED) attributes[DEPTH_LIMITED_ATTRIBUTE] = true;
  const message = messageKey === undefined ? line : (object[messageKey] as string);
  const body = dockerRecord ? withoutLineEnd(message) : message;
  return { timestamp, ...severity, body, attributes };
}

/** The text without one trailing `\n` or `\r\n`. */
function withoutLineEnd(text: string): string {
  if (text.charCodeAt(text.length - 1) !== 10) return text;
  return text.slice(0, text.charCodeAt(text.length - 2) === 13 ? -2 : -1);
}
