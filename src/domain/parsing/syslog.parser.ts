import type { Attributes, ParseResult } from '../log-entry.js';
import type { LineParser, ParseContext } from './parser.js';
import { SYSLOG_SEVERITIES } from './severity-mapping.js';
import {
  fractionToMillis,
  isoFromDateTimeMatch,
  isoFromParts,
  isoFromString,
  isoFromYearlessTimestamp,
  monthFromAbbreviation,
  yearReference,
  zoneOffsetMinutes,
} from './timestamp.js';

/**
 * Syslog, both wire formats and the ways files really hold them:
 * - RFC 5424 (`<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`): the header is validated
 *   strictly against the RFC's ABNF (field lengths, printable ASCII, a real calendar date, unique SD-IDs); the
 *   structured data is read leniently as senders write it (spaces around `=` and between parameters, an unquoted
 *   value, an empty field before the message);
 * - RFC 3164 / BSD (`[<PRI>]TIMESTAMP [HOST] [TAG[PID]:] MSG`), read leniently: TIMESTAMP is `Mmm dd hh:mm:ss`
 *   (day padded with a space, a zero or nothing; optional fraction, year and `UTC` as Cisco writes them) or an
 *   RFC 3339 time (rsyslog's file and forwarding formats); the priority and host may be missing, the tag may contain
 *   `/` or `<>`, and a leading `[sdId param="value"]` in the message is structured data (rsyslog's own messages).
 *   A year-less time is placed in the year before the object's last-modified time (see `yearReference`);
 * - a valid PRI with no time after it (`<13>hello`): as an RFC 3164 relay keeps it (§4.3.3), everything after the
 *   PRI is the message, and the entry has no timestamp.
 *
 * Attributes: `syslog.priority`, `syslog.facility`, `syslog.severity`, `syslog.version`, `host.name`,
 * `syslog.appname`, `process.pid` (numeric PROCID) or `syslog.procid` (any other), `syslog.msgid`,
 * `syslog.structured_data` (`{ sdId: { param: value } }`, escapes undone; a repeated parameter's values in a list,
 * in order). The body is the MSG part.
 */
export const parseSyslogLine: LineParser = (input, context): ParseResult => {
  let line = input;
  let first = line.charCodeAt(0);
  if (first === 32 || first === 9) {
    line = line.trimStart();
    first = line.charCodeAt(0);
  }
  // RFC 6587 octet counting (`123 <34>1 ...`), as a TCP capture written to a file keeps it.
  if (first >= 49 && first <= 57) {
    const count = OCTET_COUNT.exec(line);
    if (count !== null) {
      line = line.slice(count[0].length);
      first = 60;
    }
  }
  const cursor = { line, position: 0 };
  let priority: number | undefined;
  let priorityEnd = 0;
  if (first === 60 /* < */) {
    const parsed = readPriority(cursor);
    if (typeof parsed === 'string') return { ok: false, error: parsed };
    priority = parsed;
    priorityEnd = cursor.position;
    const next = line.charCodeAt(cursor.position);
    if (next >= 48 && next <= 57) {
      if (isRfc3339DateAt(line, cursor.position)) return parseRfc3164(cursor, priority, priorityEnd, context);
      // Cisco's message counter before the time (`<189>123: Oct 11 ...`); otherwise the RFC 5424 version.
      let end = cursor.position + 1;
      while (end - cursor.position <= 10 && isDigit(line.charCodeAt(end))) end++;
      if (line.charCodeAt(end) !== 58 /* : */ || line.charCodeAt(end + 1) !== 32) return parseRfc5424(cursor, priority);
      cursor.position = end + 2;
    }
  }
  return parseRfc3164(cursor, priority, priorityEnd, context);
};

const OCTET_COUNT = /^[1-9]\d{0,6} (?=<\d{1,3}>)/;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** `yyyy-mm-ddT` at `position`: the start of an RFC 3339 time. */
function isRfc3339DateAt(line: string, position: number): boolean {
  return line.charCodeAt(position + 4) === 45 && line.charCodeAt(position + 7) === 45 && line.charCodeAt(position + 10) === 84;
}

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

/**
 * RFC 5424's TIMESTAMP. TIME-SECFRAC is 1 to 6 digits in the RFC, but rsyslog's high-precision times and Go write
 * 9; up to 9 are read (the BSD header's RFC 3339 time takes as many), kept to the millisecond as every time is.
 */
