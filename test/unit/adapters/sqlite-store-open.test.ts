import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SqliteDeadLetterStore } from '../../../src/adapters/sqlite/sqlite-dead-letter-store.js';
import { SqliteEntryQuery } from '../../../src/adapters/sqlite/sqlite-entry-query.js';
import { SqliteLogRepository } from '../../../src/adapters/sqlite/sqlite-log-repository.js';
import { SCHEMA_MIGRATIONS, SCHEMA_VERSION } from '../../../src/adapters/sqlite/sqlite-schema.js';
import { SqliteStore, StoreUnusableError } from '../../../src/adapters/sqlite/sqlite-store.js';
import { BatchStatus } from '../../../src/domain/batch.js';
import { PROJECT_ROOT } from '../../helpers/cli.js';
import { journalMode, snapshotOf } from '../../helpers/store-files.js';

const AT = '2026-12-01T00:00:00.000Z';

/** A store with one completed batch of `lines` entries, closed (so, in WAL mode, without -wal and -shm files). */
async function makeStore(file: string, lines = 20): Promise<void> {
  const store = SqliteStore.open(file);
  const repository = new SqliteLogRepository(store);
  await repository.createBatch({ batchId: 'b', source: { bucket: 'local', key: '/b.log', etag: 'b' }, createdAt: AT });
  await repository.putEntries(
    Array.from({ length: lines }, (_, index) => ({ batchId: 'b', lineNumber: index + 1, timestamp: AT, observedTimestamp: AT, body: `line ${index + 1}`, attributes: { n: index }, format: 'json' })),
  );
  await repository.finishSplitting('b', { totalLines: lines, totalChunks: 1, format: 'json' });
  store.close();
}

/** The folder's names with each file's size and content hash: what "left as it was" compares. */


function refusal(open: () => SqliteStore): string {
  try {
    open().close();
    return 'opened';
  } catch (error) {
    expect(error).to.be.instanceOf(StoreUnusableError);
    return (error as Error).message;
  }
}

const isRoot = process.getuid?.() === 0;
/** The user the unprivileged checks run as when the tests run as root (whom file modes do not stop). */
const READER_UID = 65_534;
/** The other user owning a store in the shared folder (root only). */
const OWNER_UID = 4242;

/**
 * Opens a store in another process as a user whom file modes bind (this user, or, as root, `uid` through util-linux's
 * setpriv): `read` opens it read-only and counts its batches and entries, `write` opens it to write and adds a batch.
 * Prints `{ batches, entries }`, or `{ error }` with the message of a refusal.
 */
async function openAs(uid: number, mode: 'read' | 'write', file: string): Promise<{ batches?: number; entries?: number; error?: string }> {
  const script = `
    const [{ SqliteStore }, { SqliteLogRepository }, { SqliteEntryQuery }] = await Promise.all([
      import(${JSON.stringify(path.join(PROJECT_ROOT, 'src/adapters/sqlite/sqlite-store.ts'))}),
      import(${JSON.stringify(path.join(PROJECT_ROOT, 'src/adapters/sqlite/sqlite-log-repository.ts'))}),
      import(${JSON.stringify(path.join(PROJECT_ROOT, 'src/adapters/sqlite/sqlite-entry-query.ts'))}),
    ]);
    try {
      const store = SqliteStore.open(process.argv[2], { readOnly: process.argv[1] === 'read' });
      const repository = new SqliteLogRepository(store);
      if (process.argv[1] === 'write') await repository.createBatch({ batchId: 'w' + process.pid, source: { bucket: 'local', key: '/w.log', etag: 'w' }, createdAt: '${AT}' });
      const result = { batches: (await repository.listBatches()).length, entries: (await new SqliteEntryQuery(store).count({})).total };
      store.close();
      console.log(JSON.stringify(result));
    } catch (error) {
      console.log(JSON.stringify({ error: error.message }));
    }
  `;
  const command = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script, mode, file];
  if (isRoot) command.unshift('setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups');
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd: PROJECT_ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    // Root without setpriv cannot run these tests: that is an error to see, not a reason to skip them.
    child.on('error', (error) => reject(new Error(`cannot run ${command[0]} (${error.message}); as root these tests need util-linux's setpriv`)));
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { batches?: number; entries?: number; error?: string });
      } catch {
        reject(new Error(`exit ${code}: ${stdout}${stderr}`));
      }
    });
  });
}

