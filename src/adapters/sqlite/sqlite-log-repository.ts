import type { Statement } from 'better-sqlite3';
import { MinuteTally } from '../../application/minute-rollup.js';
import type { LogRepository, Page, SplitTotals } from '../../application/ports/log-repository.port.js';
import {
  awaitsCompletion,
  type Batch,
  BatchStatus,
  canSplit,
  type ChunkStats,
  type CompletionDecision,
  type NewBatch,
  type SplitCheckpoint,
} from '../../domain/batch.js';
import { type BatchFailureCode, BatchNotFoundError, UnknownCursorError } from '../../domain/errors.js';
import type { LogEntry } from '../../domain/log-entry.js';
import { WARN_OR_ABOVE } from '../../domain/severity.js';
import { type BatchRow, batchFromRow, decodeCursor, encodeCursor, type EntryRow, isTimeKey, LINE_SPAN, type SqliteStore } from './sqlite-store.js';

/**
 * Batches, chunk markers and entries in a SQLite file ({@link SqliteStore}), with the DynamoDB table's rules:
 * conditional batch creation, a chunk counted once (its marker and the batch's counters in one transaction),
 * conditional completion. Each `putEntries` call is one transaction of prepared upserts keyed by (batch, line),
 * which also brings the histogram's per-minute rollup (`entry_minutes`) up to date. Bodies enter the full-text
 * index in bulk when their batch reaches a final status (see `indexBodies`).
 */
export class SqliteLogRepository implements LogRepository {
  private readonly statements: {
    insertBatch: Statement;
    selectBatch: Statement;
    listBatches: Statement;
    insertEntry: Statement;
    updateEntry: Statement;
    indexBody: Statement;
    bodiesIndexed: Statement;
    indexBatchBodies: Statement;
    entryBefore: Statement;
    addMinutes: Statement;
    insertMarker: Statement;
    entriesOfBatch: Statement;
    severeEntries: Statement;
  };

  /** Entries written (rewrites included), as the run summary counts them. */
  entryWrites = 0;

