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
import { matchesEntryFilter } from '../../../src/application/entry-filter.js';
import type { LogEntry } from '../../../src/domain/log-entry.js';

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

  describe('query --where against matchesEntryFilter', () => {
    /** Doubles whose shortest text SQLite reads back as another number: 2^53..2^63 in float notation, and others. */
    function trickyValues(): unknown[] {
      const values: unknown[] = [
        1.23456789012345e17, 123456789012344992, 2 ** 53, 2 ** 53 - 1, 2 ** 53 + 1, 2 ** 53 + 2, -(2 ** 53) - 2, 2 ** 63, 2 ** 63 - 1024, -(2 ** 63),
        2 ** 64, 1e20, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, -0, 0, 1.5, 1.1, 0.1 + 0.2, 500, '500', '500.0', '1.50', '1e21', '1e+21', '-0',
        '123456789012345000', 'true', 'false', 'null', '', ' 500', true, false, null, [500], { n: 500 }, [], {},
      ];
      // 2^53..2^63, where a double's text is an integer that SQLite reads exactly but JavaScript rounds (27 of 20,000 in a random check).
      let seed = 7;
      const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
      for (let index = 0; index < 120; index++) values.push(Number(`${(1 + random() * 8).toFixed(14)}e${16 + Math.floor(random() * 3)}`) * (index % 5 === 0 ? -1 : 1));
      return values;
    }

    it('finds and counts exactly the entries matchesEntryFilter matches, for each value as its text and as tricky texts', async () => {
      const store = SqliteStore.open(path.join(directory, 'tricky-where.db'));
      try {
        const repository = new SqliteLogRepository(store);
        const values = trickyValues();
        await repository.createBatch({ batchId: 't', source: { bucket: 'local', key: '/t.log', etag: 't' }, createdAt: '2026-12-01T00:00:00.000Z' });
        await repository.putEntries(
          values.map((value, index) => ({ batchId: 't', lineNumber: index + 1, observedTimestamp: '2026-12-01T00:00:00.000Z', body: 'b', attributes: { v: value } as Attributes, format: 'json' })),
        );
        // As `--out` writes and reads them back: the reference is the memory backend's rule on those entries.
        const stored: LogEntry[] = [];
        for (let page = await repository.listEntries('t'); ; page = await repository.listEntries('t', { cursor: page.cursor })) {
          stored.push(...page.items);
          if (page.cursor === undefined) break;
        }
        const texts = new Set<string>(['-0', '0', '1.50', '1.5', '1e21', '1e+21', '1.0e+21', 'true', 'false', 'null', '', '500', '500.0', '[500]', '{"n":500}', '[]', '{}']);
        for (const value of values) {
          texts.add(String(value));
          texts.add(JSON.stringify(value));
          if (typeof value === 'number') for (const near of [value * (1 + Number.EPSILON), value * (1 - Number.EPSILON), value + 8, value - 8]) texts.add(String(near));
        }
        const query = new SqliteEntryQuery(store);
        const mismatches: string[] = [];
        for (const text of texts) {
          const filter = { batchId: 't', where: [{ key: 'v', value: text }] };
          const expected = stored.filter((entry) => matchesEntryFilter(entry, filter)).map((entry) => entry.lineNumber);
          const found = (await query.find(filter, { limit: 1000 })).items.map((entry) => entry.lineNumber);
          const counted = (await query.count({ where: filter.where })).total;
          if (JSON.stringify(found) !== JSON.stringify(expected) || counted !== expected.length) mismatches.push(`${text}: found ${found}, counted ${counted}, expected ${expected}`);
        }
        expect(mismatches.join('\n')).to.equal('');
        // The case found by hand: 1.23456789012345e17 is stored as 123456789012345000, and --where of that text finds it
        // (with 123456789012344992, the same double, and the string).
        expect((await query.find({ where: [{ key: 'v', value: '123456789012345000' }] }, { limit: 10 })).items.map((entry) => entry.lineNumber)).to.deep.equal([1, 2, 29]);
      } finally {
        store.close();
      }
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

    it('refuses a cursor whose contents are not what the store wrote: wrong types, counts, ranges or spelling', async () => {
      const store = SqliteStore.open(path.join(directory, 'tampered.db'));
      try {
        const repository = new SqliteLogRepository(store);
        await repository.createBatch({ batchId: 'c', source: { bucket: 'local', key: '/c.log', etag: 'c' }, createdAt: '2026-12-01T00:00:00.000Z' });
        await repository.putEntries(
          Array.from({ length: 30 }, (_, index) => ({ batchId: 'c', lineNumber: index + 1, timestamp: `2026-12-01T00:00:${String(index).padStart(2, '0')}.000Z`, observedTimestamp: '2026-12-01T00:00:00.000Z', body: `line ${index + 1}`, attributes: {}, format: 'text' })),
        );
        const entries = new SqliteEntryQuery(store);
        const encode = (text: string) => Buffer.from(text).toString('base64url');
        const seq = store.seqOf('c')!;
        const acrossBatches = await entries.find({}, { limit: 10 });
        const inBatch = await entries.find({ batchId: 'c' }, { limit: 10 });
        // What the store writes, read again: accepted.
        expect((await entries.find({}, { limit: 10, cursor: acrossBatches.cursor })).items[0].lineNumber).to.equal(11);
        expect((await entries.find({ batchId: 'c' }, { limit: 10, cursor: inBatch.cursor })).items[0].lineNumber).to.equal(11);

        const across = ['[true,1]', '[{},1]', '[1,2]', '["x"]', '["x",1,2]', '[]', '{}', 'null', '"x"', '1', `["x",${seq * 2 ** 32 + 1.5}]`, `["x",${2 ** 53}]`, '["x",-1]', '["x",5]', `["x",${seq * 2 ** 32}]`, `["x","${seq * 2 ** 32 + 1}"]`, `["x", ${seq * 2 ** 32 + 1}]`, `["x",${seq * 2 ** 32 + 1}.0]`, 'not json'];
        const within = ['[true,1]', `[${seq * 2 ** 32 + 1}]`, 'true', '"1"', `${seq * 2 ** 32}`, `${(seq + 1) * 2 ** 32}`, `${seq * 2 ** 32 + 1.5}`, `${seq * 2 ** 32 + 1}.0`, ` ${seq * 2 ** 32 + 1}`, `${seq * 2 ** 32 + 1}e0`];
        const refusals = await Promise.all([
          ...across.map((text) => entries.find({}, { limit: 10, cursor: encode(text) }).then(() => `${text}: accepted`, (error: unknown) => (error as { code?: string }).code ?? String(error))),
          ...within.map((text) => entries.find({ batchId: 'c' }, { limit: 10, cursor: encode(text) }).then(() => `--batch ${text}: accepted`, (error: unknown) => (error as { code?: string }).code ?? String(error))),
          // Base64 that decodes to what the store wrote but is not how it spells it.
          entries.find({}, { limit: 10, cursor: `${acrossBatches.cursor!}A` }).then(() => 'padded: accepted', (error: unknown) => (error as { code?: string }).code ?? String(error)),
        ]);
        expect(refusals).to.deep.equal(refusals.map(() => 'UNKNOWN_CURSOR'));

        // Through the use case, as `logbatch query --cursor` sees it: a usage error naming --cursor.
        const query = new QueryEntries(entries);
        for (const cursor of ['W3RydWUsMV0', 'W3t9LDFd', 'WzEsMl0', 'WyJ4Il0']) {
          const refused = await query.find({ limit: 10, cursor }).catch((error: unknown) => error);
          expect(refused, cursor).to.be.instanceOf(InvalidQueryError).and.have.property('message').that.matches(/--cursor/);
        }
      } finally {
        store.close();
      }
    });
  });
});