describe('SqliteStore.open: read-only, and nothing changed before a file is known to be a store', function () {
  this.timeout(60_000);
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-store-access-'));
  });

  afterEach(async () => {
    await chmod(directory, 0o700);
    for (const name of await readdir(directory)) await chmod(path.join(directory, name), 0o700).catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
  });

  describe('read-only', () => {
    it('reads a store in rollback-journal mode and leaves its journal mode, bytes and folder as they were', async () => {
      const file = path.join(directory, 'rollback.db');
      await makeStore(file);
      const db = new Database(file);
      db.pragma('journal_mode = DELETE');
      db.close();
      const before = await snapshotOf(directory);

      const store = SqliteStore.open(file, { readOnly: true });
      const counted = await new SqliteEntryQuery(store).count({});
      const batches = await new SqliteLogRepository(store).listBatches();
      const deadLetters = new SqliteDeadLetterStore(store).count();
      store.close();

      expect([counted.total, batches.length, deadLetters]).to.deep.equal([20, 1, 0]);
      expect(journalMode(file)).to.equal('delete');
      expect(await snapshotOf(directory)).to.deep.equal(before);
    });

    it('reads a WAL store the user can write and leaves its bytes, journal mode and folder as they were', async () => {
      const file = path.join(directory, 'wal.db');
      await makeStore(file);
      const before = await snapshotOf(directory);

      const store = SqliteStore.open(file, { readOnly: true });
      const counted = await new SqliteEntryQuery(store).count({});
      const refused = (() => {
        try {
          store.db.exec('CREATE TABLE t (x)');
          return 'written';
        } catch (error) {
          return (error as { code?: string }).code;
        }
      })();
      store.close();

      expect(counted.total).to.equal(20);
      expect(refused).to.equal('SQLITE_READONLY');
      expect(await snapshotOf(directory)).to.deep.equal(before);
      expect(journalMode(file)).to.equal('wal');
    });

    it('refuses a store with an older schema in one line naming a command that writes, and does not migrate it', async () => {
      const file = path.join(directory, 'old.db');
      const db = new Database(file);
      for (const migration of SCHEMA_MIGRATIONS.slice(0, SCHEMA_VERSION - 1)) db.exec(migration);
      db.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
      db.close();
      const before = await snapshotOf(directory);

      const message = refusal(() => SqliteStore.open(file, { readOnly: true }));

      expect(message).to.equal(
        `store ${file} has schema version ${SCHEMA_VERSION - 1}, older than this logbatch needs (${SCHEMA_VERSION}): ` +
          `a command that writes to it upgrades it (\`logbatch run FILE --store ${file}\`)`,
      );
      expect(message).not.to.contain('\n');
      expect(await snapshotOf(directory)).to.deep.equal(before);
    });

    it('refuses an empty file, an empty SQLite database, another program\'s database, a text file and a missing file, changing none', async () => {
      const empty = path.join(directory, 'empty.db');
      await writeFile(empty, '');
      const emptySqlite = path.join(directory, 'empty-sqlite.db');
      const blank = new Database(emptySqlite);
      blank.exec('CREATE TABLE t (x); DROP TABLE t');
      blank.close();
      const foreign = path.join(directory, 'foreign.db');
      const other = new Database(foreign);
      other.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      other.close();
      const text = path.join(directory, 'text.db');
      await writeFile(text, 'just some text, not a database\n'.repeat(10));
      const missing = path.join(directory, 'missing.db');
      const before = await snapshotOf(directory);

      const messages = [empty, emptySqlite, foreign, text, missing].map((file) => refusal(() => SqliteStore.open(file, { readOnly: true })));

      expect(messages).to.deep.equal([
        `${empty} is not a logbatch store (an empty file)`,
        `${emptySqlite} is not a logbatch store (an empty SQLite database)`,
        `${foreign} is a SQLite database but not a logbatch store`,
        `${text} is not a logbatch store (not a SQLite database)`,
        `no store at ${missing} (create one with \`logbatch run FILE --store ${missing}\`)`,
      ]);
      expect(await snapshotOf(directory)).to.deep.equal(before);
      expect(journalMode(foreign)).to.equal('delete');
    });

    it('refuses writes in one line, and lists dead letters without recording them in their batches', async () => {
      const file = path.join(directory, 'letters.db');
      await makeStore(file);
      const writable = SqliteStore.open(file);
      new SqliteDeadLetterStore(writable).add({ messageId: 'm1', body: '{"v":2,"batchId":"b","chunk":0}\n', reason: 'worker gave up' });
      writable.close();
      const before = await snapshotOf(directory);

      const store = SqliteStore.open(file, { readOnly: true });
      const repository = new SqliteLogRepository(store);
      const refused = await repository.createBatch({ batchId: 'x', source: { bucket: 'local', key: '/x.log', etag: 'x' }, createdAt: AT }).catch((error: unknown) => error);
      const letters = new SqliteDeadLetterStore(store);
      const listed = letters.list();
      const recorded = await repository.recordChunkDeadLettered('b', 0);
      const batch = (await repository.getBatch('b'))!;
      const completed = await repository.completeBatch(batch, { status: BatchStatus.COMPLETED_WITH_ERRORS, reason: '1 chunk dead-lettered' });
      store.close();

      expect(refused).to.be.instanceOf(StoreUnusableError);
      expect((refused as Error).message).to.equal(`store ${file} is open read-only: this command does not write to it`);
      expect(listed.map((letter) => letter.messageId)).to.deep.equal(['m1']);
      expect(recorded?.deadLetteredChunks).to.deep.equal([]);
      expect(completed).to.equal(false);
      expect(await snapshotOf(directory)).to.deep.equal(before);
    });

    describe('as a user whom file modes bind', () => {
      it('reads a store the user cannot write, in a folder the user cannot write, creating nothing', async () => {
        const folder = path.join(directory, 'ro');
        await mkdir(folder);
        const file = path.join(folder, 'c.db');
        await makeStore(file);
        await chmod(directory, 0o755);
        await chmod(file, 0o444);
        await chmod(folder, 0o555);
        const before = await snapshotOf(folder);

        const read = await openAs(READER_UID, 'read', file);
        const write = await openAs(READER_UID, 'write', file);

        expect(read).to.deep.equal({ batches: 1, entries: 20 });
        expect(write.error).to.equal(`store ${file} is read-only for this user: only commands that read it (query, batches, status, dlq list) can open it`);
        expect(await snapshotOf(folder)).to.deep.equal(before);
      });

      it('reads another user\'s store in a shared sticky folder leaving no file there, and its owner writes it afterwards', async function () {
        if (!isRoot) this.skip(); // Only root can give a store to another user.
        const shared = path.join(directory, 'shared');
        await mkdir(shared);
        await chmod(directory, 0o755);
        await chmod(shared, 0o1777);
        const file = path.join(shared, 's.db');
        await makeStore(file);
        await chown(file, OWNER_UID, OWNER_UID);
        await chmod(file, 0o644);
        const before = await snapshotOf(shared);

        const read = await openAs(READER_UID, 'read', file);
        const after = await snapshotOf(shared);
        const written = await openAs(OWNER_UID, 'write', file);

        expect(read).to.deep.equal({ batches: 1, entries: 20 });
        expect(after).to.deep.equal(before);
        expect(written).to.deep.equal({ batches: 2, entries: 20 });
      });

      it('reads what its owner\'s open writer has committed, through -wal and -shm files it cannot write', async function () {
        if (!isRoot) this.skip(); // Only root can give a store to another user.
        const shared = path.join(directory, 'shared');
        await mkdir(shared);
        await chmod(directory, 0o755);
        await chmod(shared, 0o1777);
        const file = path.join(shared, 's.db');
        await makeStore(file);
        await chown(file, OWNER_UID, OWNER_UID);
        await chmod(file, 0o644);
        // SQLite running as root gives the -wal and -shm files it creates to the store's owner.
        const writer = SqliteStore.open(file);
        try {
          await new SqliteLogRepository(writer).createBatch({ batchId: 'open', source: { bucket: 'local', key: '/o.log', etag: 'o' }, createdAt: AT });
          const before = await snapshotOf(shared);

          const read = await openAs(READER_UID, 'read', file);

          expect(Object.keys(before)).to.deep.equal(['s.db', 's.db-shm', 's.db-wal']);
          expect(read).to.deep.equal({ batches: 2, entries: 20 });
        } finally {
          writer.close();
        }
      });
    });
  });

  describe('to write', () => {
    it('refuses another program\'s database before changing anything: its rollback journal mode stays', async () => {
      const foreign = path.join(directory, 'foreign.db');
      const other = new Database(foreign);
      other.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      other.close();
      const before = await snapshotOf(directory);

      const messages = [refusal(() => SqliteStore.open(foreign)), refusal(() => SqliteStore.open(foreign, { mustExist: true }))];

      expect(messages).to.deep.equal([`${foreign} is a SQLite database but not a logbatch store`, `${foreign} is a SQLite database but not a logbatch store`]);
      expect(journalMode(foreign)).to.equal('delete');
      expect(await snapshotOf(directory)).to.deep.equal(before);
    });

    it('starts a store in an existing empty file, which a store that must exist refuses', async () => {
      const empty = path.join(directory, 'empty.db');
      await writeFile(empty, '');
      const mustExist = refusal(() => SqliteStore.open(empty, { mustExist: true }));
      const sizeAfterRefusal = (await stat(empty)).size;

      const store = SqliteStore.open(empty);
      const version = store.schemaVersion;
      store.close();

      expect(mustExist).to.equal(`${empty} is not a logbatch store (an empty file)`);
      expect(sizeAfterRefusal).to.equal(0);
      expect(version).to.equal(SCHEMA_VERSION);
      expect(journalMode(empty)).to.equal('wal');
    });

    it('keeps the journal mode of a store the user put in rollback-journal mode', async () => {
      const file = path.join(directory, 'rollback.db');
      await makeStore(file);
      const db = new Database(file);
      db.pragma('journal_mode = DELETE');
      db.close();

      const store = SqliteStore.open(file);
      await new SqliteLogRepository(store).createBatch({ batchId: 'x', source: { bucket: 'local', key: '/x.log', etag: 'x' }, createdAt: AT });
      store.close();

      expect(journalMode(file)).to.equal('delete');
    });

    it('refuses an empty path', () => {
      expect(refusal(() => SqliteStore.open(''))).to.equal('--store: no path given');
      expect(refusal(() => SqliteStore.open('', { readOnly: true }))).to.equal('--store: no path given');
    });
  });
});
