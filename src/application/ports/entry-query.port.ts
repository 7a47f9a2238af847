import { LogBatchError } from '../../domain/errors.js';
import type { LogEntry } from '../../domain/log-entry.js';
import type { Page } from './log-repository.port.js';

/** Equality on one attribute, compared as text: `http.response.status_code=500` matches the number 500. */
export interface AttributeEquals {
  readonly key: string;
  readonly value: string;
}

/** What `logbatch query` (and the web page) can ask for; every field narrows the result. */
export interface EntryFilter {
  readonly batchId?: string;
  /** Entries at this OpenTelemetry severity number and above (entries without a severity never match). */
  readonly minSeverityNumber?: number;
  /** ISO 8601 UTC instants: `since` inclusive, `until` exclusive; entries without a timestamp never match either. */
  readonly since?: string;
  readonly until?: string;
  /** The body contains this text, exactly as written (case-sensitive). */
  readonly grep?: string;
  readonly where?: readonly AttributeEquals[];
  /** Only lines that did not parse (entries with a `parseError`). */
  readonly unparsed?: boolean;
  /** Entries whose (first) line number is at least this, e.g. to open one entry by its line. */
  readonly fromLine?: number;
}

export interface EntryQueryOptions {
  readonly limit: number;
  readonly cursor?: string;
  /** Allow a query no index serves (a full table scan on DynamoDB). */
  readonly allowScan?: boolean;
}

export interface EntryQueryPage extends Page<LogEntry> {
  /** Items the backend read to find these (client-side filtering on DynamoDB); absent when it filters itself. */
  readonly itemsRead?: number;
}

export interface EntryCounts {
  readonly total: number;
  /** By severity name (TRACE … FATAL, UNSPECIFIED), only the ones present. */
  readonly bySeverity: Readonly<Record<string, number>>;
  readonly itemsRead?: number;
}

/**
 * Reading entries back by filter, in line order within one batch and time order otherwise. Implemented natively by
 * the SQLite store, and over any {@link LogRepository}'s indexed reads (DynamoDB) with client-side filtering.
 */
export interface EntryQuery {
  find(filter: EntryFilter, options: EntryQueryOptions): Promise<EntryQueryPage>;
  count(filter: EntryFilter, options?: { allowScan?: boolean }): Promise<EntryCounts>;
}

/** The query would read the whole table; the message names the flags that avoid it. */
export class ScanRefusedError extends LogBatchError {
  readonly code = 'SCAN_REFUSED';
}
