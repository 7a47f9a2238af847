import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Batch, BatchStatus } from '../../domain/batch.js';
import type { BatchFailureCode } from '../../domain/errors.js';
import { LogBatchError } from '../../domain/errors.js';
import type { LogEntry } from '../../domain/log-entry.js';
import { SCHEMA_MIGRATIONS, SCHEMA_VERSION } from './sqlite-schema.js';

/** A store file that cannot be used: a missing directory, not a SQLite database, a schema from a newer logbatch. */
export class StoreUnusableError extends LogBatchError {
  readonly code = 'STORE_UNUSABLE';
}

export interface SqliteStoreOptions {
  /** Refuse to create the file (read-only commands: `query`, `batches`, `status`). @default false */
  readonly mustExist?: boolean;
  /** How long a writer waits for another process's transaction before giving up. @default 60000 */
  readonly busyTimeoutMs?: number;
}

/** Lines per batch in an entry id: id = batch seq × 2^32 + line number. */
export const LINE_SPAN = 2 ** 32;

export interface BatchRow {
  seq: number;
  batch_id: string;
  source_bucket: string;
  source_key: string;
  source_etag: string;
  source_size: number | null;
  format: string | null;
  status: string;
  failure_code: string | null;
  reason: string | null;
  total_lines: number | null;
  total_chunks: number | null;
  processed_chunks: number;
  lines: number;
  entries: number;
  unparsed: number;
  blank: number;
  continuation: number;
  truncated: number;
  filtered: number;
  redacted: number;
  /** 1 once the batch's bodies are in the full-text index (see migration v6). */
  fts_indexed: number;
  dead_lettered_chunks: string;
  checkpoint: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export interface EntryRow {
  id: number;
  line_number: number;
  time: string;
  observed_time: string;
  severity_text: string | null;
  severity_number: number | null;
  body: string;
  attributes: string;
  format: string;
  parse_error: string | null;
  truncated: number | null;
  original_length: number | null;
  line_count: number | null;
  redactions: string | null;
  raw: string | null;
}

/**
 * One SQLite file holding batches, entries and dead letters: the connection, its settings and schema, and the row
 * mappings the SQLite adapters share. WAL lets readers work while a run writes; every write transaction starts
 * `IMMEDIATE` and waits up to the busy timeout, so several processes can write one store.
 */
export class SqliteStore {
  readonly db: Database.Database;
  private readonly batchIds = new Map<number, string>();
  private readonly batchSeqs = new Map<string, number>();
  private seqQuery: Database.Statement | undefined;

  private constructor(readonly filePath: string, db: Database.Database) {
    this.db = db;
  }

