import type { Attributes, ParseResult } from '../log-entry.js';
import type { LineParser, ParseContext } from './parser.js';
import { SYSLOG_SEVERITIES } from './severity-mapping.js';
import { fractionToMillis, isoFromDateTimeMatch, isoFromYearlessTimestamp, monthFromAbbreviation, zoneOffsetMinutes } from './timestamp.js';

/**
 * Syslog, both wire formats:
 * - RFC 5424 (`<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`), validated strictly
 *   against the RFC's ABNF (field lengths, printable ASCII, a real calendar date, well-formed structured data with
 *   unique SD-IDs);
 * - RFC 3164 / BSD (`[<PRI>]Mmm dd hh:mm:ss [HOST] [TAG[PID]:] MSG`), read leniently as real daemons write it:
 *   the priority and host may be missing, the tag may contain `/` or `<>`. A year is inferred (see
 *   `isoFromYearlessTimestamp`).
 *
 * Attributes: `syslog.priority`, `syslog.facility`, `syslog.severity`, `syslog.version`, `host.name`,
 * `syslog.appname`, `process.pid` (numeric PROCID) or `syslog.procid` (any other), `syslog.msgid`,
 * `syslog.structured_data` (`{ sdId: { param: value } }`, escapes undone). The body is the MSG part.
 */
export const parseSyslogLine: LineParser = (line, context): ParseResult => {
  const cursor = { line, position: 0 };
  let priority: number | undefined;
  if (line.charCodeAt(0) === 60 /* < */) {
    const parsed = readPriority(cursor);
    if (typeof parsed === 'string') return { ok: false, error: parsed };
    priority = parsed;
    const next = line.charCodeAt(cursor.position);
    if (next >= 48 && next <= 57) return parseRfc5424(cursor, priority);
  }
  return parseRfc3164(cursor, priority, context);
};

interface Cursor {
  readonly line: string;
  position: number;
}

function readPriority(cursor: Cursor): number | string {
  const { line } = cursor;
  const close = line.indexOf('>', 1);
  if (close < 2 || close > 4) return 'syslog priority must be <0> to <191>';
  const digits = line.slice(1, close);
  if (!/^(?:0|[1-9]\d{0,2})$/.test(digits)) return `invalid syslog priority <${digits}>`;
  const priority = Number(digits);
  if (priority > 191) return `syslog priority ${priority} is above 191`;
  cursor.position = close + 1;
  return priority;
}

function priorityAttributes(attributes: Attributes, priority: number | undefined): void {
  if (priority === undefined) return;
  attributes['syslog.priority'] = priority;
  attributes['syslog.facility'] = priority >> 3;
  attributes['syslog.severity'] = priority & 7;
}

function withSeverity(priority: number | undefined): { severityText?: string; severityNumber?: number } {
  return priority === undefined ? {} : SYSLOG_SEVERITIES[priority & 7];
}

// ---------------------------------------------------------------------------------------------- RFC 5424

/** Reads one header field up to the next space: 1..maxLength printable US-ASCII characters, or `-`. */
function readHeaderField(cursor: Cursor, name: string, maxLength: number): string | { error: string } {
  const { line } = cursor;
  const start = cursor.position;
  let end = start;
  while (end < line.length) {
    const code = line.charCodeAt(end);
    if (code === 32) break;
    if (code < 33 || code > 126) return { error: `${name} has a character that is not printable ASCII at column ${end}` };
    end++;
  }
  if (end === start) return { error: `${name} is empty at column ${start}` };
  if (end - start > maxLength) return { error: `${name} is longer than ${maxLength} characters` };
  if (line.charCodeAt(end) !== 32) return { error: `expected a space after ${name} at column ${end}` };
  cursor.position = end + 1;
  return line.slice(start, end);
}

const RFC3339_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/;

function parseRfc5424Timestamp(text: string): string | undefined {
  const match = RFC3339_TIMESTAMP.exec(text);
  if (match === null) return undefined;
  const offset = zoneOffsetMinutes(match[8]);
  if (offset === undefined) return undefined;
  return isoFromDateTimeMatch(match, offset);
}