const RFC3339_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

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

  const sdStart = line.charCodeAt(cursor.position);
  if (sdStart === 45 /* - */) {
    cursor.position++;
  } else if (sdStart === 91 /* [ */) {
    const structuredData = readStructuredData(cursor);
    if (typeof structuredData === 'string') return { ok: false, error: structuredData };
    attributes['syslog.structured_data'] = structuredData;
  } else if (sdStart !== 32) {
    // A second space instead (`named 2255 - -  info: ...`) is an empty STRUCTURED-DATA field, read as nil.
    return { ok: false, error: `structured data must be "-" or start with "[" at column ${cursor.position}` };
  }

  let body = '';
  if (cursor.position < line.length) {
    if (line.charCodeAt(cursor.position) !== 32) {
      return { ok: false, error: `expected a space before the message at column ${cursor.position}` };
    }
    body = messageAfter(line, cursor.position + 1);
  }
  return { ok: true, record: { timestamp, ...withSeverity(priority), body, attributes } };
}

/** The message from `start`, without the extra spaces some senders put after the separator. */
function messageAfter(line: string, start: number): string {
  let position = start;
  while (line.charCodeAt(position) === 32) position++;
  return line.slice(position);
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

/** An SD-ELEMENT's parameters: a name given once has its value, a repeated name the list of its values in order. */
type SdParams = Record<string, string | string[]>;

/**
 * STRUCTURED-DATA from a `[`: SD-IDs and PARAM-NAMEs as the RFC has them (unique SD-IDs; a PARAM-NAME may repeat,
 * §6.3.3 and `origin`'s several `ip` in §7.2.1, and keeps all its values), read leniently around them: spaces
 * between parameters, before `]` and around `=`, and a value without quotes (up to a space or `]`).
 */
function readStructuredData(cursor: Cursor, requireParams = false): Record<string, SdParams> | string {
  const { line } = cursor;
  const elements: Record<string, SdParams> = {};
  while (line.charCodeAt(cursor.position) === 91 /* [ */) {
    cursor.position++;
    const id = readSdName(cursor, 'SD-ID');
    if (typeof id !== 'string') return id.error;
    if (Object.hasOwn(elements, id)) return `duplicate SD-ID "${id}"`;
    const params: SdParams = {};
    let count = 0;
    for (;;) {
      let code = line.charCodeAt(cursor.position);
      if (code === 93 /* ] */) {
        cursor.position++;
        break;
      }
      if (code !== 32) return `expected a space or "]" in structured data at column ${cursor.position}`;
      while (code === 32) code = line.charCodeAt(++cursor.position);
      if (code === 93) continue;
      const name = readSdName(cursor, 'PARAM-NAME');
      if (typeof name !== 'string') return name.error;
      while (line.charCodeAt(cursor.position) === 32) cursor.position++;
      if (line.charCodeAt(cursor.position) !== 61 /* = */) return `expected ="value" after "${name}" at column ${cursor.position}`;
      cursor.position++;
      while (line.charCodeAt(cursor.position) === 32) cursor.position++;
      let value: string | undefined;
      if (line.charCodeAt(cursor.position) === 34 /* " */) {
        cursor.position++;
        value = readParamValue(cursor);
      } else {
        value = readBareParamValue(cursor);
      }
      if (value === undefined) return `unterminated or invalid value for "${name}" in structured data`;
      if (Object.hasOwn(params, name)) {
        const previous = params[name];
        if (typeof previous === 'string') params[name] = [previous, value];
        else previous.push(value);
      } else {
        params[name] = value;
      }
      count++;
    }
    if (requireParams && count === 0) return `structured data element "${id}" has no parameters`;
    elements[id] = params;
  }
  return elements;
}

/** An unquoted PARAM-VALUE (`[meta sequenceId=10]`): printable characters up to a space or `]`, no quotes. */
function readBareParamValue(cursor: Cursor): string | undefined {
  const { line } = cursor;
  const start = cursor.position;
  let end = start;
  while (end < line.length) {
    const code = line.charCodeAt(end);
    if (code === 32 || code === 93) break;
    if (code === 34 || code === 61 || code < 32) return undefined;
    end++;
  }
  if (end === start || end === line.length) return undefined;
  cursor.position = end;
  return line.slice(start, end);
}

/**
 * A PARAM-VALUE after its opening quote: `\"`, `\\` and `\]` are unescaped; an unescaped `]`, and a backslash
 * before any other character (`\n`), are invalid, as go-syslog and rsyslog's strict parser have them (RFC 5424
 * §6.3.3 would keep such a backslash as written, but a sender that writes one did not escape the value at all).
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
      if (next !== 34 && next !== 92 && next !== 93) return undefined;
      value += line.slice(runStart, index);
      runStart = index + 1;
      index++;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------- RFC 3164

/**
 * `Mmm dd hh:mm:ss` with the day padded by a space, a zero or nothing, as Cisco adds to it: a leading `*` or `.`
 * (clock not in sync), a year after the day, a fraction, a `UTC`/`GMT` zone and a colon after the time.
 */
const BSD_TIMESTAMP = /^[*.]?([A-Z][a-z]{2}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?: (?:UTC|GMT))?:?(?= |$)/;
/** An RFC 3339 time in a BSD header (rsyslog's `RSYSLOG_FileFormat` and `RSYSLOG_ForwardFormat`). */
const RFC3339_IN_HEADER = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})(?= |$)/;
/**
 * A TAG as daemons write it: `su:`, `sudo[6040]:`, `postfix/smtpd[1713]:`, `ansible-<stdin>:`, `monit[2340:0]:`,
 * and Apple's `kernel[0] <Notice>:` with the level after the pid.
 */
