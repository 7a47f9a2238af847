import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SqliteEntryQuery } from '../../../src/adapters/sqlite/sqlite-entry-query.js';
import { SCHEMA_MIGRATIONS, SCHEMA_VERSION } from '../../../src/adapters/sqlite/sqlite-schema.js';
import { SqliteStore, StoreUnusableError } from '../../../src/adapters/sqlite/sqlite-store.js';

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
});
