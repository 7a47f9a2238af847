import type { ParseResult } from '../log-entry.js';
import { severityFromText } from '../severity.js';
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

const ISO_TIMESTAMP = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|z|[+-]\d{2}:?\d{2})?/;
/** `2017/09/26 14:36:50` (Nginx error log, many Go and C programs). */
const SLASH_TIMESTAMP = /\b(\d{4})\/(\d{2})\/(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?/;
/** `[10/Oct/2000:13:55:36 -0700]` (Common Log Format). */
const CLF_TIMESTAMP = /\[(\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]/;
/** `[Mon Aug 31 09:30:48.958285 2015]` (Apache error log, ctime). */
const CTIME_TIMESTAMP = /\b[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? (\d{4})\b/;
/** `Oct 11 22:14:15` at the start of the line (syslog style, no year). */
const YEARLESS_TIMESTAMP = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\b/;
const LEVEL_WORD =
  /\b(TRACE|DEBUG|INFO|INFORMATION|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|CRIT|CRITICAL|FATAL|ALERT|EMERG|PANIC|trace|debug|info|notice|warn|warning|error|fatal|critical|crit|alert|emerg)\b/;

/** Finds the first timestamp of a known shape in the head of a line (times without a zone are UTC). */
export function findTimestamp(head: string, context: ParseContext): string | undefined {
  const iso = ISO_TIMESTAMP.exec(head);
  if (iso !== null) return isoFromString(iso[0]);
  const slash = SLASH_TIMESTAMP.exec(head);
  if (slash !== null) {
    return isoFromParts(
      Number(slash[1]), Number(slash[2]), Number(slash[3]), Number(slash[4]), Number(slash[5]), Number(slash[6]),
      fractionToMillis(slash[7]), 0,
    );
  }
  const clf = CLF_TIMESTAMP.exec(head);
  if (clf !== null) return isoFromClfTimestamp(clf[1]);
  const ctime = CTIME_TIMESTAMP.exec(head);
  if (ctime !== null) {
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

/**
 * The fallback for any line: the whole line (or multi-line event) is the body; the first timestamp of a common
 * shape (ISO 8601, `yyyy/mm/dd hh:mm:ss`, CLF `[dd/Mon/yyyy:...]`, ctime, syslog `Mmm dd hh:mm:ss`) and the first
 * level word in the first 256 characters are picked up. Never fails.
 */
export const parseTextLine: LineParser = (line, context): ParseResult => {
  const head = line.length > HEAD_LENGTH ? line.slice(0, HEAD_LENGTH) : line;
  const timestamp = findTimestamp(head, context);
  const levelMatch = LEVEL_WORD.exec(head);
  const severity = levelMatch === null ? undefined : severityFromText(levelMatch[1]);
  return { ok: true, record: { timestamp, ...severity, body: line, attributes: {} } };
};
