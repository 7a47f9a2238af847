import { accessSync, chmodSync, closeSync, constants, copyFileSync, existsSync, mkdtempSync, openSync, readSync, rmSync, type Stats, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Batch, BatchStatus } from '../../domain/batch.js';
import type { BatchFailureCode } from '../../domain/errors.js';
import { LogBatchError, UnknownCursorError } from '../../domain/errors.js';
import type { LogEntry } from '../../domain/log-entry.js';
import { SCHEMA_MIGRATIONS, SCHEMA_VERSION } from './sqlite-schema.js';

/**
 * A store file that cannot be used: a missing directory, not a SQLite database, a schema from a newer (or, read-only,
 * older) logbatch, a file this user cannot write (to write), or a write on a store opened read-only.
 */
export class StoreUnusableError extends LogBatchError {
  readonly code = 'STORE_UNUSABLE';
}

export interface SqliteStoreOptions {
  /** Refuse to create the file or to start a store in an empty one: it must hold a store already. @default false */
  readonly mustExist?: boolean;
  /**
   * Open read-only (`query`, `batches`, `status`, `dlq list`, `ui` without files): the file must hold a store at this
   * version; nothing is created, initialised, migrated or switched to WAL, and no -wal/-shm file is left beside it
   * that its owner could not use. Writes are refused ({@link StoreUnusableError}). @default false
   */
  readonly readOnly?: boolean;
  /** How long a writer waits for another process's transaction before giving up. @default 60000 */
  readonly busyTimeoutMs?: number;
}

/** Lines per batch in an entry id: id = batch seq × 2^32 + line number. */
export const LINE_SPAN = 2 ** 32;

/** A page's sort key as a cursor: the base64url of its JSON. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * The sort key a cursor holds, when the cursor is spelled exactly as {@link encodeCursor} spells it (base64url, JSON
 * as JSON.stringify writes it); otherwise {@link UnknownCursorError}. The caller checks the key's types.
 */
export function decodeCursor(cursor: string): unknown {
  try {
    const text = Buffer.from(cursor, 'base64url').toString();
    const key: unknown = JSON.parse(text);
    if (JSON.stringify(key) === text && encodeCursor(key) === cursor) return key;
  } catch (error) {
    throw new UnknownCursorError(undefined, { cause: error });
  }
  throw new UnknownCursorError();
}

/** An entry's row id as the store writes it: batch seq (1 and up) × 2^32 + line number (1 and up), a safe integer. */
export function isRowId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= LINE_SPAN && (value as number) % LINE_SPAN !== 0;
}