const TAG = /^([^\s[\]:]{1,64})(?:\[([^\]\s]{1,32})\])?(?: <([A-Z][a-z]{2,8})>)?:(?= |$)/;
/** A host name, IPv4 or IPv6 address as a BSD header carries it. */
const HOST = /^[\w.:%@/-]{1,255}$/;
/** Words a plain application log puts where a host would be (`2024-05-01T10:00:00Z INFO main: ...` is not syslog). */
const LEVEL_WORDS = new Set([
  'TRACE', 'DEBUG', 'INFO', 'NOTICE', 'WARN', 'WARNING', 'ERROR', 'ERR', 'CRIT', 'CRITICAL', 'FATAL', 'SEVERE', 'ALERT',
  'EMERG', 'PANIC',
]);
/** Apple System Log levels (`<Notice>`) to syslog severities. */
const APPLE_LEVELS: Readonly<Record<string, number>> = {
  Emergency: 0, Alert: 1, Critical: 2, Error: 3, Warning: 4, Notice: 5, Info: 6, Debug: 7,
};

/**
 * The BSD line from the time on. `priorityEnd` is where the text after `<PRI>` starts (a Cisco counter may come
 * between it and `cursor.position`).
 */
function parseRfc3164(cursor: Cursor, priority: number | undefined, priorityEnd: number, context: ParseContext): ParseResult {
  const rest = cursor.position === 0 ? cursor.line : cursor.line.slice(cursor.position);
  let timestamp: string | undefined;
  let position: number;
  // An RFC 3339 time with no <PRI> in front must be followed by a host and a tag to be syslog: otherwise it is an
  // application's own `time level message` line.
  let strictHeader = false;
  const firstCode = rest.charCodeAt(0);
  if (firstCode >= 48 && firstCode <= 57) {
    const iso = RFC3339_IN_HEADER.exec(rest);
    if (iso === null) return notSyslog(priority);
    timestamp = isoFromString(iso[0]);
    if (timestamp === undefined) return { ok: false, error: `invalid syslog timestamp "${iso[0]}"` };
    position = iso[0].length;
    strictHeader = priority === undefined;
  } else {
    const time = BSD_TIMESTAMP.exec(rest);
    if (time === null) {
      return priority !== undefined && isMessageWithoutTime(rest) ? withoutTime(cursor.line, priority, priorityEnd) : notSyslog(priority);
    }
    const month = monthFromAbbreviation(time[1]);
    if (month !== undefined) {
      const day = Number(time[2]);
      const hour = Number(time[4]);
      const minute = Number(time[5]);
      const second = Number(time[6]);
      const millis = fractionToMillis(time[7]);
      timestamp =
        time[3] === undefined
          ? isoFromYearlessTimestamp(month, day, hour, minute, second, millis, yearReference(context))
          : isoFromParts(Number(time[3]), month, day, hour, minute, second, millis, 0);
    }
    if (timestamp === undefined) return { ok: false, error: `invalid syslog timestamp "${time[0]}"` };
    position = time[0].length;
  }

  const attributes: Attributes = {};
  priorityAttributes(attributes, priority);
  while (rest.charCodeAt(position) === 32) position++;
  // Next comes the host, unless the tag follows the time directly (`Jan 11 22:33:44 su: ...`) or syslogd's own
  // `--- last message repeated 3 times ---` does (macOS and the BSDs write it without a host).
  let tag = TAG.exec(rest.slice(position, position + 100));
  if (tag === null && !rest.startsWith('---', position)) {
    const hostEnd = rest.indexOf(' ', position);
    const host = hostEnd < 0 ? rest.slice(position) : rest.slice(position, hostEnd);
    if (strictHeader && (!HOST.test(host) || LEVEL_WORDS.has(host.toUpperCase()))) {
      return { ok: false, error: `not syslog: "${host}" after the time is not a host name` };
    }
    if (host.length > 0 && host !== '-') attributes['host.name'] = host;
    position = hostEnd < 0 ? rest.length : hostEnd + 1;
    while (rest.charCodeAt(position) === 32) position++;
    tag = TAG.exec(rest.slice(position, position + 100));
  }
  let severity = withSeverity(priority);
  if (tag !== null) {
    attributes['syslog.appname'] = tag[1];
    if (tag[2] !== undefined) {
      if (/^\d{1,15}$/.test(tag[2])) attributes['process.pid'] = Number(tag[2]);
      else attributes['syslog.procid'] = tag[2];
    }
    const appleLevel = tag[3] === undefined ? undefined : APPLE_LEVELS[tag[3]];
    if (appleLevel !== undefined && priority === undefined) {
      attributes['syslog.severity'] = appleLevel;
      severity = SYSLOG_SEVERITIES[appleLevel];
    }
    position += tag[0].length;
  } else if (strictHeader) {
    return { ok: false, error: 'not syslog: no "tag:" after the time and host' };
  }
  while (rest.charCodeAt(position) === 32) position++;
  // rsyslog starts its own messages with structured data: `rsyslogd:  [origin software="rsyslogd" ...] start`.
  if (rest.charCodeAt(position) === 91 /* [ */) {
    const sdCursor = { line: rest, position };
    const structuredData = readStructuredData(sdCursor, true);
    const after = rest.charCodeAt(sdCursor.position);
    if (typeof structuredData !== 'string' && (Number.isNaN(after) || after === 32)) {
      attributes['syslog.structured_data'] = structuredData;
      position = sdCursor.position;
      while (rest.charCodeAt(position) === 32) position++;
    }
  }
  const body = position === 0 ? rest : rest.slice(position);
  return { ok: true, record: { timestamp, ...severity, body, attributes } };
}

