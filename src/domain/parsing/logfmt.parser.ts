import type { Attributes, ParsedRecord, ParseResult } from '../log-entry.js';
import { severityFromNumber, severityFromText } from '../severity.js';
import { setInputKey } from './fields.js';
import type { LineParser } from './parser.js';
import { parseTextLine } from './text.parser.js';
import { isoFromEpoch, isoFromString } from './timestamp.js';

const TIMESTAMP_KEYS = new Set(['time', 'ts', 'timestamp', '@timestamp', 't', 'datetime']);
const LEVEL_KEYS = new Set(['level', 'lvl', 'severity', 'loglevel']);
const MESSAGE_KEYS = new Set(['msg', 'message']);
const REPLACEMENT_CHARACTER = 0xfffd;
/** The level words the text parser finds (upper or lower case, as it takes them), for a line's leading words. */
const LEADING_LEVEL_WORDS = new Set([
  'TRACE', 'DEBUG', 'INFO', 'INFORMATION', 'NOTICE', 'WARN', 'WARNING', 'ERROR', 'ERR', 'SEVERE', 'CRIT', 'CRITICAL',
  'FATAL', 'ALERT', 'EMERG', 'PANIC', 'trace', 'debug', 'info', 'notice', 'warn', 'warning', 'error', 'fatal',
  'critical', 'crit', 'alert', 'emerg',
]);

/**
 * logfmt (`key=value key2="quoted value" flag`), with go-logfmt's grammar: any byte up to space is whitespace,
 * keys are printable and contain no `=` or `"`, quoted values take JSON escapes, a bare key is a flag (`true`),
 * `key=` is the empty string. `time`/`ts`/`timestamp`, `level`/`lvl`/`severity` and `msg`/`message` become the
 * entry's timestamp, severity and body; every other pair is an attribute (values stay strings).
 *
 * Bare words at the very start of the line that are a timestamp (RFC 3339 / ISO 8601 with `T` or a space, the zone
 * attached or a word of its own; Go's `2006/01/02 15:04:05[.000000]`, UTC) and/or a level word as the text parser
 * knows it (`INFO`, `warn`, `[ERROR]`, `WARN:`), in either order, are the entry's timestamp and severity, not
 * attributes: many programs print `<time> <LEVEL> k=v ...`. A `time=`/`level=` pair wins over them; the first other
 * bare word ends the leading words (`dry_run user=bob` keeps `dry_run` as a flag). The leading words still count as
 * bare words below, so which lines are logfmt (and detection) is unchanged.
 *
 * A line with fewer `key=value` pairs than bare words (a plain sentence such as `Server started on port 80`)
 * is not logfmt: it is returned as a `text` record, so detection does not mistake prose for logfmt.
 */
export const parseLogfmtLine: LineParser = (line, context): ParseResult => {
  const pairs: Array<[string, string | true]> = [];
  const length = line.length;
  let index = 0;
  let pairCount = 0;
  while (index < length) {
    const code = line.charCodeAt(index);
    if (code <= 32) {
      index++;
      continue;
    }
    // Key.
    const keyStart = index;
    while (index < length) {
      const keyCode = line.charCodeAt(index);
      if (keyCode <= 32 || keyCode === 61 /* = */) break;
      if (keyCode === 34 /* " */) return unexpected('"', index);
      if (keyCode === REPLACEMENT_CHARACTER) return { ok: false, error: `invalid key at column ${index + 1}` };
      index++;
    }
    if (index === keyStart) return unexpected('=', index);
    const key = line.slice(keyStart, index);
    if (index >= length || line.charCodeAt(index) !== 61) {
      pairs.push([key, true]);
      continue;
    }
    index++; // '='
    pairCount++;
    if (index >= length || line.charCodeAt(index) <= 32) {
      pairs.push([key, '']);
      continue;
    }
    if (line.charCodeAt(index) === 34) {
      const quoted = readQuoted(line, index);
      if (typeof quoted !== 'string') return { ok: false, error: quoted.error };
      pairs.push([key, quoted]);
      index = skipQuoted(line, index);
      continue;
    }
    const valueStart = index;
    while (index < length) {
      const valueCode = line.charCodeAt(index);
      if (valueCode <= 32) break;
      if (valueCode === 61) return unexpected('=', index);
      if (valueCode === 34) return unexpected('"', index);
      index++;
    }
    pairs.push([key, line.slice(valueStart, index)]);
  }
  if (pairCount === 0 || pairCount * 2 < pairs.length) {
    const text = parseTextLine(line, context);
    return text.ok ? { ...text, format: 'text' } : text;
  }
  return { ok: true, record: toRecord(line, pairs) };
};

