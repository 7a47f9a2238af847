import { UnknownCursorError } from '../domain/errors.js';
import type { LogEntry } from '../domain/log-entry.js';
import { WARN_OR_ABOVE } from '../domain/severity.js';
import { matchesEntryFilter, severityBucket } from './entry-filter.js';
import type { EntryCounts, EntryFilter, EntryQuery, EntryQueryOptions, EntryQueryPage } from './ports/entry-query.port.js';
import { ScanRefusedError } from './ports/entry-query.port.js';
import { InvalidQueryError } from './query-entries.use-case.js';
import type { LogRepository, Page } from './ports/log-repository.port.js';

/** Items asked of the repository per read. */
const READ_PAGE = 1000;
/** Batches a `--scan` walks at most. */
const SCAN_BATCHES = 10_000;

interface Position {
  /** Scan: index of the batch being read. */
  readonly b: number;
  /** The repository's cursor of the page being read (absent: its first page). */
  readonly p?: string;
  /** Items of that page already passed. */
  readonly s: number;
  /** The query the cursor belongs to ({@link planKey}): another query's cursor would read from a wrong place. */
  readonly k?: string;
}

type Plan =
  | { kind: 'batch'; batchId: string }
  | { kind: 'severe'; from: string; to: string; minSeverityNumber: number }
  | { kind: 'scan'; batchIds: readonly string[] };

/**
 * {@link EntryQuery} over a repository's indexed reads, as DynamoDB serves them: `--batch` reads the batch's entry
 * partitions in line order; `--severity` (WARN and above) with a time range reads the sparse `severe-by-time` index
 * in time order; anything else would read every batch, and is refused unless `allowScan`. Other filters (grep,
 * attributes, severity or time within a batch) apply to the pages read, and the result says how many items were read.
 */
export class RepositoryEntryQuery implements EntryQuery {
  constructor(
    private readonly repository: LogRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async find(filter: EntryFilter, options: EntryQueryOptions): Promise<EntryQueryPage> {
    const plan = await this.plan(filter, options.allowScan === true);
    const key = planKey(plan);
    let position: Position = options.cursor === undefined ? { b: 0, s: 0, k: key } : decodePosition(options.cursor);
    if (position.k !== undefined && position.k !== key) {
      throw new InvalidQueryError('--cursor belongs to another query: pass it with the same --batch and filters that printed it');
    }
    position = { ...position, k: key };
    // Only a scan moves on to other batches: a position in another one is none this query printed.
    if (position.b !== 0 && plan.kind !== 'scan') throw new UnknownCursorError();
    const items: LogEntry[] = [];
    let itemsRead = 0;
    for (;;) {
      const page = await this.read(plan, position);
      if (page === undefined) return { items, itemsRead };
      itemsRead += Math.max(0, page.items.length - position.s);
      for (let index = position.s; index < page.items.length; index++) {
        if (!matchesEntryFilter(page.items[index], filter)) continue;
        items.push(page.items[index]);
        if (items.length === options.limit) {
          const next: Position | undefined =
            index + 1 < page.items.length ? { ...position, s: index + 1 } : this.after(plan, position, page);
          return next === undefined ? { items, itemsRead } : { items, itemsRead, cursor: encodePosition(next) };
        }
      }
      const next = this.after(plan, position, page);
      if (next === undefined) return { items, itemsRead };
      position = next;
    }
  }

  async count(filter: EntryFilter, options?: { allowScan?: boolean }): Promise<EntryCounts> {
    const plan = await this.plan(filter, options?.allowScan === true);
    const bySeverity: Record<string, number> = {};
    let total = 0;
    let itemsRead = 0;
    let position: Position | undefined = { b: 0, s: 0 };
    while (position !== undefined) {
      const page = await this.read(plan, position);
      if (page === undefined) break;
      itemsRead += page.items.length;
      for (const entry of page.items) {
        if (!matchesEntryFilter(entry, filter)) continue;
        total++;
        const bucket = severityBucket(entry.severityNumber);
        bySeverity[bucket] = (bySeverity[bucket] ?? 0) + 1;
      }
      position = this.after(plan, position, page);
    }
    return { total, bySeverity, itemsRead };
  }

  private async plan(filter: EntryFilter, allowScan: boolean): Promise<Plan> {
    if (filter.batchId !== undefined) return { kind: 'batch', batchId: filter.batchId };
    if (filter.minSeverityNumber !== undefined && filter.minSeverityNumber >= WARN_OR_ABOVE && filter.since !== undefined) {
      return { kind: 'severe', from: filter.since, to: filter.until ?? this.now().toISOString(), minSeverityNumber: filter.minSeverityNumber };
    }
    if (!allowScan) {
      throw new ScanRefusedError(
        'this query would scan the whole table: pass --batch ID, or --severity warn|error|fatal with --since (and --until), or --scan to read everything',
      );
    }
    const batches = await this.repository.listBatches({ limit: SCAN_BATCHES });
    return { kind: 'scan', batchIds: batches.map((batch) => batch.batchId) };
  }

  private async read(plan: Plan, position: Position): Promise<Page<LogEntry> | undefined> {
    switch (plan.kind) {
      case 'batch':
        return this.repository.listEntries(plan.batchId, { limit: READ_PAGE, cursor: position.p });
      case 'severe':
        return this.repository.listSevereEntries({ from: plan.from, to: plan.to, minSeverityNumber: plan.minSeverityNumber, limit: READ_PAGE, cursor: position.p });
      case 'scan': {
        const batchId = plan.batchIds[position.b];
        return batchId === undefined ? undefined : this.repository.listEntries(batchId, { limit: READ_PAGE, cursor: position.p });
      }
    }
  }

  /** Where reading goes after a whole page, or undefined at the end. */
  private after(plan: Plan, position: Position, page: Page<LogEntry>): Position | undefined {
    if (page.cursor !== undefined) return { b: position.b, p: page.cursor, s: 0, k: position.k };
    if (plan.kind === 'scan' && position.b + 1 < plan.batchIds.length) return { b: position.b + 1, s: 0, k: position.k };
    return undefined;
  }
}

/**
 * What a cursor is bound to: the batch read, or the kind of read (a relative `--since` moves the severe range between
 * pages, so the range itself is not part of it).
 */
function planKey(plan: Plan): string {
  return plan.kind === 'batch' ? `batch:${plan.batchId}` : plan.kind;
}

function encodePosition(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/**
 * The position a cursor names, refused (`bad cursor`, which the use case reports as not a cursor it printed) unless
 * it could have been printed: a batch index and an offset into a page of at most {@link READ_PAGE} items, each a
 * non-negative integer, and text where text goes. A tampered one would otherwise index past the page.
 */
function decodePosition(cursor: string): Position {
  const position = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Partial<Record<keyof Position, unknown>> | null;
  if (typeof position !== 'object' || position === null || Array.isArray(position)) throw new UnknownCursorError();
  const { b, s, p, k } = position;
  if (!isIndex(b, SCAN_BATCHES) || !isIndex(s, READ_PAGE)) throw new UnknownCursorError();
  if ((p !== undefined && typeof p !== 'string') || (k !== undefined && typeof k !== 'string')) throw new UnknownCursorError();
  return { b, s, ...(p === undefined ? {} : { p }), ...(k === undefined ? {} : { k }) };
}

function isIndex(value: unknown, length: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) < length;
}