function parseRfc5424(cursor: Cursor, priority: number): ParseResult {
  const { line } = cursor;
  const versionMatch = /^[1-9]\d{0,2} /.exec(line.slice(cursor.position, cursor.position + 4));
  if (versionMatch === null) return { ok: false, error: `invalid RFC 5424 version at column ${cursor.position}` };
  const version = Number(versionMatch[0].trimEnd());
  cursor.position += versionMatch[0].length;

  const fields: string[] = [];
  const limits: ReadonlyArray<[string, number]> = [
    ['timestamp', 64],
    ['hostname', 255],
    ['app-name', 48],
    ['procid', 128],
    ['msgid', 32],
  ];
  for (const [name, maxLength] of limits) {
    const field = readHeaderField(cursor, name, maxLength);
    if (typeof field !== 'string') return { ok: false, error: field.error };
    fields.push(field);
  }
  const [timestampText, hostname, appname, procid, msgid] = fields;
  let timestamp: string | undefined;
  if (timestampText !== '-') {
    timestamp = parseRfc5424Timestamp(timestampText);
    if (timestamp === undefined) return { ok: false, error: `invalid RFC 5424 timestamp "${timestampText}"` };
  }

  const attributes: Attributes = {};
  priorityAttributes(attributes, priority);
  attributes['syslog.version'] = version;
  if (hostname !== '-') attributes['host.name'] = hostname;
  if (appname !== '-') attributes['syslog.appname'] = appname;
  if (procid !== '-') {
    if (/^\d{1,15}$/.test(procid)) attributes['process.pid'] = Number(procid);
    else attributes['syslog.procid'] = procid;
  }
  if (msgid !== '-') attributes['syslog.msgid'] = msgid;

  if (line.charCodeAt(cursor.position) === 45 /* - */) {
    cursor.position++;
  } else if (line.charCodeAt(cursor.position) === 91 /* [ */) {
    const structuredData = readStructuredData(cursor);
    if (typeof structuredData === 'string') return { ok: false, error: structuredData };
    attributes['syslog.structured_data'] = structuredData;
  } else {
    return { ok: false, error: `structured data must be "-" or start with "[" at column ${cursor.position}` };
  }

  let body = '';
  if (cursor.position < line.length) {
    if (line.charCodeAt(cursor.position) !== 32) {
      return { ok: false, error: `expected a space before the message at column ${cursor.position}` };
    }
    body = line.slice(cursor.position + 1);
  }
  return { ok: true, record: { timestamp, ...withSeverity(priority), body, attributes } };
}

/** SD-NAME: 1-32 printable US-ASCII characters except `=`, space, `]` and `"`. */
function readSdName(cursor: Cursor, what: string): string | { error: string } {
  const { line } = cursor;
  const start = cursor.position;
  let end = start;
  while (end < line.length) {
    const code = line.charCodeAt(end);
    if (code < 33 || code > 126 || code === 61 || code === 93 || code === 34) break;
    end++;
  }
  if (end === start) return { error: `empty ${what} at column ${start}` };
  if (end - start > 32) return { error: `${what} is longer than 32 characters` };
  cursor.position = end;
  return line.slice(start, end);
}

function readStructuredData(cursor: Cursor): Record<string, Record<string, string>> | string {
  const { line } = cursor;
  const elements: Record<string, Record<string, string>> = {};
  while (line.charCodeAt(cursor.position) === 91 /* [ */) {
    cursor.position++;
    const id = readSdName(cursor, 'SD-ID');
    if (typeof id !== 'string') return id.error;
    if (Object.hasOwn(elements, id)) return `duplicate SD-ID "${id}"`;
    const params: Record<string, string> = {};
    for (;;) {
      const code = line.charCodeAt(cursor.position);
      if (code === 93 /* ] */) {
        cursor.position++;
        break;
      }
      if (code !== 32) return `expected a space or "]" in structured data at column ${cursor.position}`;
      cursor.position++;
      const name = readSdName(cursor, 'PARAM-NAME');
      if (typeof name !== 'string') return name.error;
      if (line.charCodeAt(cursor.position) !== 61 || line.charCodeAt(cursor.position + 1) !== 34) {
        return `expected ="value" after "${name}" at column ${cursor.position}`;
      }
      cursor.position += 2;
      const value = readParamValue(cursor);
      if (value === undefined) return `unterminated or invalid value for "${name}" in structured data`;
      params[name] = value;
    }
    elements[id] = params;
  }
  return elements;
}

