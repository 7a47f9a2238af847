import type { Attributes } from '../../../src/domain/log-entry.js';
import { InMemoryLogRepository } from '../../../src/adapters/memory/in-memory-log-repository.js';
import { RepositoryEntryQuery } from '../../../src/application/repository-entry-query.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SqliteEntryHistogram } from '../../../src/adapters/sqlite/sqlite-entry-histogram.js';
import { SqliteEntryQuery } from '../../../src/adapters/sqlite/sqlite-entry-query.js';
import { SqliteLogRepository } from '../../../src/adapters/sqlite/sqlite-log-repository.js';
import { SCHEMA_MIGRATIONS, SCHEMA_VERSION } from '../../../src/adapters/sqlite/sqlite-schema.js';
import { SqliteStore, StoreUnusableError } from '../../../src/adapters/sqlite/sqlite-store.js';
import { BatchHistogram } from '../../../src/application/batch-histogram.use-case.js';
import { InvalidQueryError, QueryEntries } from '../../../src/application/query-entries.use-case.js';
import { RepositoryEntryHistogram } from '../../../src/application/repository-entry-histogram.js';

describe('SqliteStore', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-store-open-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe('open', () => {
    it('migrates a version 1 store to the current schema, indexing existing bodies for grep', async () => {
      const file = path.join(directory, 'v1.db');
      const v1 = new Database(file);
      v1.exec(SCHEMA_MIGRATIONS[0]);
      v1.exec(`INSERT INTO batches (batch_id, source_bucket, source_key, source_etag, status, created_at, updated_at)
               VALUES ('b1', 'local', '/x.log', 'e', 'COMPLETED', '2026-11-26T00:00:00.000Z', '2026-11-26T00:00:00.000Z')`);
      v1.exec(`INSERT INTO entries (id, line_number, time, observed_time, body, attributes, format)
               VALUES (${2 ** 32 + 7}, 7, '2026-11-26T09:00:00.000Z', '2026-11-26T09:00:01.000Z', 'payment provider timeout', '{"a":1}', 'text')`);
      v1.pragma('user_version = 1');
      v1.close();

      const store = SqliteStore.open(file);
      const found = await new SqliteEntryQuery(store).find({ grep: 'provider time' }, { limit: 10 });
      const version = store.schemaVersion;
      store.close();

      expect(version).to.equal(SCHEMA_VERSION);
      expect(found.items.map((entry) => [entry.batchId, entry.lineNumber, entry.attributes])).to.deep.equal([['b1', 7, { a: 1 }]]);
    });

    it('migrates a version 3 store with entries, building the histogram rollup from the rows it holds', async () => {
      const file = path.join(directory, 'v3.db');
      const v3 = new Database(file);
      for (const migration of SCHEMA_MIGRATIONS.slice(0, 3)) v3.exec(migration);
      const insertBatch = v3.prepare(`INSERT INTO batches (batch_id, source_bucket, source_key, source_etag, status, created_at, updated_at)
                                      VALUES (?, 'local', ?, 'e', 'COMPLETED', '2026-11-26T00:00:00.000Z', '2026-11-26T00:00:00.000Z')`);
      const insertEntry = v3.prepare(`INSERT INTO entries (id, line_number, time, observed_time, severity_number, body, attributes, format)
                                      VALUES (?, ?, ?, '2026-11-26T00:00:00.000Z', ?, ?, '{}', 'text')`);
      const severities = [null, 9, 13, 17, 21];
      v3.transaction(() => {
        for (const [seq, batchId] of [[1, 'b1'], [2, 'b2']] as const) {
          insertBatch.run(batchId, `/${batchId}.log`);
          for (let line = 1; line <= 600; line++) {
            // Seconds before 1970 as well, in b2, and some entries without a time.
            const ms = (seq === 1 ? Date.parse('2026-11-26T08:59:30.000Z') : -90 * 60_000) + line * 17_321;
            insertEntry.run(seq * 2 ** 32 + line, line, line % 50 === 0 ? '' : new Date(ms).toISOString(), severities[line % 5], `line ${line}`);
          }
        }
      })();
      v3.pragma('user_version = 3');
      v3.close();

      const store = SqliteStore.open(file);
      try {
        const repository = new SqliteLogRepository(store);
        for (const batchId of ['b1', 'b2']) {
          for (const buckets of [5, 60]) {
            const fromRollup = await new BatchHistogram(repository, new SqliteEntryHistogram(store)).of(batchId, { buckets });
            const fromEntries = await new BatchHistogram(repository, new RepositoryEntryHistogram(repository)).of(batchId, { buckets });

            expect(fromRollup, `${batchId}, ${buckets} buckets`).to.deep.equal(fromEntries);
            expect(fromRollup.total).to.equal(588);
          }
        }
        expect(await new SqliteEntryHistogram(store).countByMinute('b1')).to.have.length.above(100);
      } finally {
        store.close();
      }
    });

    it('refuses a store with a newer schema, a file that is not SQLite, another SQLite database and a missing directory', async () => {
      const newer = path.join(directory, 'newer.db');
      const db = new Database(newer);
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      db.close();
      const text = path.join(directory, 'text.db');
      await writeFile(text, 'just some text, not a database\n'.repeat(10));
      const foreign = path.join(directory, 'foreign.db');
      const other = new Database(foreign);
      other.exec('CREATE TABLE t (x)');
      other.close();

      const messages = [newer, text, foreign, path.join(directory, 'missing', 'x.db')].map((file) => {
        try {
          SqliteStore.open(file).close();
          return 'opened';
        } catch (error) {
          expect(error).to.be.instanceOf(StoreUnusableError);
          return (error as Error).message;
        }
      });

      expect(messages[0]).to.contain(`schema version ${SCHEMA_VERSION + 1}, newer than this logbatch knows (${SCHEMA_VERSION})`);
      expect(messages[1]).to.match(/is not a logbatch store \(not a SQLite database\)/);
      expect(messages[2]).to.match(/a SQLite database but not a logbatch store/);
      expect(messages[3]).to.match(/no directory/);
    });
  });

  describe('two processes on one store', () => {
    it('writes to the batch as it is now when another process has replaced it (run --reprocess)', async () => {
      const file = path.join(directory, 'replaced.db');
      const [first, second] = [SqliteStore.open(file), SqliteStore.open(file)];
      const [a, b] = [new SqliteLogRepository(first), new SqliteLogRepository(second)];
      const batch = { batchId: 'r', source: { bucket: 'local', key: '/r.log', etag: 'r' }, createdAt: '2026-12-01T00:00:00.000Z' };
      const entry = (lineNumber: number) => ({ batchId: 'r', lineNumber, observedTimestamp: '2026-12-01T00:00:00.000Z', body: `line ${lineNumber}`, attributes: {}, format: 'text' });
      const stats = { lines: 1, entries: 1, unparsed: 0, blank: 0, continuation: 0, truncated: 0, filtered: 0, redacted: 0 };
      await a.createBatch(batch);
      await a.putEntries([entry(1)]);

      b.deleteBatch('r');
      await b.createBatch(batch);
      await a.putEntries([entry(2)]);
      const counted = await a.recordChunkProcessed('r', 0, stats);
      const again = await b.recordChunkProcessed('r', 0, stats);

      expect(first.db.prepare('SELECT count(*) FROM entries').pluck().get()).to.equal(1);
      expect((await b.listEntries('r')).items.map((stored) => stored.lineNumber)).to.deep.equal([2]);
      expect([counted.applied, again.applied]).to.deep.equal([true, false]);
      expect((await b.getBatch('r'))?.processedChunks).to.equal(1);
      first.close();
      second.close();
    });
  });

  describe('text SQLite cannot hold as it is', () => {
    it('stores a lone surrogate as one U+FFFD in the body, raw and parse error, and finds text after a NUL', async () => {
      const store = SqliteStore.open(path.join(directory, 'surrogates.db'));
      const repository = new SqliteLogRepository(store);
      await repository.createBatch({ batchId: 's', source: { bucket: 'local', key: '/s.log', etag: 's' }, createdAt: '2026-12-01T00:00:00.000Z' });
      await repository.putEntries([
        { batchId: 's', lineNumber: 1, observedTimestamp: '2026-12-01T00:00:00.000Z', body: 'lone \ud800 surrogate, pair \ud83d\ude00', raw: '{"msg":"\udc00"}', parseError: 'bad \ud800', attributes: { m: '\ud800' }, format: 'json' },
        { batchId: 's', lineNumber: 2, observedTimestamp: '2026-12-01T00:00:00.000Z', body: 'nul \u0000 after nul', attributes: {}, format: 'json' },
      ]);

      const [first, second] = (await repository.listEntries('s')).items;
      const found = await new QueryEntries(new SqliteEntryQuery(store)).find({ batch: 's', grep: 'after nul', limit: 10 });
      store.close();

      expect(first).to.deep.include({ body: 'lone \ufffd surrogate, pair \ud83d\ude00', raw: '{"msg":"\ufffd"}', parseError: 'bad \ufffd', attributes: { m: '\ud800' } });
      expect(second.body).to.equal('nul \u0000 after nul');
      expect(found.items.map((entry) => entry.lineNumber)).to.deep.equal([2]);
    });
  });

  describe('query --where', () => {
    it('matches what the memory backend matches: numbers as JavaScript writes them, keys with a backslash or quote', async () => {
      const store = SqliteStore.open(path.join(directory, 'where.db'));
      const repository = new SqliteLogRepository(store);
      const memory = new InMemoryLogRepository();
      const attributes: Attributes[] = [{ n: 1e21, 'a\\b': 'y', 'a"q': 'x' }, { n: 1e-7, ok: true }, { n: 500, s: '500' }, { n: -0 }, { n: 2.5 }];
      for (const target of [repository, memory]) {
        await target.createBatch({ batchId: 'w', source: { bucket: 'local', key: '/w.log', etag: 'w' }, createdAt: '2026-12-01T00:00:00.000Z' });
        await target.putEntries(attributes.map((values, index) => ({ batchId: 'w', lineNumber: index + 1, observedTimestamp: '2026-12-01T00:00:00.000Z', body: 'b', attributes: values, format: 'json' })));
      }
      const conditions = ['n=1e+21', 'n=1.0e+21', 'n=1000000000000000000000', 'n=1e-7', 'a\\b=y', 'a"q=x', 'n=500', 'n=500.0', 's=500', 'ok=true', 'n=0', 'n=-0', 'n=2.5', 'n=2.50'];
      const lines = async (query: QueryEntries, where: string) => (await query.find({ batch: 'w', where: [where], limit: 10 })).items.map((entry) => entry.lineNumber);

      for (const where of conditions) {
        expect(await lines(new QueryEntries(new SqliteEntryQuery(store)), where), where).to.deep.equal(await lines(new QueryEntries(new RepositoryEntryQuery(memory)), where));
      }
      expect(await lines(new QueryEntries(new SqliteEntryQuery(store)), 'n=1e+21')).to.deep.equal([1]);
      expect(await lines(new QueryEntries(new SqliteEntryQuery(store)), 'a"q=x')).to.deep.equal([1]);
      store.close();
    });
  });

  describe('query cursors', () => {
    it('refuses, as a usage error, a --batch cursor printed for another batch', async () => {
      const store = SqliteStore.open(path.join(directory, 'cursors.db'));
      const repository = new SqliteLogRepository(store);
      const batchIds = ['batch-a', 'batch-b'];
      for (const batchId of batchIds) {
        await repository.createBatch({ batchId, source: { bucket: 'local', key: `/${batchId}.log`, etag: batchId }, createdAt: '2026-12-01T00:00:00.000Z' });
        await repository.putEntries(
          Array.from({ length: 30 }, (_, index) => ({ batchId, lineNumber: index + 1, observedTimestamp: '2026-12-01T00:00:00.000Z', body: `line ${index + 1}`, attributes: {}, format: 'text' })),
        );
      }
      const query = new QueryEntries(new SqliteEntryQuery(store));

      const first = await query.find({ batch: 'batch-a', limit: 10 });
      const next = await query.find({ batch: 'batch-a', limit: 10, cursor: first.cursor });
      const reused = await query.find({ batch: 'batch-b', limit: 10, cursor: first.cursor }).catch((error: unknown) => error);
      store.close();

      expect(next.items.map((entry) => entry.lineNumber)).to.deep.equal([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
      expect(reused).to.be.instanceOf(InvalidQueryError).and.have.property('message').that.matches(/--cursor/);
    });
  });
});