/** A time-order sort key as the store writes it: `[time, row id]`, the time as stored (`''` for none). */
export function isTimeKey(value: unknown): value is [string, number] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && isRowId(value[1]);
}

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

  private constructor(
    readonly filePath: string,
    db: Database.Database,
    /** Opened with {@link SqliteStoreOptions.readOnly}: {@link write} refuses. */
    readonly readOnly: boolean,
  ) {
    this.db = db;
  }

  /**
   * Opens a store: to write (creating it unless `mustExist`, migrating it, WAL for a new one) or `readOnly`. Checks
   * what the file is before it changes anything; throws {@link StoreUnusableError} for a file it cannot use.
   */
  static open(filePath: string, options: SqliteStoreOptions = {}): SqliteStore {
    if (filePath === '') throw new StoreUnusableError('--store: no path given');
    const resolved = path.resolve(filePath);
    const directory = path.dirname(resolved);
    if (!existsSync(directory)) throw new StoreUnusableError(`store ${filePath}: no directory ${directory}`);
    const file = statOrUndefined(resolved);
    if (file?.isDirectory() === true) throw new StoreUnusableError(`store ${filePath} is a directory`);
    if (file !== undefined && !file.isFile()) throw new StoreUnusableError(`store ${filePath} is not a regular file`);
    if (file === undefined && (options.mustExist === true || options.readOnly === true)) {
      throw new StoreUnusableError(`no store at ${filePath} (create one with \`logbatch run FILE --store ${shellWord(filePath)}\`)`);
    }
    if (file !== undefined && file.size === 0 && (options.mustExist === true || options.readOnly === true)) {
      throw new StoreUnusableError(`${filePath} is not a logbatch store (an empty file)`);
    }
    const busyTimeout = `busy_timeout = ${options.busyTimeoutMs ?? 60_000}`;
    if (options.readOnly === true) return new SqliteStore(filePath, openReadOnly(filePath, resolved, busyTimeout), true);
    if (file !== undefined) assertWritable(filePath, resolved);
    else if (!isWritable(directory)) throw new StoreUnusableError(`store ${filePath}: cannot create it in ${directory} (no permission to write there)`);
    const db = attempt(filePath, () => new Database(resolved));
    try {
      db.pragma(busyTimeout);
      const version = assertKnownVersion(db, filePath);
      if (version === 0) {
        // Nothing is changed in a file before it is known to be empty: a new store (or an empty file) gets WAL, an
        // existing store keeps the journal mode it has (its owner may have chosen another).
        if (hasTables(db)) throw new StoreUnusableError(`${filePath} is a SQLite database but not a logbatch store`);
        if (options.mustExist === true) throw new StoreUnusableError(`${filePath} is not a logbatch store (an empty SQLite database)`);
        db.pragma('journal_mode = WAL');
      }
      db.pragma('synchronous = NORMAL');
      db.pragma('temp_store = MEMORY');
      migrate(db, filePath);
    } catch (error) {
      db.close();
      throw unusable(filePath, error);
    }
    return new SqliteStore(filePath, db, false);
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `work` in a write transaction taken at once (BEGIN IMMEDIATE), waiting for other writers. */
  write<T>(work: () => T): T {
    if (this.readOnly) throw new StoreUnusableError(`store ${this.filePath} is open read-only: this command does not write to it`);
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
    if (current === 0 && hasTables(db)) throw new StoreUnusableError(`${filePath} is a SQLite database but not a logbatch store`);
    for (let version = current; version < SCHEMA_VERSION; version++) db.exec(SCHEMA_MIGRATIONS[version]);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

function hasTables(db: Database.Database): boolean {
  const row = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
  return row.n > 0;
}

/** The file's schema version, refusing one newer than this logbatch knows (before anything is written). */
function assertKnownVersion(db: Database.Database, filePath: string): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StoreUnusableError(`store ${filePath} has schema version ${version}, newer than this logbatch knows (${SCHEMA_VERSION}): upgrade logbatch`);
  }
  return version;
}

/** SQLite's first 16 bytes; bytes 18 and 19 are 2 in WAL mode, 1 in rollback-journal mode. */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0');
const HEADER_BYTES = 100;

/**
 * A connection that only reads, to a store at this schema version, which leaves nothing beside the store. SQLite reads
 * a WAL-mode file through -wal and -shm files beside it, and creates them when they are missing (nobody has the store
 * open: the last connection to close removes them). A reader who could write the store anyway opens it as a writer
 * would, with writes switched off (`query_only`): the files it creates take the store's mode (root's go to its owner)
 * and go when it closes, as any connection's do. A reader who cannot write it opens it read-only, which never removes
 * them: created by that user they would stay, belong to that user, and make the owner's next write fail (a sticky
 * shared folder does not even let the owner remove them); in a folder the reader cannot write, SQLite cannot create
 * them and refuses to read at all. So when they are missing, that reader (or one SQLite cannot create them for) reads
 * a private copy of the file instead, taken while nobody wrote it and removed as soon as it is open.
 */