/**
 * A PARAM-VALUE after its opening quote: `\"`, `\\` and `\]` are unescaped; a backslash before any other
 * character is kept as written (RFC 5424 §6.3.3); an unescaped `]` is invalid.
 */
function readParamValue(cursor: Cursor): string | undefined {
  const { line } = cursor;
  let value = '';
  let runStart = cursor.position;
  for (let index = cursor.position; index < line.length; index++) {
    const code = line.charCodeAt(index);
    if (code === 34 /* " */) {
      value += line.slice(runStart, index);
      cursor.position = index + 1;
      return value;
    }
    if (code === 93 /* ] */) return undefined;
    if (code === 92 /* \ */) {
      const next = line.charCodeAt(index + 1);
      if (next === 34 || next === 92 || next === 93) {
        value += line.slice(runStart, index);
        runStart = index + 1;
        index++;
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------- RFC 3164

/** `Mmm dd hh:mm:ss[.fff]` with the day space- or zero-padded. */
const BSD_TIMESTAMP = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?= |$)/;
/** A TAG as daemons write it: `su:`, `sudo[6040]:`, `postfix/smtpd[1713]:`, `ansible-<stdin>:`. */
const TAG = /^([^\s[\]:]{1,64})(?:\[([^\]\s]{1,32})\])?:(?= |$)/;

function parseRfc3164(cursor: Cursor, priority: number | undefined, context: ParseContext): ParseResult {
  const rest = cursor.line.slice(cursor.position);
  const time = BSD_TIMESTAMP.exec(rest);
  if (time === null) {
    return {
      ok: false,
      error:
        priority === undefined
          ? 'not syslog: no <priority> and no "Mmm dd hh:mm:ss" timestamp at the start'
          : 'expected an RFC 5424 version or an RFC 3164 "Mmm dd hh:mm:ss" timestamp after the priority',
    };
  }
  const month = monthFromAbbreviation(time[1]);
  const timestamp =
    month === undefined
      ? undefined
      : isoFromYearlessTimestamp(
          month,
          Number(time[2].trim()),
          Number(time[3]),
          Number(time[4]),
          Number(time[5]),
          fractionToMillis(time[6]),
          context.observedAt,
        );
  if (timestamp === undefined) return { ok: false, error: `invalid syslog timestamp "${time[0]}"` };

  const attributes: Attributes = {};
  priorityAttributes(attributes, priority);
  let position = time[0].length;
  while (rest.charCodeAt(position) === 32) position++;
  // Next comes the host unless the tag follows the timestamp directly (`Jan 11 22:33:44 su: ...`).
  if (TAG.exec(rest.slice(position, position + 100)) === null) {
    const hostEnd = rest.indexOf(' ', position);
    const host = hostEnd < 0 ? rest.slice(position) : rest.slice(position, hostEnd);
    if (host.length > 0) attributes['host.name'] = host;
    position = hostEnd < 0 ? rest.length : hostEnd + 1;
  }
  const tag = TAG.exec(rest.slice(position, position + 100));
  if (tag !== null) {
    attributes['syslog.appname'] = tag[1];
    if (tag[2] !== undefined) {
      if (/^\d{1,15}$/.test(tag[2])) attributes['process.pid'] = Number(tag[2]);
      else attributes['syslog.procid'] = tag[2];
    }
    position += tag[0].length;
    if (rest.charCodeAt(position) === 32) position++;
  }
  const body = rest.slice(position);
  return { ok: true, record: { timestamp, ...withSeverity(priority), body, attributes } };
}
