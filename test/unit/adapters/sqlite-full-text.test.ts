import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SqliteEntryQuery } from '../../../src/adapters/sqlite/sqlite-entry-query.js';
import { SqliteLogRepository } from '../../../src/adapters/sqlite/sqlite-log-repository.js';
import { SqliteStore } from '../../../src/adapters/sqlite/sqlite-store.js';
import { type Batch, type ChunkStats, decideCompletion } from '../../../src/domain/batch.js';
import type { LogEntry } from '../../../src/domain/log-entry.js';
import { entryFactory, newBatchFactory } from '../../helpers/factories.js';

const stats = (lines: number): ChunkStats => ({ lines, entries: lines, unparsed: 0, blank: 0, continuation: 0, truncated: 0, filtered: 0, redacted: 0 });

describe('SqliteLogRepository', () => {
  let directory: string;
  let store: SqliteStore;
  let repository: SqliteLogRepository;
  let query: SqliteEntryQuery;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-fts-'));
    store = SqliteStore.open(path.join(directory, 'store.db'));
    repository = new SqliteLogRepository(store);
    query = new SqliteEntryQuery(store);
  });

  afterEach(async () => {
    store.close();
    await rm(directory, { recursive: true, force: true });
  });

  /** Entries with a rare body at every 97th line, the rest common. */
  const entries = (batchId: string, from: number, count: number): LogEntry[] =>
    Array.from({ length: count }, (_, index) => {
      const lineNumber = from + index;
      return entryFactory({ batchId, lineNumber, body: lineNumber % 97 === 0 ? `disk quota exceeded on volume ${lineNumber}` : `request served ${lineNumber}` });
    });
  const indexed = (text: string) => (store.db.prepare('SELECT count(*) FROM entries_fts WHERE body GLOB ?').pluck().get(`*${text}*`) as number);
  /** FTS5 compares the index with the entries table: a row indexed twice, or missing, fails this. */
  const integrityCheck = () => store.db.prepare("INSERT INTO entries_fts (entries_fts) VALUES ('integrity-check')").run();
  const grep = async (text: string, batchId?: string) =>
    (await query.find({ grep: text, ...(batchId === undefined ? {} : { batchId }) }, { limit: 1_000 })).items.map((entry) => `${entry.batchId}:${entry.lineNumber}`);
  const complete = async (batchId: string, chunks: number) => {
    await repository.finishSplitting(batchId, { totalLines: chunks * 100, totalChunks: chunks, format: 'text' });
    let batch: Batch | undefined;
    for (let chunk = 0; chunk < chunks; chunk++) batch = (await repository.recordChunkProcessed(batchId, chunk, stats(100))).batch;
    expect(await repository.completeBatch(batch!, decideCompletion(batch!)!)).to.equal(true);
  };

  describe('putEntries and completeBatch', () => {
    it('leaves bodies out of the full-text index until the batch is final, and --grep finds them meanwhile by scanning', async () => {
      const running = newBatchFactory();
      const done = newBatchFactory();
      await repository.createBatch(running);
      await repository.createBatch(done);
      await repository.putEntries(entries(running.batchId, 1, 300));
      await repository.putEntries(entries(done.batchId, 1, 300));
      // A rewritten entry of a batch not yet indexed has nothing in the index to take out.
      await repository.putEntries([entryFactory({ batchId: running.batchId, lineNumber: 2, body: 'disk quota exceeded, rewritten' })]);

      const before = { indexed: indexed('quota exceeded'), all: await grep('quota exceeded'), one: await grep('quota exceeded', running.batchId) };
      await complete(done.batchId, 3);
      const after = { indexed: indexed('quota exceeded'), all: await grep('quota exceeded'), one: await grep('quota exceeded', done.batchId) };
      await complete(running.batchId, 3);

      expect(before.indexed).to.equal(0);
      expect(before.one).to.deep.equal([2, 97, 194, 291].map((line) => `${running.batchId}:${line}`));
      expect(before.all).to.have.members([...before.one, ...[97, 194, 291].map((line) => `${done.batchId}:${line}`)]);
      expect(after.indexed).to.equal(3);
      expect(after.one).to.deep.equal([97, 194, 291].map((line) => `${done.batchId}:${line}`));
      expect(after.all).to.have.members(before.all);
      expect(indexed('quota exceeded')).to.equal(7);
      expect(integrityCheck).not.to.throw();
    });

    it('finds rare text through the index after a NUL character, and text with quotes and glob characters, exactly', async () => {
      const batch = newBatchFactory();
      await repository.createBatch(batch);
      await repository.putEntries(entries(batch.batchId, 1, 300));
      const odd = ['nul \u0000 after nul marker', 'say "quoted" *star* [7] ?', 'trigrams apart: aft nul and ul a'];
      await repository.putEntries(odd.map((body, index) => entryFactory({ batchId: batch.batchId, lineNumber: 301 + index, body })));
      await complete(batch.batchId, 3);

      expect(await grep('after nul')).to.deep.equal([`${batch.batchId}:301`]);
      expect(await grep('"quoted" *star* [7]')).to.deep.equal([`${batch.batchId}:302`]);
      // Line 303 holds the trigrams of `nul aft` in another order: a candidate of the index, not a match.
      expect(await grep('nul aft')).to.deep.equal([]);
      expect(await grep('nul \u0000 aft')).to.deep.equal([`${batch.batchId}:301`]);
    });

    it('indexes rows written to a final batch as they are written, and keeps the index in step with rewrites and deletes', async () => {
      const done = newBatchFactory();
      const running = newBatchFactory();
      await repository.createBatch(done);
      await repository.createBatch(running);
      await repository.putEntries(entries(done.batchId, 1, 200));
      await repository.putEntries(entries(running.batchId, 1, 200));
      await complete(done.batchId, 2);

      // A redriven chunk after completion, then a rewrite of an indexed row, then --reprocess of the unfinished batch.
      await repository.putEntries(entries(done.batchId, 201, 100));
      await repository.putEntries([entryFactory({ batchId: done.batchId, lineNumber: 97, body: 'request served again' })]);
      repository.deleteBatch(running.batchId);

      expect(await grep('quota exceeded')).to.deep.equal([194, 291].map((line) => `${done.batchId}:${line}`));
      expect(indexed('quota exceeded')).to.equal(2);
      expect(integrityCheck).not.to.throw();
    });
  });
});
