/**
 * The SQLite store's schema, one migration per version. `PRAGMA user_version` holds the version a file is at;
 * opening a file runs the migrations it lacks, in order, inside one write transaction, so two processes opening a
 * new store at once migrate it once. Never edit a released migration: add the next one.
 */
export const SCHEMA_MIGRATIONS: readonly string[] = [
  // v1: batches, chunk markers, entries with their indexes, dead letters.
  `
  CREATE TABLE batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id TEXT NOT NULL UNIQUE,
    source_bucket TEXT NOT NULL,
    source_key TEXT NOT NULL,
    source_etag TEXT NOT NULL,
    source_size INTEGER,
    format TEXT,
    status TEXT NOT NULL,
    failure_code TEXT,
    reason TEXT,
    total_lines INTEGER,
    total_chunks INTEGER,
    processed_chunks INTEGER NOT NULL DEFAULT 0,
    lines INTEGER NOT NULL DEFAULT 0,
    entries INTEGER NOT NULL DEFAULT 0,
    unparsed INTEGER NOT NULL DEFAULT 0,
    blank INTEGER NOT NULL DEFAULT 0,
    continuation INTEGER NOT NULL DEFAULT 0,
    truncated INTEGER NOT NULL DEFAULT 0,
    dead_lettered_chunks TEXT NOT NULL DEFAULT '[]',
    checkpoint TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT
  );
  CREATE INDEX batches_by_created ON batches (created_at DESC, batch_id);

  CREATE TABLE chunk_markers (
    batch_seq INTEGER NOT NULL,
    chunk INTEGER NOT NULL,
    PRIMARY KEY (batch_seq, chunk)
  ) WITHOUT ROWID;

  -- id = batch seq * 2^32 + line number: the rowid is the (batch, line) key and its order is line order.
  CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    line_number INTEGER NOT NULL,
    time TEXT NOT NULL,
    observed_time TEXT NOT NULL,
    severity_text TEXT,
    severity_number INTEGER,
    body TEXT NOT NULL,
    attributes TEXT NOT NULL,
    format TEXT NOT NULL,
    parse_error TEXT,
    truncated INTEGER,
    original_length INTEGER,
    line_count INTEGER
  );
  CREATE INDEX entries_by_time ON entries (time);
  CREATE INDEX entries_severe_by_time ON entries (time, severity_number) WHERE severity_number >= 13;

  CREATE VIEW entry_rows AS
    SELECT b.batch_id, b.source_key, e.* FROM entries e JOIN batches b ON b.seq = (e.id >> 32);

  CREATE TABLE dead_letters (
    position INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    reason TEXT NOT NULL,
    receive_count INTEGER,
    dead_lettered_at TEXT NOT NULL
  );
  `,
  // v2: a full-text index over bodies for --grep (trigram: any substring of 3+ characters, case as written).
  // New rows are indexed by the repository's own insert, in the same transaction: an AFTER INSERT trigger into FTS5
  // measured 3-4x slower. Updates and deletes (rare: a redelivered entry, --reprocess) keep the index by trigger.
  `
  CREATE VIRTUAL TABLE entries_fts USING fts5 (
    body, content = 'entries', content_rowid = 'id', tokenize = 'trigram case_sensitive 1', detail = none
  );
  CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
    INSERT INTO entries_fts (entries_fts, rowid, body) VALUES ('delete', old.id, old.body);
  END;
  CREATE TRIGGER entries_fts_update AFTER UPDATE OF body ON entries BEGIN
    INSERT INTO entries_fts (entries_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO entries_fts (rowid, body) VALUES (new.id, new.body);
  END;
  INSERT INTO entries_fts (entries_fts) VALUES ('rebuild');
  `,
  // v3 (issue 14): lines a filter dropped and entries stored with redactions, per batch; each entry's redaction counts.
  `
  ALTER TABLE batches ADD COLUMN filtered INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE batches ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE entries ADD COLUMN redactions TEXT;
  `,
  // v4 (issue 11): the event's raw text when it differs from the body, for the entry page.
  `
  ALTER TABLE entries ADD COLUMN raw TEXT;
  `,
  // v5 (issue 11): the histogram's rollup, entries per (batch, minute, level), kept by putEntries in the same
  // transaction as the rows; level is the histogram's stack (0 FATAL, 1 ERROR, 2 WARN, 3 the rest and no severity),
  // minute is floor(epoch seconds / 60). Built here from the rows a store already holds.
  `
  CREATE TABLE entry_minutes (
    batch_seq INTEGER NOT NULL,
    minute INTEGER NOT NULL,
    level INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    PRIMARY KEY (batch_seq, minute, level)
  ) WITHOUT ROWID;
  INSERT INTO entry_minutes (batch_seq, minute, level, entries)
    SELECT batch_seq, (seconds - ((seconds % 60) + 60) % 60) / 60, level, count(*) FROM (
      SELECT id >> 32 AS batch_seq, CAST(strftime('%s', time) AS INTEGER) AS seconds,
             CASE WHEN severity_number >= 21 THEN 0 WHEN severity_number >= 17 THEN 1 WHEN severity_number >= 13 THEN 2 ELSE 3 END AS level
      FROM entries WHERE time <> ''
    ) WHERE seconds IS NOT NULL
    GROUP BY 1, 2, 3;
  `,
  // v6: a batch's bodies go into the full-text index in one statement when it reaches a final status, rather than
  // row by row as they are written (fts_indexed 0 until then; --grep scans the rows of such batches). Rows written
  // to an indexed batch later (a redriven chunk) are indexed as they are written. Existing batches are indexed.
  // The triggers keep the index in step only for indexed batches: an unindexed row has nothing to take out.
  `
  ALTER TABLE batches ADD COLUMN fts_indexed INTEGER NOT NULL DEFAULT 1;
  DROP TRIGGER entries_fts_delete;
  DROP TRIGGER entries_fts_update;
  CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries
  WHEN (SELECT fts_indexed FROM batches WHERE seq = old.id >> 32) = 1 BEGIN
    INSERT INTO entries_fts (entries_fts, rowid, body) VALUES ('delete', old.id, old.body);
  END;
  CREATE TRIGGER entries_fts_update AFTER UPDATE OF body ON entries
  WHEN (SELECT fts_indexed FROM batches WHERE seq = old.id >> 32) = 1 BEGIN
    INSERT INTO entries_fts (entries_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO entries_fts (rowid, body) VALUES (new.id, new.body);
  END;
  `,
  // v7: a dead letter's batch (so --reprocess drops the old batch's letters), the worker settings it failed under
  // (filters and redaction, never a key: a redrive processes it the same way), and the redrive holding it. A redrive
  // claims letters and deletes each only once its chunk is processed or dead-lettered again.
  `
  ALTER TABLE dead_letters ADD COLUMN batch_id TEXT;
  ALTER TABLE dead_letters ADD COLUMN worker_settings TEXT;
  ALTER TABLE dead_letters ADD COLUMN claimed_by TEXT;
  ALTER TABLE dead_letters ADD COLUMN claimed_at TEXT;
  UPDATE dead_letters SET batch_id = (
    SELECT CASE WHEN json_valid(head) AND json_type(head, '$.batchId') = 'text' THEN json_extract(head, '$.batchId') END
    FROM (SELECT substr(body, 1, CASE instr(body, char(10)) WHEN 0 THEN length(body) ELSE instr(body, char(10)) - 1 END) AS head)
  );
  CREATE INDEX dead_letters_by_batch ON dead_letters (batch_id);
  `,
];

export const SCHEMA_VERSION = SCHEMA_MIGRATIONS.length;
