import type { ParsedRecord, ParseResult } from '../log-entry.js';
import { SEVERITY_WORD_LIST, SeverityNumber, severityFromText } from '../severity.js';
import type { LineParser, ParseContext } from './parser.js';
import {
  fractionToMillis,
  isoFromClfTimestamp,
  isoFromParts,
  isoFromString,
  isoFromYearlessTimestamp,
  monthFromAbbreviation,
  yearReference,
} from './timestamp.js';

/** How much of a line is searched for a timestamp and a level word. */
const HEAD_LENGTH = 256;

/**
 * ISO 8601 date and time with seconds. The zone is `Z`, `±hh:mm`, `±hhmm` or `±hh`, either directly after the time
 * or after one space (`2024-05-01 10:00:00.123 +02:00`, Serilog's file template; `... +0200 CEST`, Go's
 * `time.Time.String()`; `... -03`, PostgreSQL). After a space it must be a valid offset (hours 00-23, minutes 00-59)
 * followed by no letter, digit, `.`, `:` or `%`, so a number that follows the time (`10:00:00 1234 workers`,
 * `+1 retries`, `+12.5 points`) is not taken for one. A zone name after the offset (`CEST`) is not read.
 */
const ISO_TIMESTAMP =
  /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|z|[+-]\d{2}(?::?\d{2}|(?!\d))| (?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)(?![\w.:%]))?/;