function unexpected(character: string, index: number): ParseResult {
  return { ok: false, error: `unexpected '${character}' at column ${index + 1}` };
}

/** Index just past the closing quote of the quoted value starting at `start` (known to be terminated). */
function skipQuoted(line: string, start: number): number {
  let index = start + 1;
  while (index < line.length) {
    const code = line.charCodeAt(index);
    if (code === 92) index += 2;
    else if (code === 34) return index + 1;
    else index++;
  }
  return index;
}

function readQuoted(line: string, start: number): string | { error: string } {
  let index = start + 1;
  let escaped = false;
  while (index < line.length) {
    const code = line.charCodeAt(index);
    if (code === 92) {
      escaped = true;
      index += 2;
      continue;
    }
    if (code === 34) {
      const raw = line.slice(start + 1, index);
      if (!escaped) return raw;
      try {
        return JSON.parse(`"${raw}"`) as string;
      } catch {
        return { error: `invalid quoted value at column ${start + 1}` };
      }
    }
    index++;
  }
  return { error: `unterminated quoted value at column ${start + 1}` };
}

function toRecord(line: string, pairs: ReadonlyArray<[string, string | true]>): ParsedRecord {
  const attributes: Attributes = {};
  let timestamp: string | undefined;
  let severity: { severityText: string; severityNumber: number } | undefined;
  let body: string | undefined;
  const leading = pairs.length > 0 && pairs[0][1] === true ? readLeadingWords(pairs) : undefined;
  for (let index = leading === undefined ? 0 : leading.count; index < pairs.length; index++) {
    const [key, value] = pairs[index];
    if (typeof value === 'string') {
      if (timestamp === undefined && TIMESTAMP_KEYS.has(key)) {
        timestamp = isoFromString(value) ?? (/^\d+(?:\.\d+)?$/.test(value) ? isoFromEpoch(Number(value)) : undefined);
        if (timestamp !== undefined) continue;
      }
      if (severity === undefined && LEVEL_KEYS.has(key)) {
        severity = severityFromText(value) ?? (/^\d+$/.test(value) ? severityFromNumber(Number(value)) : undefined);
        if (severity !== undefined) continue;
      }
      if (body === undefined && MESSAGE_KEYS.has(key)) {
        body = value;
        continue;
      }
    }
    setInputKey(attributes, key, value);
  }
  if (leading !== undefined) {
    // The pairs are the more explicit statement: the leading words only fill what they left out.
    timestamp ??= leading.timestamp;
    severity ??= leading.severity;
  }
  return { timestamp, ...severity, body: body ?? line, attributes };
}

interface LeadingWords {
  /** How many of the line's first bare words were read (they are not attributes). */
  readonly count: number;
  readonly timestamp?: string;
  readonly severity?: { severityText: string; severityNumber: number };
}

/**
 * Reads the bare words that open a line as a timestamp (one word, or a date and a time, perhaps with a zone word) and
 * a level word, each at most once and in either order; stops at the first word that is neither.
 */