  /** Opens (creating unless `mustExist`) and migrates a store; throws {@link StoreUnusableError} for a bad file. */
  static open(filePath: string, options: SqliteStoreOptions = {}): SqliteStore {
    const resolved = path.resolve(filePath);
    const directory = path.dirname(resolved);
    if (!existsSync(directory)) throw new StoreUnusableError(`store ${filePath}: no directory ${directory}`);
    if (existsSync(resolved) && statSync(resolved).isDirectory()) throw new StoreUnusableError(`store ${filePath} is a directory`);
    if (options.mustExist === true && !existsSync(resolved)) {
      throw new StoreUnusableError(`no store at ${filePath} (create one with \`logbatch run FILE --store ${filePath}\`)`);
    }
    let db: Database.Database;
    try {
      db = new Database(resolved);
    } catch (error) {
      throw new StoreUnusableError(`store ${filePath}: ${(error as Error).message}`, { cause: error });
    }
    try {
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 60_000}`);
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new StoreUnusableError(
          `store ${filePath} has schema version ${version}, newer than this logbatch knows (${SCHEMA_VERSION}): upgrade logbatch`,
        );
      }
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('temp_store = MEMORY');
      migrate(db, filePath);
    } catch (error) {
      db.close();
      if (error instanceof StoreUnusableError) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new StoreUnusableError(`${filePath} is not a logbatch store (not a SQLite database)`, { cause: error });
      throw new StoreUnusableError(`store ${filePath}: ${(error as Error).message}`, { cause: error });
    }
    return new SqliteStore(filePath, db);
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `work` in a write transaction taken at once (BEGIN IMMEDIATE), waiting for other writers. */
  write<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  /**
   * The batch's small integer key, or undefined when the store has no such batch. Read from the store every time (one
   * indexed lookup per call, not per entry): another process may have replaced the batch (`run --reprocess` deletes it
   * and creates it again under a new key), and a key remembered from before sent this process's entries and chunk
   * markers to rows of a batch that no longer existed while its counters went to the new one (121 of 110 chunks).
   * Keys are never reused (AUTOINCREMENT), so {@link batchIdOf} may remember them.
   */
  seqOf(batchId: string): number | undefined {
    this.seqQuery ??= this.db.prepare('SELECT seq FROM batches WHERE batch_id = ?');
    const row = this.seqQuery.get(batchId) as { seq: number } | undefined;
    if (row === undefined) {
      this.forget(batchId);
      return undefined;
    }
    if (this.batchSeqs.get(batchId) !== row.seq) {
      this.forget(batchId);
      this.remember(row.seq, batchId);
    }
    return row.seq;
  }

  batchIdOf(seq: number): string {
    const cached = this.batchIds.get(seq);
    if (cached !== undefined) return cached;
    const row = this.db.prepare('SELECT batch_id FROM batches WHERE seq = ?').get(seq) as { batch_id: string } | undefined;
    if (row === undefined) throw new Error(`entry of an unknown batch (seq ${seq})`);
    this.remember(seq, row.batch_id);
    return row.batch_id;
  }

  /** Forgets a deleted batch's key (a reprocessed file gets a new one). */
  forget(batchId: string): void {
    const seq = this.batchSeqs.get(batchId);
    this.batchSeqs.delete(batchId);
    if (seq !== undefined) this.batchIds.delete(seq);
  }

  entryFromRow(row: EntryRow): LogEntry {
    const entry: Record<string, unknown> = {
      batchId: this.batchIdOf(Math.floor(row.id / LINE_SPAN)),
      lineNumber: row.line_number,
    };
    if (row.time !== '') entry.timestamp = row.time;
    entry.observedTimestamp = row.observed_time;
    if (row.severity_text !== null) entry.severityText = row.severity_text;
    if (row.severity_number !== null) entry.severityNumber = row.severity_number;
    entry.body = row.body;
    entry.attributes = JSON.parse(row.attributes);
    entry.format = row.format;
    if (row.parse_error !== null) entry.parseError = row.parse_error;
    if (row.truncated !== null) entry.truncated = row.truncated === 1;
    if (row.original_length !== null) entry.originalLength = row.original_length;
    if (row.line_count !== null) entry.lineCount = row.line_count;
    if (row.redactions !== null) entry.redactions = JSON.parse(row.redactions);
    if (row.raw !== null) entry.raw = row.raw;
    return entry as unknown as LogEntry;
  }

  private remember(seq: number, batchId: string): void {
    this.batchSeqs.set(batchId, seq);
    this.batchIds.set(seq, batchId);
  }
}

function migrate(db: Database.Database, filePath: string): void {
  if ((db.pragma('user_version', { simple: true }) as number) === SCHEMA_VERSION) return;
  db.transaction(() => {
    // Read again under the write lock: another process may have migrated meanwhile.
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) throw new StoreUnusableError(`store ${filePath} has schema version ${current}, newer than this logbatch knows (${SCHEMA_VERSION})`);
    if (current === 0 && hasForeignTables(db)) throw new StoreUnusableError(`${filePath} is a SQLite database but not a logbatch store`);
    for (let version = current; version < SCHEMA_VERSION; version++) db.exec(SCHEMA_MIGRATIONS[version]);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

function hasForeignTables(db: Database.Database): boolean {
  const row = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
  return row.n > 0;
}

export function batchFromRow(row: BatchRow): Batch {
  const batch: Record<string, unknown> = {
    batchId: row.batch_id,
    source: {
      bucket: row.source_bucket,
      key: row.source_key,
      etag: row.source_etag,
      ...(row.source_size === null ? {} : { size: row.source_size }),
    },
  };
  if (row.format !== null) batch.format = row.format;
  batch.status = row.status as BatchStatus;
  if (row.failure_code !== null) batch.failureCode = row.failure_code as BatchFailureCode;
  if (row.reason !== null) batch.reason = row.reason;
  if (row.total_lines !== null) batch.totalLines = row.total_lines;
  if (row.total_chunks !== null) batch.totalChunks = row.total_chunks;
  batch.processedChunks = row.processed_chunks;
  batch.stats = {
    lines: row.lines,
    entries: row.entries,
    unparsed: row.unparsed,
    blank: row.blank,
    continuation: row.continuation,
    truncated: row.truncated,
    filtered: row.filtered,
    redacted: row.redacted,
  };
  batch.deadLetteredChunks = JSON.parse(row.dead_lettered_chunks) as number[];
  if (row.checkpoint !== null) batch.checkpoint = JSON.parse(row.checkpoint);
  batch.createdAt = row.created_at;
  batch.updatedAt = row.updated_at;
  if (row.completed_at !== null) batch.completedAt = row.completed_at;
  return batch as unknown as Batch;
}
