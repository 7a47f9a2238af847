import type { ParseContext } from './parser.js';

/**
 * Timestamp helpers shared by the parsers. Every function returns ISO 8601 UTC with milliseconds
 * (`Date.prototype.toISOString()`), or `undefined` when the text is not a valid time. Hot-path parsers use the
 * hand-written scanners here rather than `new Date(string)`, which is slow and lenient in surprising ways.
 */

/** Normalises a parsed Date to ISO 8601 UTC with milliseconds, or undefined if it is invalid. */
export function isoFromDate(date: Date): string | undefined {
  return isoFromMillis(date.getTime());
}

/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the instants ISO 8601 writes with a four-digit year. */
const FIRST_FOUR_DIGIT_YEAR_MS = -62_167_219_200_000;
const LAST_FOUR_DIGIT_YEAR_MS = 253_402_300_799_999;

/**
 * ISO string for epoch milliseconds, or undefined outside years 0000–9999. `Date` goes further (`+017814-05-16T…`),
 * but every store compares timestamps as text, and a six-digit year sorts before `2026` and passes `--until` filters.
 */
export function isoFromMillis(millis: number): string | undefined {
  if (!(millis >= FIRST_FOUR_DIGIT_YEAR_MS && millis <= LAST_FOUR_DIGIT_YEAR_MS)) return undefined;
  return new Date(millis).toISOString();
}

const LENIENT_ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses an ISO 8601 / RFC 3339 string (with `T` or a space, optional fraction of any length, optional zone:
 * UTC when absent) to ISO UTC. Calendar fields are range-checked (no `2023-02-30`).
 */
export function isoFromString(text: string): string | undefined {
  const fast = isoFromCanonicalString(text);
  if (fast !== undefined) return fast;
  const match = LENIENT_ISO.exec(text.trim());
  if (match === null) return undefined;
  const offsetMinutes = match[8] === undefined ? 0 : zoneOffsetMinutes(match[8]);
  if (offsetMinutes === undefined) return undefined;
  return isoFromDateTimeMatch(match, offsetMinutes);
}

/**
 * The ISO string of a date-time pattern's match whose groups 1 to 7 are year, month, day, hour, minute, second
 * (absent: 0) and fraction; undefined for an impossible date.
 */
export function isoFromDateTimeMatch(match: RegExpExecArray, offsetMinutes: number): string | undefined {
  return isoFromParts(
    Number(match[1]),
    Number(match[2]),
    Number(match[3]),
    Number(match[4]),
    Number(match[5]),
    match[6] === undefined ? 0 : Number(match[6]),
    fractionToMillis(match[7]),
    offsetMinutes,
  );
}

/**
 * Hand-scanned fast path for the shape nearly every machine writes, `yyyy-mm-ddThh:mm:ss[.fff...](Z|±hh:mm)`;
 * undefined for anything else (the regex path then decides).
 */