/** `2017/09/26 14:36:50` (Nginx error log, many Go and C programs). */
const SLASH_TIMESTAMP = /\b(\d{4})\/(\d{2})\/(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?/;
/** `[10/Oct/2000:13:55:36 -0700]` (Common Log Format). */
const CLF_TIMESTAMP = /\[(\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]/;
/** `[Mon Aug 31 09:30:48.958285 2015]` (Apache error log, ctime). */
const CTIME_TIMESTAMP = /\b[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? (\d{4})\b/;
/** `Oct 11 22:14:15` at the start of the line (syslog style, no year). */
const YEARLESS_TIMESTAMP = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\b/;
/** Level words read wherever they stand in the head: the usual names, in upper or lower case only. */
const USUAL_LEVEL_WORDS: ReadonlySet<string> = new Set([
  'TRACE', 'DEBUG', 'INFO', 'INFORMATION', 'NOTICE', 'WARN', 'WARNING', 'ERROR', 'ERR', 'SEVERE', 'CRIT', 'CRITICAL',
  'FATAL', 'ALERT', 'EMERG', 'PANIC', 'trace', 'debug', 'info', 'notice', 'warn', 'warning', 'error', 'fatal',
  'critical', 'crit', 'alert', 'emerg',
]);
/** MySQL's `[System]` (server start and stop messages, informational): a level only between brackets. */
const SYSTEM_WORD = 'system';
const SYSTEM_SEVERITY = { severityText: 'INFO', severityNumber: SeverityNumber.INFO } as const;
/** Every spelling `severityFromText` knows (`warning`, `inf`, `dbug`, `fail`...), and `system`, in lower case. */
const ANY_LEVEL_WORDS: ReadonlySet<string> = new Set([...SEVERITY_WORD_LIST, SYSTEM_WORD]);
/**
 * A whole word (as `\b` delimits it) that is a level word in some spelling, in any case; `findSeverity` decides
 * whether it counts where it stands. One case-insensitive pass costs what the old upper-or-lower-case search did.
 */
const LEVEL_CANDIDATE = new RegExp(
  `\\b(?:${[...ANY_LEVEL_WORDS].sort((a, b) => b.length - a.length).join('|')})\\b`,
  'gi',
);

/** Where the last timestamp `findTimestamp` matched starts and ends in the head (start -1: none). */
let timestampStart = -1;
let timestampEnd = 0;

/** Finds the first timestamp of a known shape in the head of a line (times without a zone are UTC). */
export function findTimestamp(head: string, context: ParseContext): string | undefined {
  timestampStart = -1;
  const iso = ISO_TIMESTAMP.exec(head);
  if (iso !== null) {
    found(iso);
    return isoFromString(iso[0]);
  }
  const slash = SLASH_TIMESTAMP.exec(head);
  if (slash !== null) {
    found(slash);
    return isoFromParts(
      Number(slash[1]), Number(slash[2]), Number(slash[3]), Number(slash[4]), Number(slash[5]), Number(slash[6]),
      fractionToMillis(slash[7]), 0,
    );
  }
  const clf = CLF_TIMESTAMP.exec(head);
  if (clf !== null) {
    found(clf);
    return isoFromClfTimestamp(clf[1]);
  }
  const ctime = CTIME_TIMESTAMP.exec(head);
  if (ctime !== null) {
    found(ctime);
    const month = monthFromAbbreviation(ctime[1]);
    if (month !== undefined) {
      return isoFromParts(
        Number(ctime[7]), month, Number(ctime[2].trim()), Number(ctime[3]), Number(ctime[4]), Number(ctime[5]),
        fractionToMillis(ctime[6]), 0,
      );
    }
  }
  const yearless = YEARLESS_TIMESTAMP.exec(head);
  if (yearless !== null) {
    found(yearless);
    const month = monthFromAbbreviation(yearless[1]);
    if (month !== undefined) {
      return isoFromYearlessTimestamp(
        month, Number(yearless[2].trim()), Number(yearless[3]), Number(yearless[4]), Number(yearless[5]),
        fractionToMillis(yearless[6]), yearReference(context),
      );
    }
  }
  return undefined;
}

/** Records where the timestamp `findTimestamp` settled on lies in the head, for `messageStart`. */
function found(match: RegExpExecArray): void {
  timestampStart = match.index;
  timestampEnd = match.index + match[0].length;
}

/** Space, tab, `[`, `]`, `|`, `,` and `-`: what may stand between a line's start or its timestamp and the message. */
function isMessageSeparator(code: number): boolean {
  return code === 32 || code === 9 || code === 91 || code === 93 || code === 124 || code === 44 || code === 45;
}

/**
 * Where the message starts: after the timestamp the line opens with (behind nothing but separators), then any
 * separators (`2024-05-01 10:00:00, Info`, `[...] Info:`, `...|Info|`); at the first non-separator otherwise.
 * Reads what `findTimestamp` recorded for this head, so it runs after it.
 */
function messageStart(head: string): number {
  let index = 0;
  while (index < head.length && isMessageSeparator(head.charCodeAt(index))) index++;
  if (timestampStart === -1 || timestampStart > index) return index;
  index = timestampEnd;
  while (index < head.length && isMessageSeparator(head.charCodeAt(index))) index++;
  return index;
}

/**
 * The severity of the first level word of the head (undefined: none). A level word is a whole word that is either one
 * of the usual names in upper or lower case, wherever it stands (`ERROR`, `warn`; as before), or any spelling
 * `severityFromText` knows, in any case (`Warning`, `INF`, `fail`), standing where a level stands: first in the
 * message (`messageStart`) or as a field (`isLevelPosition`); MySQL's `[System]` only between brackets. So
 * `see the Note below` has none.
 */
function findSeverity(head: string): { severityText: string; severityNumber: number } | undefined {
  LEVEL_CANDIDATE.lastIndex = 0;
  let message = -1;
  for (let match = LEVEL_CANDIDATE.exec(head); match !== null; match = LEVEL_CANDIDATE.exec(head)) {
    const word = match[0];
    if (USUAL_LEVEL_WORDS.has(word)) return severityFromText(word);
    const start = match.index;
    const end = start + word.length;
    const lower = word.toLowerCase();
    if (lower === SYSTEM_WORD) {
      if (isBracketed(head, start, end)) return SYSTEM_SEVERITY;
      continue;
    }
    if (message === -1) message = messageStart(head);
    if (start === message || isLevelPosition(head, start, end)) return severityFromText(lower);
  }
  return undefined;
}

/**
 * Whether the word `head[start, end)` stands as a field: just inside `[` or after `|` (`[Warning]`,
 * `[Info  - 10:27:37 AM]`, `|Warn|`), just before `]` or `|` (`[10:00:00 INF]`), spaces allowed, or directly followed
 * by one colon (`fail:`, `PHP Warning:`, but not `Error::new`).
 */
function isLevelPosition(head: string, start: number, end: number): boolean {
  let before = start - 1;
  while (before >= 0 && head.charCodeAt(before) === 32) before--;
  const opening = before >= 0 ? head.charCodeAt(before) : 0;
  if (opening === 91 /* [ */ || opening === 124 /* | */) return true;
  const next = head.charCodeAt(end);
  if (next === 58 /* : */) return head.charCodeAt(end + 1) !== 58;
  let after = end;
  while (after < head.length && head.charCodeAt(after) === 32) after++;
  const closing = head.charCodeAt(after);
  return closing === 93 /* ] */ || closing === 124 /* | */;
}

/** Whether `head[start, end)` stands alone between brackets (`[System]`, `[ System ]`). */
function isBracketed(head: string, start: number, end: number): boolean {
  let before = start - 1;
  while (before >= 0 && head.charCodeAt(before) === 32) before--;
  let after = end;
  while (after < head.length && head.charCodeAt(after) === 32) after++;
  return before >= 0 && head.charCodeAt(before) === 91 && head.charCodeAt(after) === 93;
}

/**
 * The header klog (Kubernetes) and glog write: `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`, L one of `IWEF`; glog
 * 0.6 and later may write the year too (`Lyyyymmdd`). The thread id is space-padded.
 */
const KLOG_HEADER = /^([IWEF])(\d{4})?(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? +(\d{1,10}) ([^\s\]]+):(\d{1,9})\](?: |$)/;
const KLOG_SEVERITIES: Readonly<Record<string, { severityText: string; severityNumber: number }>> = {
  I: { severityText: 'INFO', severityNumber: SeverityNumber.INFO },
  W: { severityText: 'WARN', severityNumber: SeverityNumber.WARN },
  E: { severityText: 'ERROR', severityNumber: SeverityNumber.ERROR },
  F: { severityText: 'FATAL', severityNumber: SeverityNumber.FATAL },
};

/**
 * A klog/glog line's record: severity from the letter, the time (a year-less one placed as syslog's are, see
 * `yearReference`), `thread.id`, `code.file.path`, `code.line.number`, and the message after `] ` as the body (with
 * the event's further lines, for a multi-line event). Undefined when the line has no such header or its date does
 * not exist.
 */
function klogRecord(line: string, context: ParseContext): ParsedRecord | undefined {
  const afterLetter = line.charCodeAt(1);
  if (afterLetter < 48 || afterLetter > 57) return undefined;
  const header = KLOG_HEADER.exec(line.length > HEAD_LENGTH ? line.slice(0, HEAD_LENGTH) : line);
  if (header === null) return undefined;
  const month = Number(header[3]);
  const day = Number(header[4]);
  const hour = Number(header[5]);
  const minute = Number(header[6]);
  const second = Number(header[7]);
  const millis = fractionToMillis(header[8]);
  const timestamp =
    header[2] === undefined
      ? isoFromYearlessTimestamp(month, day, hour, minute, second, millis, yearReference(context))
      : isoFromParts(Number(header[2]), month, day, hour, minute, second, millis, 0);
  if (timestamp === undefined) return undefined;
  return {
    timestamp,
    ...KLOG_SEVERITIES[header[1]],
    body: line.slice(header[0].length),
    attributes: { 'thread.id': Number(header[9]), 'code.file.path': header[10], 'code.line.number': Number(header[11]) },
  };
}

/**
 * The fallback for any line: the whole line (or multi-line event) is the body; the first timestamp of a common
 * shape (ISO 8601, `yyyy/mm/dd hh:mm:ss`, CLF `[dd/Mon/yyyy:...]`, ctime, syslog `Mmm dd hh:mm:ss`) and the first
 * level word (see findSeverity) in the first 256 characters are picked up. A line that opens with a klog/glog header
 * is read by it instead (see `klogRecord`). Never fails.
 */
export const parseTextLine: LineParser = (line, context): ParseResult => {
  const first = line.charCodeAt(0);
  // I, W, E, F: one comparison chain before any regex, so other lines pay nothing for klog.
  if (first === 73 || first === 87 || first === 69 || first === 70) {
    const klog = klogRecord(line, context);
    if (klog !== undefined) return { ok: true, record: klog };
  }
  const head = line.length > HEAD_LENGTH ? line.slice(0, HEAD_LENGTH) : line;
  const timestamp = findTimestamp(head, context);
  const severity = findSeverity(head);
  return { ok: true, record: { timestamp, ...severity, body: line, attributes: {} } };
};