function openReadOnly(filePath: string, resolved: string, busyTimeout: string): Database.Database {
  const header = readHeader(filePath, resolved);
  if (header.length < HEADER_BYTES || !header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    throw new StoreUnusableError(`${filePath} is not a logbatch store (not a SQLite database)`);
  }
  const walFileMissing = (header[18] === 2 || header[19] === 2) && !existsSync(`${resolved}-wal`);
  const connect = (open: () => Database.Database): Database.Database | undefined => {
    const db = attempt(filePath, open);
    try {
      db.pragma(busyTimeout);
      db.pragma('user_version', { simple: true });
      return db;
    } catch (error) {
      db.close();
      const code = (error as { code?: string }).code;
      if (walFileMissing && (code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_CANTOPEN')) return undefined;
      throw unusable(filePath, error);
    }
  };
  let db: Database.Database | undefined;
  if (isWritable(resolved)) {
    db = connect(() => {
      const writer = new Database(resolved, { fileMustExist: true });
      writer.pragma('query_only = ON');
      return writer;
    });
  } else if (!walFileMissing) {
    db = connect(() => new Database(resolved, { readonly: true, fileMustExist: true }));
  }
  db ??= openCopy(filePath, resolved);
  try {
    db.pragma('temp_store = MEMORY');
    const version = assertKnownVersion(db, filePath);
    if (version === 0) {
      if (hasTables(db)) throw new StoreUnusableError(`${filePath} is a SQLite database but not a logbatch store`);
      throw new StoreUnusableError(`${filePath} is not a logbatch store (an empty SQLite database)`);
    }
    if (version < SCHEMA_VERSION) {
      throw new StoreUnusableError(
        `store ${filePath} has schema version ${version}, older than this logbatch needs (${SCHEMA_VERSION}): ` +
          `a command that writes to it upgrades it (\`logbatch run FILE --store ${shellWord(filePath)}\`)`,
      );
    }
  } catch (error) {
    db.close();
    throw unusable(filePath, error);
  }
  return db;
}

/**
 * A read-only connection to a private copy of a WAL-mode store that has no -wal file (so the file holds every
 * commit), switched to rollback-journal mode in its header so that reading it needs no file beside it. A copy during
 * which another process started writing (a -wal file appeared, or the file changed) is taken again.
 */
function openCopy(filePath: string, resolved: string): Database.Database {
  for (let tries = 0; tries < 3; tries++) {
    const folder = mkdtempSync(path.join(tmpdir(), 'logbatch-store-'));
    try {
      const copy = path.join(folder, 'store.db');
      const before = statSync(resolved);
      copyFileSync(resolved, copy);
      chmodSync(copy, 0o600);
      const after = statSync(resolved);
      if (existsSync(`${resolved}-wal`) || before.mtimeMs !== after.mtimeMs || before.size !== after.size || before.ino !== after.ino) continue;
      const descriptor = openSync(copy, 'r+');
      try {
        writeSync(descriptor, Buffer.from([1, 1]), 0, 2, 18);
      } finally {
        closeSync(descriptor);
      }
      return attempt(filePath, () => new Database(copy, { readonly: true, fileMustExist: true }));
    } catch (error) {
      throw unusable(filePath, error);
    } finally {
      // An open file stays readable once its name is gone: nothing is left behind, even if this process is killed.
      rmSync(folder, { recursive: true, force: true });
    }
  }
  throw new StoreUnusableError(`store ${filePath}: it changed while it was read (another process writes it): try again`);
}

/** Refuses, before anything is written, a store file this user cannot write or whose -wal, -shm or journal it cannot. */
function assertWritable(filePath: string, resolved: string): void {
  if (!isWritable(resolved)) {
    throw new StoreUnusableError(`store ${filePath} is read-only for this user: only commands that read it (query, batches, status, dlq list) can open it`);
  }
  for (const suffix of ['-wal', '-shm', '-journal']) {
    if (existsSync(`${resolved}${suffix}`) && !isWritable(`${resolved}${suffix}`)) {
      throw new StoreUnusableError(`store ${filePath}: ${filePath}${suffix} is read-only for this user (another user's? it can go once nobody has the store open)`);
    }
  }
  const directory = path.dirname(resolved);
  if (!isWritable(directory) && !(existsSync(`${resolved}-wal`) && existsSync(`${resolved}-shm`))) {
    throw new StoreUnusableError(`store ${filePath}: cannot write in ${directory}, where SQLite keeps its journal beside the store`);
  }
}

function readHeader(filePath: string, resolved: string): Buffer {
  let descriptor: number;
  try {
    descriptor = openSync(resolved, 'r');
  } catch (error) {
    throw new StoreUnusableError(`store ${filePath}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    return header.subarray(0, readSync(descriptor, header, 0, HEADER_BYTES, 0));
  } finally {
    closeSync(descriptor);
  }
}

function attempt<T>(filePath: string, open: () => T): T {
  try {
    return open();
  } catch (error) {
    throw new StoreUnusableError(`store ${filePath}: ${(error as Error).message}`, { cause: error });
  }
}

/** The error to report for a store that could not be opened: one line naming the file. */
function unusable(filePath: string, error: unknown): StoreUnusableError {
  if (error instanceof StoreUnusableError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return new StoreUnusableError(`${filePath} is not a logbatch store (not a SQLite database)`, { cause: error });
  return new StoreUnusableError(`store ${filePath}: ${(error as Error).message}`, { cause: error });
}

function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function isWritable(file: string): boolean {
  try {
    accessSync(file, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Quotes a path for a shell command line only when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
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
