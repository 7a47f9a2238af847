import { ConfigurationError, LogBatchError, UnknownCursorError } from '../domain/errors.js';
import { parseSeverityLevel } from '../domain/filtering/event-filter.js';
import { isoFromMillis, zoneOffsetMinutes } from '../domain/parsing/timestamp.js';
import type { AttributeEquals, EntryCounts, EntryFilter, EntryQuery, EntryQueryPage } from './ports/entry-query.port.js';

/** Attribute conditions one query takes at most. */
export const MAX_WHERE_CONDITIONS = 100;

/** A query as a person writes it (CLI flags, URL parameters): strings, validated here once for every way in. */
export interface QueryRequest {
  readonly batch?: string;
  /** trace, debug, info, warn, error or fatal: the minimum level. */
  readonly severity?: string;
  /** An ISO 8601 instant or an age (`15m`, `2h`, `7d`). */
  readonly since?: string;
  readonly until?: string;
  readonly grep?: string;
  /** `KEY=VALUE` each. */
  readonly where?: readonly string[];
  /** Only lines that did not parse. */
  readonly unparsed?: boolean;
  /** From this line number on (1-based). */
  readonly fromLine?: number;
  readonly limit?: number;
  readonly cursor?: string;
  readonly scan?: boolean;
}

/** A query that cannot mean anything (unknown severity, unreadable time, `--where` without `=`, bad cursor). */
export class InvalidQueryError extends LogBatchError {
  readonly code = 'INVALID_QUERY';
}

export const DEFAULT_QUERY_LIMIT = 100;
const AGE = /^(\d+)(s|m|h|d|w)$/;
const AGE_UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `logbatch query` and the web page's entry list: turns a {@link QueryRequest} into an {@link EntryFilter} and asks
 * the backend's {@link EntryQuery} (the SQLite store, or DynamoDB through the repository).
 */
export class QueryEntries {
  constructor(
    private readonly entries: EntryQuery,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async find(request: QueryRequest): Promise<EntryQueryPage & { filter: EntryFilter }> {
    const filter = this.filterOf(request);
    const limit = request.limit ?? DEFAULT_QUERY_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidQueryError('--limit must be a positive integer');
    if (request.cursor !== undefined && !/^[\w-]+$/.test(request.cursor)) throw new InvalidQueryError('--cursor is not a cursor this command printed');
    try {
      return { ...(await this.entries.find(filter, { limit, cursor: request.cursor, allowScan: request.scan })), filter };
    } catch (error) {
      if (error instanceof SyntaxError || UnknownCursorError.is(error)) {
        throw new InvalidQueryError('--cursor is not a cursor this command printed', { cause: error });
      }
      throw error;
    }
  }

  async count(request: QueryRequest): Promise<EntryCounts> {
    return this.entries.count(this.filterOf(request), { allowScan: request.scan });
  }

  filterOf(request: QueryRequest): EntryFilter {
    const filter: { -readonly [K in keyof EntryFilter]: EntryFilter[K] } = {};
    if (request.batch !== undefined) filter.batchId = request.batch;
    // A minimum as `run --min-severity` reads it: a name in any case, `warning`, or a number from 1 to 24.
    if (request.severity !== undefined) filter.minSeverityNumber = minimumSeverity(request.severity);
    if (request.since !== undefined) filter.since = this.instant('--since', request.since);
    if (request.until !== undefined) filter.until = this.instant('--until', request.until);
    if (filter.since !== undefined && filter.until !== undefined && Date.parse(filter.since) >= Date.parse(filter.until)) {
      throw new InvalidQueryError('--since must be before --until');
    }
    if (request.grep !== undefined && request.grep !== '') filter.grep = request.grep;
    if (request.where !== undefined && request.where.length > MAX_WHERE_CONDITIONS) {
      // SQLite refuses an expression this deep ("Expression tree is too large"), and nobody writes one.
      throw new InvalidQueryError(`--where: at most ${MAX_WHERE_CONDITIONS} conditions (${request.where.length} given)`);
    }
    if (request.where !== undefined && request.where.length > 0) filter.where = request.where.map(attributeCondition);
    if (request.unparsed === true) filter.unparsed = true;
    if (request.fromLine !== undefined) {
      if (!Number.isSafeInteger(request.fromLine) || request.fromLine < 1) throw new InvalidQueryError('--from-line must be a positive integer');
      filter.fromLine = request.fromLine;
    }
    return filter;
  }

  private instant(flag: string, text: string): string {
    const age = AGE.exec(text.trim());
    if (age !== null) {
      // Stored times have four-digit years; an age past year 0000 (or past what Date can hold) names none of them.
      const since = isoFromMillis(this.now().getTime() - Number(age[1]) * AGE_UNIT_MS[age[2]]);
      if (since === undefined) throw new InvalidQueryError(`${flag} ${JSON.stringify(text)}: an age reaching back before the year 0000: give a shorter age (15m, 2h, 7d) or an ISO 8601 instant`);
      return since;
    }
    const shape = /^(\d{4}-\d{2}-\d{2})(?:[T ]([\d:.]+)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
    // A time without a zone is UTC, as a log timestamp without one is read (and as a date alone already was), never
    // the zone of the machine the query runs on.
    const parsed = shape === null ? Number.NaN : Date.parse(shape[2] === undefined ? shape[1] : `${shape[1]}T${shape[2]}${shape[3] ?? 'Z'}`);
    const iso = shape === null || !namesExistingTime(shape, parsed) ? undefined : isoFromMillis(parsed);
    if (iso === undefined) throw new InvalidQueryError(`${flag} ${JSON.stringify(text)}: give an ISO 8601 instant (2026-11-26T09:00:00Z) or an age (15m, 2h, 7d)`);
    return iso;
  }
}

/**
 * Whether the instant `Date.parse` made of an instant's date, time and zone groups has the very fields written:
 * `Date.parse` rolls a day, hour or minute that does not exist over (`2026-02-30` is March 2nd, `T24:00` the next day).
 */
function namesExistingTime(shape: RegExpExecArray, parsed: number): boolean {
  if (Number.isNaN(parsed)) return false;
  const offsetMinutes = shape[3] === undefined ? 0 : zoneOffsetMinutes(shape[3]);
  if (offsetMinutes === undefined) return false;
  // The written fields are wall-clock time in the given zone: shift the instant back there and read it as UTC.
  const local = new Date(parsed + offsetMinutes * 60_000);
  const [year, month, day] = shape[1].split('-').map(Number);
  const written = [year, month, day];
  const read = [local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate()];
  if (shape[2] !== undefined) {
    const [hour, minute, second] = shape[2].split(':');
    written.push(Number(hour), Number(minute));
    read.push(local.getUTCHours(), local.getUTCMinutes());
    if (second !== undefined) {
      written.push(Math.floor(Number(second)));
      read.push(local.getUTCSeconds());
    }
  }
  return written.every((field, index) => field === read[index]);
}

function attributeCondition(text: string): AttributeEquals {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new InvalidQueryError(`--where ${JSON.stringify(text)}: expected KEY=VALUE, e.g. http.response.status_code=500`);
  return { key: text.slice(0, equals), value: text.slice(equals + 1) };
}

function minimumSeverity(level: string): number {
  try {
    return parseSeverityLevel(level);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      throw new InvalidQueryError(`--severity ${JSON.stringify(level)}: unknown severity: use trace, debug, info, warn, error, fatal or a number from 1 to 24`);
    }
    throw error;
  }
}
