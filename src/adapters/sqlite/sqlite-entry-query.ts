import { severityBucket } from '../../application/entry-filter.js';
import type { EntryCounts, EntryFilter, EntryQuery, EntryQueryOptions, EntryQueryPage } from '../../application/ports/entry-query.port.js';
import { WARN_OR_ABOVE } from '../../domain/severity.js';
import { decodeCursor, encodeCursor, type EntryRow, isRowId, isTimeKey, LINE_SPAN, type SqliteStore } from './sqlite-store.js';
import { UnknownCursorError } from '../../domain/errors.js';

/** Shortest text the trigram index can look up; shorter `--grep` text is matched by scanning. */
const TRIGRAM = 3;
/** Candidates from the full-text index above which `--grep` text counts as common. */
const COMMON_MATCHES = 5_000;

/**
 * {@link EntryQuery} in SQL on the store: line order within a batch (the rowid), time order otherwise (the time
 * index, or the severe-by-time index at WARN and above), `--grep` through the FTS5 trigram index (once the batches
 * in scope are final and indexed), `--where` on the attributes' JSON text (`->`). Pages are keyset pages: the cursor is the last row's sort key.
 */
export class SqliteEntryQuery implements EntryQuery {
  constructor(private readonly store: SqliteStore) {}

  async find(filter: EntryFilter, options: EntryQueryOptions): Promise<EntryQueryPage> {
    const where = this.conditions(filter);
    if (where === undefined) return { items: [] };
    const inBatch = filter.batchId !== undefined;
    if (options.cursor !== undefined) {
      const after = this.position(options.cursor, filter.batchId);
      if (typeof after === 'number') {
        where.sql.push('id > ?');
        where.params.push(after);
      } else {
        where.sql.push('(time, id) > (?, ?)');
        where.params.push(after[0], after[1]);
      }
    }
    const sql = `SELECT * FROM entries ${clause(where.sql)} ORDER BY ${inBatch ? 'id' : 'time, id'} LIMIT ?`;
    const rows = this.store.db.prepare(sql).all(...where.params, options.limit + 1) as EntryRow[];
    const items = rows.slice(0, options.limit).map((row) => this.store.entryFromRow(row));
    if (rows.length <= options.limit) return { items };
    const last = rows[options.limit - 1];
    const cursor = inBatch ? last.id : [last.time, last.id];
    return { items, cursor: encodeCursor(cursor) };
  }

  async count(filter: EntryFilter): Promise<EntryCounts> {
    const where = this.conditions(filter);
    if (where === undefined) return { total: 0, bySeverity: {} };
    const rows = this.store.db
      .prepare(`SELECT severity_number AS severity, count(*) AS n FROM entries ${clause(where.sql)} GROUP BY severity_number`)
      .all(...where.params) as Array<{ severity: number | null; n: number }>;
    const bySeverity: Record<string, number> = {};
    let total = 0;
    for (const row of rows) {
      const bucket = severityBucket(row.severity ?? undefined);
      bySeverity[bucket] = (bySeverity[bucket] ?? 0) + row.n;
      total += row.n;
    }
    return { total, bySeverity };
  }

  /**
   * The sort key a cursor holds, when it is exactly what {@link find} writes for this kind of query: the base64url of
   * the JSON of a row id of the batch (with `--batch`), or of `[time, row id]`, spelled as this store spells them.
   * Anything else (other types, another count, a row id no batch can have, another spelling) is refused: bound as it
   * was, `[true, 1]` failed in SQLite and `[1, 2]` silently started from the beginning.
   */
  private position(cursor: string, batchId: string | undefined): number | [string, number] {
    const after = decodeCursor(cursor);
    if (batchId !== undefined) {
      // A cursor of another batch's rows would silently start or end this batch's pages in the wrong place.
      const seq = this.store.seqOf(batchId);
      if (!isRowId(after) || seq === undefined || Math.floor(after / LINE_SPAN) !== seq) throw new UnknownCursorError();
      return after;
    }
    if (!isTimeKey(after)) throw new UnknownCursorError();
    return after;
  }

  /** True when fewer than {@link COMMON_MATCHES} bodies may contain the text (the trigram index's candidates). */
  private isRare(terms: string): boolean {
    const row = this.store.db
      .prepare('SELECT count(*) AS n FROM (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ? LIMIT ?)')
      .get(terms, COMMON_MATCHES) as { n: number };
    return row.n < COMMON_MATCHES;
  }

  /** True when every batch in scope (one, or the whole store) has its bodies in the full-text index. */
  private isIndexed(batchId: string | undefined): boolean {
    const row = (batchId === undefined
      ? this.store.db.prepare('SELECT count(*) AS n FROM batches WHERE fts_indexed = 0').get()
      : this.store.db.prepare('SELECT count(*) AS n FROM batches WHERE fts_indexed = 0 AND batch_id = ?').get(batchId)) as { n: number };
    return row.n === 0;
  }