function isoFromCanonicalString(text: string): string | undefined {
  const length = text.length;
  if (length < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84) return undefined;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  let index = 19;
  let millis = 0;
  if (text.charCodeAt(index) === 46 /* . */) {
    index++;
    let scale = 100;
    const fractionStart = index;
    while (index < length) {
      const digit = text.charCodeAt(index) - 48;
      if (digit < 0 || digit > 9) break;
      millis += digit * scale;
      scale /= 10;
      index++;
    }
    if (index === fractionStart) return undefined;
    millis = Math.floor(millis);
  }
  let offset = 0;
  const zone = text.charCodeAt(index);
  if (zone === 90 /* Z */ && index + 1 === length) {
    offset = 0;
  } else if ((zone === 43 || zone === 45) && index + 6 === length && text.charCodeAt(index + 3) === 58) {
    const zoneHours = twoDigits(text, index + 1);
    const zoneMinutes = twoDigits(text, index + 4);
    if (!(zoneHours <= 23 && zoneMinutes <= 59)) return undefined;
    offset = (zone === 45 ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  } else {
    return undefined;
  }
  if (Number.isNaN(year + month + day + hour + minute + second)) return undefined;
  if (offset === 0 && year >= 1000 && second < 60 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour < 24 && minute < 60) {
    // Already UTC and valid: build the string directly (Date round trips cost more than the rest of a parse).
    return `${text.slice(0, 19)}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  }
  return isoFromParts(year, month, day, hour, minute, second, millis, offset);
}

/** `Z`, `+02`, `+0200` or `+02:00` → minutes east of UTC; undefined when out of range. */
/** `Z`, `±HH`, `±HHMM` or `±HH:MM` → minutes east of UTC, or undefined when out of range. */
export function zoneOffsetMinutes(zone: string): number | undefined {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone.charCodeAt(0) === 45 /* - */ ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

/** Fraction digits (`"52"`, `"000003"`) → whole milliseconds, truncated. */
export function fractionToMillis(fraction: string | undefined): number {
  if (fraction === undefined || fraction.length === 0) return 0;
  const firstThree = fraction.length >= 3 ? fraction.slice(0, 3) : fraction.padEnd(3, '0');
  return Number(firstThree);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a month (1-12) of a year, leap years included. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return 29;
  return DAYS_IN_MONTH[month - 1];
}

/**
 * Builds the ISO string from calendar fields in a zone `offsetMinutes` east of UTC, after range checks
 * (a second of 60 is accepted as a leap second and rolls into the next minute).
 */
export function isoFromParts(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
  offsetMinutes: number,
): string | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  return isoFromMillis(utcMillis(year, month, day, hour, minute, second, millis) - offsetMinutes * 60_000);
}

/** `Date.UTC` that also means years 0-99 literally (Date.UTC maps them to 1900-1999). */
function utcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number, millis: number): number {
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (year >= 100) return utc;
  const date = new Date(utc);
  date.setUTCFullYear(year);
  return date.getTime();
}

/**
 * The smallest number read as an epoch time: 10^8 seconds, 1973-03-03. Below it a `time`/`ts` number is a duration
 * or a count far more often than a time (`{"time": 12, "msg": "query took"}` is not 1970-01-01T00:00:12Z), and is
 * kept as an attribute instead.
 */
const MIN_EPOCH_SECONDS = 1e8;

/** Interprets a number as epoch seconds, milliseconds, microseconds or nanoseconds by its magnitude. */
export function isoFromEpoch(value: number): string | undefined {
  if (!Number.isFinite(value) || value < MIN_EPOCH_SECONDS) return undefined;
  let millis: number;
  if (value < 1e11) millis = value * 1000;
  else if (value < 1e14) millis = value;
  else if (value < 1e17) millis = value / 1000;
  else millis = value / 1e6;
  return isoFromMillis(Math.round(millis));
}

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};

/** `Jan` → 1 ... `Dec` → 12 (English three-letter abbreviations, as logs print them); undefined otherwise. */
export function monthFromAbbreviation(name: string): number | undefined {
  return MONTHS[name];
}

function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const units = text.charCodeAt(at + 1) - 48;
  if (tens < 0 || tens > 9 || units < 0 || units > 9) return NaN;
  return tens * 10 + units;
}

/**
 * Parses the Common Log Format time `10/Oct/2000:13:55:36 -0700` (the text between the brackets).
 * Hand-scanned: this runs once per access-log line.
 */
export function isoFromClfTimestamp(text: string): string | undefined {
  // dd/Mon/yyyy:HH:MM:SS +zzzz  (26 characters)
  if (text.length !== 26 || text.charCodeAt(2) !== 47 || text.charCodeAt(6) !== 47 || text.charCodeAt(11) !== 58) {
    return undefined;
  }
  const day = twoDigits(text, 0);
  const month = MONTHS[text.slice(3, 6)];
  const year = twoDigits(text, 7) * 100 + twoDigits(text, 9);
  const hour = twoDigits(text, 12);
  const minute = twoDigits(text, 15);
  const second = twoDigits(text, 18);
  const signCode = text.charCodeAt(21);
  if (month === undefined || text.charCodeAt(20) !== 32 || (signCode !== 43 && signCode !== 45)) return undefined;
  const zoneHours = twoDigits(text, 22);
  const zoneMinutes = twoDigits(text, 24);
  if (Number.isNaN(day + year + hour + minute + second + zoneHours + zoneMinutes)) return undefined;
  if (zoneHours > 23 || zoneMinutes > 59) return undefined;
  const offset = (signCode === 45 ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  return isoFromParts(year, month, day, hour, minute, second, 0, offset);
}

/** Times printed in a zone we cannot know (syslog's local time) may be up to this far "ahead" of UTC. */
const MAX_ZONE_AHEAD_MS = 14 * 60 * 60 * 1000;

/**
 * A timestamp without a year (`Oct 11 22:14:15`, RFC 3164): picks the year that puts it nearest to `observedAt`
 * without being in the future. The time is read as UTC; because the sender's zone is unknown, "the future"
 * allows for the largest zone offset (14 h), so a line written minutes ago east of UTC is not pushed back a year.
 * Returns undefined for a day that exists in no candidate year (`Feb 30`).
 */
export function isoFromYearlessTimestamp(
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
  observedAt: Date,
): string | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const limit = observedAt.getTime() + MAX_ZONE_AHEAD_MS;
  const observedYear = observedAt.getUTCFullYear();
  // Feb 29 may need to go back up to 8 years (1900 → 1904 style gaps); other days go back at most one.
  for (let year = observedYear + 1; year >= observedYear - 8; year--) {
    if (day > daysInMonth(year, month)) continue;
    const candidate = utcMillis(year, month, day, hour, minute, second, millis);
    if (candidate <= limit) return isoFromMillis(candidate);
  }
  return undefined;
}

/**
 * The instant a year-less timestamp is placed before: the object's last-modified time when the splitter recorded it
 * in the format context (`formatContext.objectModifiedAt`, ISO 8601; S3's `LastModified`, a local file's mtime),
 * otherwise when the line is read (`observedAt`). Every line of an object was written before the object was last
 * modified, so a `Dec 31` line in an object modified on 2 January belongs to the year before, however late the
 * object is processed.
 */
export function yearReference(context: ParseContext): Date {
  const modified = context.formatContext?.objectModifiedAt;
  if (typeof modified !== 'string') return context.observedAt;
  if (modified !== cachedReferenceText) {
    const date = new Date(modified);
    cachedReferenceText = modified;
    cachedReference = Number.isFinite(date.getTime()) ? date : undefined;
  }
  return cachedReference ?? context.observedAt;
}

// One object is processed at a time, so one remembered parse of its `objectModifiedAt` saves a Date per line.
let cachedReferenceText: string | undefined;
let cachedReference: Date | undefined;