  constructor(
    private readonly store: SqliteStore,
    private readonly now: () => Date = () => new Date(),
  ) {
    const db = store.db;
    this.statements = {
      insertBatch: db.prepare(
        `INSERT INTO batches (batch_id, source_bucket, source_key, source_etag, source_size, format, status, created_at, updated_at, fts_indexed)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (batch_id) DO NOTHING`,
      ),
      selectBatch: db.prepare('SELECT * FROM batches WHERE batch_id = ?'),
      listBatches: db.prepare('SELECT * FROM batches ORDER BY created_at DESC, batch_id LIMIT ?'),
      insertEntry: db.prepare(
        `INSERT INTO entries (id, line_number, time, observed_time, severity_text, severity_number, body, attributes, format,
                              parse_error, truncated, original_length, line_count, redactions, raw)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      ),
      // A redelivered entry: the update trigger keeps the full-text index in step.
      updateEntry: db.prepare(
        `UPDATE entries SET line_number = ?, time = ?, observed_time = ?, severity_text = ?, severity_number = ?,
           body = ?, attributes = ?, format = ?, parse_error = ?, truncated = ?, original_length = ?, line_count = ?,
           redactions = ?, raw = ?
         WHERE id = ?`,
      ),
      indexBody: db.prepare('INSERT INTO entries_fts (rowid, body) VALUES (?, ?)'),
      bodiesIndexed: db.prepare('SELECT fts_indexed FROM batches WHERE seq = ?').pluck(),
      indexBatchBodies: db.prepare('INSERT INTO entries_fts (rowid, body) SELECT id, body FROM entries WHERE id > ? AND id < ?'),
      entryBefore: db.prepare('SELECT time, severity_number FROM entries WHERE id = ?'),
      addMinutes: db.prepare(
        `INSERT INTO entry_minutes (batch_seq, minute, level, entries) VALUES (?, ?, ?, ?)
         ON CONFLICT (batch_seq, minute, level) DO UPDATE SET entries = entries + excluded.entries`,
      ),
      insertMarker: db.prepare('INSERT INTO chunk_markers (batch_seq, chunk) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      entriesOfBatch: db.prepare('SELECT * FROM entries WHERE id > ? AND id < ? ORDER BY id LIMIT ?'),
      severeEntries: db.prepare(
        `SELECT * FROM entries WHERE severity_number >= ? AND time >= ? AND time < ? AND (time, id) > (?, ?)
         ORDER BY time, id LIMIT ?`,
      ),
    };
  }

  async createBatch(init: NewBatch): Promise<{ batch: Batch; created: boolean }> {
    return this.store.write(() => {
      const source = init.source;
      const result = this.statements.insertBatch.run(
        init.batchId,
        source.bucket,
        source.key,
        source.etag,
        source.size ?? null,
        init.format ?? null,
        BatchStatus.SPLITTING,
        init.createdAt,
        init.createdAt,
      );
      return { batch: this.requireBatch(init.batchId), created: result.changes === 1 };
    });
  }

  async getBatch(batchId: string): Promise<Batch | undefined> {
    const row = this.statements.selectBatch.get(batchId) as BatchRow | undefined;
    return row === undefined ? undefined : batchFromRow(row);
  }

  async listBatches(options?: { limit?: number }): Promise<Batch[]> {
    return (this.statements.listBatches.all(options?.limit ?? 50) as BatchRow[]).map(batchFromRow);
  }

  async saveCheckpoint(batchId: string, checkpoint: SplitCheckpoint): Promise<void> {
    this.store.write(() => {
      this.requireBatch(batchId);
      this.update(batchId, { checkpoint: JSON.stringify(checkpoint) });
    });
  }

  async finishSplitting(batchId: string, totals: SplitTotals): Promise<Batch> {
    return this.store.write(() => {
      const batch = this.requireBatch(batchId);
      if (!canSplit(batch)) return batch;
      this.update(batchId, {
        status: BatchStatus.SPLIT,
        total_lines: totals.totalLines,
        total_chunks: totals.totalChunks,
        format: totals.format,
        checkpoint: null,
        failure_code: null,
        reason: null,
        completed_at: null,
      });
      return this.requireBatch(batchId);
    });
  }

  async failBatch(batchId: string, failureCode: BatchFailureCode, reason: string, totals?: Partial<SplitTotals>): Promise<void> {
    this.store.write(() => {
      const batch = this.requireBatch(batchId);
      this.update(batchId, {
        status: BatchStatus.FAILED,
        failure_code: failureCode,
        reason,
        total_lines: totals?.totalLines ?? batch.totalLines ?? null,
        total_chunks: totals?.totalChunks ?? batch.totalChunks ?? null,
        format: totals?.format ?? batch.format ?? null,
        completed_at: this.now().toISOString(),
      });
      this.indexBodies(this.store.seqOf(batchId)!);
    });
  }

  async putEntries(entries: readonly LogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.entryWrites += entries.length;
    const { insertEntry, updateEntry, indexBody, bodiesIndexed, entryBefore, addMinutes } = this.statements;
    this.store.write(() => {
      // The histogram's rollup counts rows this call inserted, and for a rewritten row the change it made.
      const minutes = new MinuteTally<number>();
      let batchId: string | undefined;
      let seq = 0;
      let base = 0;
      // Read under the write lock: the batch may have been indexed (completed) by another process.
      let indexed = false;
      for (const entry of entries) {
        if (entry.batchId !== batchId) {
          const found = this.store.seqOf(entry.batchId);
          if (found === undefined) throw new BatchNotFoundError(`no batch ${entry.batchId}`);
          batchId = entry.batchId;
          seq = found;
          base = seq * LINE_SPAN;
          indexed = bodiesIndexed.get(seq) === 1;
        }
        const id = base + entry.lineNumber;
        const row = [
          id,
          entry.lineNumber,
          entry.timestamp ?? '',
          entry.observedTimestamp,
          entry.severityText ?? null,
          entry.severityNumber ?? null,
          wellFormed(entry.body),
          JSON.stringify(entry.attributes),
          entry.format,
          entry.parseError === undefined ? null : wellFormed(entry.parseError),
          entry.truncated === undefined ? null : entry.truncated ? 1 : 0,
          entry.originalLength ?? null,
          entry.lineCount ?? null,
          entry.redactions === undefined ? null : JSON.stringify(entry.redactions),
          entry.raw === undefined ? null : wellFormed(entry.raw),
        ];
        if (insertEntry.run(row).changes === 1) {
          if (indexed) indexBody.run(id, row[6]);
        } else {
          const before = entryBefore.get(id) as { time: string; severity_number: number | null };
          minutes.add(seq, before.time, before.severity_number ?? undefined, -1);
          updateEntry.run([...row.slice(1), id]);
        }
        minutes.add(seq, entry.timestamp, entry.severityNumber, 1);
      }
      for (const change of minutes.changes()) addMinutes.run(change.batch, change.minute, change.level, change.entries);
    });
  }

  async recordChunkProcessed(batchId: string, chunk: number, stats: ChunkStats): Promise<{ applied: boolean; batch: Batch }> {
    return this.store.write(() => {
      const batch = this.requireBatch(batchId);
      const seq = this.store.seqOf(batchId)!;
      if (this.statements.insertMarker.run(seq, chunk).changes === 0) return { applied: false, batch };
      this.store.db
        .prepare(
          `UPDATE batches SET processed_chunks = processed_chunks + 1, lines = lines + ?, entries = entries + ?,
             unparsed = unparsed + ?, blank = blank + ?, continuation = continuation + ?, truncated = truncated + ?,
             filtered = filtered + ?, redacted = redacted + ?, dead_lettered_chunks = ?, updated_at = ? WHERE batch_id = ?`,
        )
        .run(
          stats.lines,
          stats.entries,
          stats.unparsed,
          stats.blank,
          stats.continuation,
          stats.truncated,
          stats.filtered,
          stats.redacted,
          JSON.stringify(batch.deadLetteredChunks.filter((index) => index !== chunk)),
          this.now().toISOString(),
          batchId,
        );
      return { applied: true, batch: this.requireBatch(batchId) };
    });
  }

  async recordChunkDeadLettered(batchId: string, chunk: number): Promise<Batch | undefined> {
    // `dlq list` reconciles the batches with the letters it lists; on a store opened read-only it lists them as they
    // are (a redrive settles them).
    if (this.store.readOnly) return this.getBatch(batchId);
    return this.store.write(() => {
      const row = this.statements.selectBatch.get(batchId) as BatchRow | undefined;
      if (row === undefined) return undefined;
      const batch = batchFromRow(row);
      const counted = this.store.db.prepare('SELECT 1 FROM chunk_markers WHERE batch_seq = ? AND chunk = ?').get(row.seq, chunk) !== undefined;
      if (counted || batch.deadLetteredChunks.includes(chunk)) return batch;
      this.update(batchId, { dead_lettered_chunks: JSON.stringify([...batch.deadLetteredChunks, chunk].sort((a, b) => a - b)) });
      return this.requireBatch(batchId);
    });
  }

  async completeBatch(batch: Batch, decision: CompletionDecision): Promise<boolean> {
    // As above: not completed here, by a command that only reads the store.
    if (this.store.readOnly) return false;
    return this.store.write(() => {
      const row = this.statements.selectBatch.get(batch.batchId) as BatchRow | undefined;
      if (row === undefined) return false;
      const current = batchFromRow(row);
      if (
        !awaitsCompletion(current) ||
        current.status !== batch.status ||
        current.processedChunks !== batch.processedChunks ||
        current.deadLetteredChunks.length !== batch.deadLetteredChunks.length
      ) {
        return false;
      }
      this.update(batch.batchId, {
        status: decision.status,
        failure_code: decision.failureCode ?? null,
        reason: decision.reason ?? null,
        completed_at: this.now().toISOString(),
      });
      this.indexBodies(row.seq);
      return true;
    });
  }

  async listEntries(batchId: string, options?: { limit?: number; cursor?: string }): Promise<Page<LogEntry>> {
    const seq = this.store.seqOf(batchId);
    if (seq === undefined) return { items: [] };
    const limit = options?.limit ?? 1000;
    // The line number the previous page ended at, as this method writes it; anything else is not its cursor.
    const afterLine = options?.cursor === undefined ? 0 : /^(0|[1-9]\d{0,9})$/.test(options.cursor) ? Number(options.cursor) : LINE_SPAN;
    if (afterLine >= LINE_SPAN) throw new UnknownCursorError();
    const rows = this.statements.entriesOfBatch.all(seq * LINE_SPAN + afterLine, (seq + 1) * LINE_SPAN, limit + 1) as EntryRow[];
    const items = rows.slice(0, limit).map((row) => this.store.entryFromRow(row));
    return rows.length > limit ? { items, cursor: String(items.at(-1)!.lineNumber) } : { items };
  }

  async listSevereEntries(options: { from: string; to: string; minSeverityNumber?: number; limit?: number; cursor?: string }): Promise<Page<LogEntry>> {
    const limit = options.limit ?? 1000;
    const after = options.cursor === undefined ? ['', -1] : decodeCursor(options.cursor);
    if (options.cursor !== undefined && !isTimeKey(after)) throw new UnknownCursorError();
    const [afterTime, afterId] = after as [string, number];
    const rows = this.statements.severeEntries.all(
      Math.max(options.minSeverityNumber ?? WARN_OR_ABOVE, 1),
      options.from,
      options.to,
      afterTime,
      afterId,
      limit + 1,
    ) as EntryRow[];
    const items = rows.slice(0, limit).map((row) => this.store.entryFromRow(row));
    if (rows.length <= limit) return { items };
    const last = rows[limit - 1];
    return { items, cursor: encodeCursor([last.time, last.id]) };
  }

  /** Removes a batch with its entries and markers (`run --reprocess`); dead letters of it stay until redriven. */
  deleteBatch(batchId: string): void {
    this.store.write(() => {
      const seq = this.store.seqOf(batchId);
      if (seq === undefined) return;
      this.store.db.prepare('DELETE FROM entries WHERE id > ? AND id < ?').run(seq * LINE_SPAN, (seq + 1) * LINE_SPAN);
      this.store.db.prepare('DELETE FROM chunk_markers WHERE batch_seq = ?').run(seq);
      this.store.db.prepare('DELETE FROM entry_minutes WHERE batch_seq = ?').run(seq);
      this.store.db.prepare('DELETE FROM batches WHERE seq = ?').run(seq);
      // The old batch's dead letters are chunks of a split that is being redone: redriven, they would count into the
      // new batch under its chunk numbers.
      this.store.db.prepare('DELETE FROM dead_letters WHERE batch_id = ?').run(batchId);
    });
    this.store.forget(batchId);
  }

  /**
   * Puts a batch's bodies into the full-text index in one statement, once, when it reaches a final status: a
   * third of what indexing them row by row costs. Until then `--grep` scans that batch's rows.
   */
  private indexBodies(seq: number): void {
    if (this.statements.bodiesIndexed.get(seq) === 1) return;
    this.statements.indexBatchBodies.run(seq * LINE_SPAN, (seq + 1) * LINE_SPAN);
    this.store.db.prepare('UPDATE batches SET fts_indexed = 1 WHERE seq = ?').run(seq);
  }

  private requireBatch(batchId: string): Batch {
    const row = this.statements.selectBatch.get(batchId) as BatchRow | undefined;
    if (row === undefined) throw new BatchNotFoundError(`no batch ${batchId}`);
    return batchFromRow(row);
  }

  private update(batchId: string, columns: Record<string, string | number | null>): void {
    const names = Object.keys(columns);
    const assignments = names.map((name) => `${name} = ?`).join(', ');
    this.store.db
      .prepare(`UPDATE batches SET ${assignments}, updated_at = ? WHERE batch_id = ?`)
      .run(...names.map((name) => columns[name]), this.now().toISOString(), batchId);
  }
}

const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The text with each lone surrogate (half of a UTF-16 pair, which a JSON log line can write as `\ud800`) replaced by
 * U+FFFD: SQLite keeps text as UTF-8, which has no form for one, and read back its bytes became three U+FFFD. The
 * attributes keep it, as JSON text escapes it.
 */
function wellFormed(text: string): string {
  return SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\ufffd') : text;
}