  /** SQL conditions for a filter, or undefined when it names a batch the store does not have. */
  private conditions(filter: EntryFilter): { sql: string[]; params: Array<string | number> } | undefined {
    const sql: string[] = [];
    const params: Array<string | number> = [];
    if (filter.batchId !== undefined) {
      const seq = this.store.seqOf(filter.batchId);
      if (seq === undefined) return undefined;
      sql.push('id > ? AND id < ?');
      params.push(seq * LINE_SPAN, (seq + 1) * LINE_SPAN);
    }
    if (filter.fromLine !== undefined) {
      // Within a batch the rowid is the line: a range start on the primary key.
      if (filter.batchId !== undefined) sql.push(`id >= ${this.store.seqOf(filter.batchId)! * LINE_SPAN} + ?`);
      else sql.push('line_number >= ?');
      params.push(filter.fromLine);
    }
    if (filter.unparsed === true) sql.push('parse_error IS NOT NULL');
    if (filter.minSeverityNumber !== undefined) {
      sql.push('severity_number >= ?');
      params.push(filter.minSeverityNumber);
      // Spelled out so the planner may use the partial severe-by-time index, which covers exactly these rows.
      if (filter.minSeverityNumber >= WARN_OR_ABOVE) sql.push(`severity_number >= ${WARN_OR_ABOVE}`);
    }
    if (filter.since !== undefined) {
      sql.push('time >= ?');
      params.push(filter.since);
    }
    if (filter.until !== undefined) {
      sql.push("time < ? AND time <> ''");
      params.push(filter.until);
    }
    if (filter.grep !== undefined) {
      // The index pays off for rare text; common text fills a page sooner by checking rows in the page's order.
      // Rows of a batch not yet final are not in the index: a scope that holds any is scanned.
      const terms = [...filter.grep].length >= TRIGRAM && !filter.grep.includes('\0') ? trigramTerms(filter.grep) : undefined;
      if (terms !== undefined && this.isIndexed(filter.batchId) && this.isRare(terms)) {
        sql.push('id IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?)');
        params.push(terms);
      }
      sql.push('instr(body, ?) > 0');
      params.push(filter.grep);
    }
    for (const condition of filter.where ?? []) {
      // The attributes are JSON.stringify's text, and SQLite matches a quoted path label against a key as written
      // there, escapes and all: `a\b` is `$."a\\b"`, `a"q` is `$."a\"q"`.
      const path = `$.${JSON.stringify(condition.key)}`;
      // The memory backend's equality (matchesEntryFilter: a string, number or boolean whose `String(value)` is the
      // text), on the attribute's JSON as stored: `->` gives it as written, and the attributes are JSON.stringify's
      // text, which writes a number as String(value) does (`1e+21`, `123456789012345000`), a boolean as `true` or
      // `false`, and a string as JSON.stringify(string). So the text matches a number or a boolean when it is how
      // JavaScript writes one (not `1.50`, `-0`, `1e21`), and a string when the string's JSON is the quoted text; null,
      // objects and arrays never. Comparing numbers as SQLite reads them missed doubles between 2^53 and 2^63 written
      // as integers: SQLite reads that text as an exact 64-bit integer, not as the double it stands for. One JSON
      // lookup per row (the json_type/json_extract pairs before it took up to five).
      const number = Number(condition.value);
      const scalar = (condition.value !== '' && String(number) === condition.value) || condition.value === 'true' || condition.value === 'false';
      if (scalar) {
        sql.push('(attributes -> ?) IN (?, ?)');
        params.push(path, condition.value, JSON.stringify(condition.value));
      } else {
        sql.push('(attributes -> ?) = ?');
        params.push(path, JSON.stringify(condition.value));
      }
    }
    return { sql, params };
  }
}

/**
 * The text's trigrams as an FTS5 query that all must match (`"ret" "etr" "tri" …`): the rows holding every one, a
 * superset of those holding the text, which `instr` then checks. The index keeps no positions (`detail = none`), so no
 * phrase query; a `GLOB` checks its candidates against the body, and SQLite's GLOB stops at a NUL character, so text
 * after one was never found. Matching the terms is also 3–10× faster than the GLOB was (1M-entry bench store: a page of
 * `retrying upstream` 107–115 ms against 416–488 ms).
 */
function trigramTerms(text: string): string {
  const characters = [...text];
  const terms = new Set<string>();
  for (let index = 0; index + TRIGRAM <= characters.length; index++) terms.add(`"${characters.slice(index, index + TRIGRAM).join('').replace(/"/g, '""')}"`);
  return [...terms].join(' ');
}

function clause(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}