/**
 * Text after `<PRI>` that starts with a month and a day (`Mar  9`, `*Mar 1`) is a time written wrong, not a message:
 * the line stays unparsed, and the text fallback still finds its time.
 */
const BSD_TIME_START = /^[*.]?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}\d/;

/**
 * True when the text after `<PRI>` (and a Cisco counter) is a message rather than a time that did not parse: it
 * starts with a printable character, not a space (`<1> item` is ordinary text, as a numbered list writes it), and
 * not with a month and a day.
 */
function isMessageWithoutTime(rest: string): boolean {
  const first = rest.charCodeAt(0);
  return first > 32 && first !== 127 && !BSD_TIME_START.test(rest);
}

/**
 * A valid PRI with no time after it (`<13>hello`): RFC 3164 §4.3.3 has a relay keep such a message, all of the
 * text after the PRI being its CONTENT. The severity and facility come from the PRI; there is no timestamp.
 */
function withoutTime(line: string, priority: number, priorityEnd: number): ParseResult {
  const attributes: Attributes = {};
  priorityAttributes(attributes, priority);
  return { ok: true, record: { ...withSeverity(priority), body: line.slice(priorityEnd), attributes } };
}

function notSyslog(priority: number | undefined): ParseResult {
  return {
    ok: false,
    error:
      priority === undefined
        ? 'not syslog: no <priority> and no "Mmm dd hh:mm:ss" or RFC 3339 timestamp at the start'
        : 'expected an RFC 5424 version or an RFC 3164 timestamp after the priority',
  };
}
