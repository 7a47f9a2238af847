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

/**
 * logfmt (`key=value key2="quoted value" flag`), with go-logfmt's grammar: any byte up to space is whitespace,
 * keys are printable and contain no `=` or `"`, quoted values take JSON escapes, a bare key is a flag (`true`),
 * `key=` is the empty string. `time`/`ts`/`timestamp`, `level`/`lvl`/`severity` and `msg`/`message` become the
 * entry's timestamp, severity and body; every other pair is an attribute (values stay strings).
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
  for (const [key, value] of pairs) {
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
  return { timestamp, ...severity, body: body ?? line, attributes };
}