function readLeadingWords(pairs: ReadonlyArray<[string, string | true]>): LeadingWords {
  let count = 0;
  let timestamp: string | undefined;
  let severity: { severityText: string; severityNumber: number } | undefined;
  while (count < pairs.length && pairs[count][1] === true) {
    const word = pairs[count][0];
    if (timestamp === undefined) {
      const read = leadingTimestamp(pairs, count);
      if (read !== undefined) {
        timestamp = read.timestamp;
        count += read.words;
        continue;
      }
    }
    if (severity === undefined) {
      severity = levelOfWord(word);
      if (severity !== undefined) {
        count++;
        continue;
      }
    }
    break;
  }
  return { count, timestamp, severity };
}

/** The bare word at `index`, if that entry is one. */
function bareWordAt(pairs: ReadonlyArray<[string, string | true]>, index: number): string | undefined {
  return index < pairs.length && pairs[index][1] === true ? pairs[index][0] : undefined;
}

/**
 * A timestamp in the bare word at `index` (`2024-05-01T10:00:00Z`), in it and the next (`2024-05-01 10:00:00.5+02:00`,
 * `2024/05/01 10:00:00`), or in those and a zone word after them (`2024-05-01 10:00:00 +0200`).
 */
function leadingTimestamp(
  pairs: ReadonlyArray<[string, string | true]>,
  index: number,
): { timestamp: string; words: number } | undefined {
  const word = pairs[index][0];
  const first = word.charCodeAt(0);
  if (word.length < 10 || first < 48 || first > 57) return undefined;
  const separator = word.charCodeAt(4);
  if (separator === 45 /* - */) {
    if (word.length > 10) {
      const timestamp = isoFromString(word);
      return timestamp === undefined ? undefined : { timestamp, words: 1 };
    }
    const time = bareWordAt(pairs, index + 1);
    if (time === undefined || time.charCodeAt(2) !== 58 /* : */) return undefined;
    const dateTime = `${word} ${time}`;
    const zone = bareWordAt(pairs, index + 2);
    if (zone !== undefined && isZoneWord(zone)) {
      const zoned = isoFromString(`${dateTime} ${zone}`);
      if (zoned !== undefined) return { timestamp: zoned, words: 3 };
    }
    const timestamp = isoFromString(dateTime);
    return timestamp === undefined ? undefined : { timestamp, words: 2 };
  }
  const time = bareWordAt(pairs, index + 1);
  if (separator === 47 /* / */ && word.length === 10 && word.charCodeAt(7) === 47 && time !== undefined) {
    // Go's standard `log` prefix, `2006/01/02 15:04:05[.000000]`, has no zone: it is UTC. Rewritten as RFC 3339, it
    // takes isoFromString's hand-scanned path (which also checks every digit and the calendar).
    if (time.length < 8 || time.charCodeAt(2) !== 58 || time.charCodeAt(5) !== 58) return undefined;
    const timestamp = isoFromString(`${word.slice(0, 4)}-${word.slice(5, 7)}-${word.slice(8)}T${time}Z`);
    return timestamp === undefined ? undefined : { timestamp, words: 2 };
  }
  return undefined;
}

/** `Z`, `+02`, `-0500`, `+02:00`: a zone written as a word of its own after the time. */
function isZoneWord(word: string): boolean {
  const sign = word.charCodeAt(0);
  if (word.length === 1) return sign === 90 /* Z */ || sign === 122 /* z */;
  return (sign === 43 /* + */ || sign === 45 /* - */) && word.length >= 3 && word.length <= 6;
}

/** The severity of a level word as a line opens with it: `INFO`, `[ERROR]`, `warn:`, `[DEBUG]:`. */
function levelOfWord(word: string): { severityText: string; severityNumber: number } | undefined {
  let start = 0;
  let end = word.length;
  if (end > 0 && word.charCodeAt(end - 1) === 58 /* : */) end--;
  if (end - start >= 2 && word.charCodeAt(0) === 91 /* [ */ && word.charCodeAt(end - 1) === 93 /* ] */) {
    start++;
    end--;
  }
  if (end - start < 3 || end - start > 11) return undefined;
  const level = start === 0 && end === word.length ? word : word.slice(start, end);
  return LEADING_LEVEL_WORDS.has(level) ? severityFromText(level) : undefined;
}
