import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SqliteDeadLetterStore } from '../../src/adapters/sqlite/sqlite-dead-letter-store.js';
import { SCHEMA_VERSION } from '../../src/adapters/sqlite/sqlite-schema.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { type CliResult, LOGBATCH_BIN, PROJECT_ROOT, runProcess } from '../helpers/cli.js';
import { snapshotOf } from '../helpers/store-files.js';

// The commands that only read a store open it read-only (query, batches, status, dlq list): they work on a store this
// user cannot write, change nothing in it or beside it, and refuse what they would have had to change.

const isRoot = process.getuid?.() === 0;
const READER_UID = 65_534;
const OWNER_UID = 4242;

/** Runs `logbatch` without the target variables, as this user or (root only) as `uid` through util-linux's setpriv. */
function logbatch(args: readonly string[], uid?: number): Promise<CliResult> {
  const env: Record<string, string> = { FORCE_COLOR: '0' };
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !/^(LOGBATCH_|AWS_ENDPOINT_URL)/.test(name)) env[name] = value;
  const command = [process.execPath, LOGBATCH_BIN, ...args];
  if (uid !== undefined && isRoot) command.unshift('setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups');
  // Root without setpriv cannot run these tests: that is an error to see, not a reason to skip them.
  return runProcess(command, { env, describeSpawnError: (error) => new Error(`cannot run ${command[0]} (${error.message}); as root these tests need util-linux's setpriv`) });
}


describe('logbatch commands that only read a --store', function () {
  this.timeout(180_000);
  let directory: string;
  let logFile: string;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-store-read-only-'));
    await chmod(directory, 0o755);
    logFile = path.join(directory, 'app.log');
    await writeFile(logFile, Array.from({ length: 40 }, (_, index) => `${JSON.stringify({ time: `2026-01-01T00:00:${String(index).padStart(2, '0')}Z`, level: index % 4 === 0 ? 'warn' : 'info', msg: `m${index}` })}\n`).join(''));
    await chmod(logFile, 0o644);
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  /** A store in its own folder holding `app.log`'s batch and one dead letter that names it. */
  async function storeIn(name: string): Promise<{ folder: string; store: string; batchId: string }> {
    const folder = path.join(directory, name);
    await mkdir(folder);
    const store = path.join(folder, 's.db');
    const run = await logbatch(['run', logFile, '--store', store, '--json']);
    expect(run.code, run.stderr).to.equal(0);
    const batchId = (JSON.parse(run.stdout) as { batches: Array<{ batchId: string }> }).batches[0].batchId;
    const opened = SqliteStore.open(store);
    new SqliteDeadLetterStore(opened).add({ messageId: 'm1', body: `{"v":2,"batchId":"${batchId}","chunk":7}\n`, reason: 'worker gave up' });
    opened.close();
    return { folder, store, batchId };
  }

  /** query, query --count, batches, status and dlq list, each with --json; all exit 0 with what the store holds. */
  async function readAll(store: string, batchId: string, uid?: number): Promise<void> {
    const [entries, counted, batches, status, letters] = await Promise.all([
      logbatch(['query', '--store', store, '--severity', 'warn', '--json'], uid),
      logbatch(['query', '--store', store, '--count', '--json'], uid),
      logbatch(['batches', '--store', store, '--json'], uid),
      logbatch(['status', batchId, '--store', store, '--json'], uid),
      logbatch(['dlq', 'list', '--store', store, '--json'], uid),
    ]);
    for (const result of [entries, counted, batches, status, letters]) expect(result.code, result.stderr).to.equal(0);
    expect(entries.stdout.trim().split('\n')).to.have.length(10);
    expect(JSON.parse(counted.stdout)).to.deep.include({ total: 40 });
    expect((JSON.parse(batches.stdout) as Array<{ batchId: string }>).map((batch) => batch.batchId)).to.deep.equal([batchId]);
    // dlq list reads: the letter is listed, not recorded in its batch.
    expect(JSON.parse(status.stdout)).to.deep.include({ batchId, status: 'COMPLETED', deadLetteredChunks: [] });
    expect((JSON.parse(letters.stdout) as Array<{ chunk: number; reason: string }>).map((letter) => [letter.chunk, letter.reason])).to.deep.equal([[7, 'worker gave up']]);
  }

  it('reads a store this user cannot write, in a folder this user cannot write, and creates nothing there', async () => {
    const { folder, store, batchId } = await storeIn('locked');
    await chmod(store, 0o444);
    await chmod(folder, 0o555);
    const before = await snapshotOf(folder, { withOwner: true });

    await readAll(store, batchId, READER_UID);

    expect(await snapshotOf(folder, { withOwner: true })).to.deep.equal(before);
    await chmod(folder, 0o755);
  });

  it('reads a store in rollback-journal mode and leaves it in that mode, its bytes as they were', async () => {
    const { folder, store, batchId } = await storeIn('rollback');
    const db = new Database(store);
    db.pragma('journal_mode = DELETE');
    db.close();
    const before = await snapshotOf(folder, { withOwner: true });

    await readAll(store, batchId);

    const after = new Database(store, { readonly: true });
    const mode = after.pragma('journal_mode', { simple: true });
    after.close();
    expect(mode).to.equal('delete');
    expect(await snapshotOf(folder, { withOwner: true })).to.deep.equal(before);
  });

  it('reads another user\'s store in a shared sticky folder and leaves no file there, so its owner still writes it', async function () {
    if (!isRoot) this.skip(); // Only root can give a store to another user.
    const { folder, store, batchId } = await storeIn('shared');
    await chmod(folder, 0o1777);
    await chown(store, OWNER_UID, OWNER_UID);
    await chmod(store, 0o644);
    const before = await snapshotOf(folder, { withOwner: true });

    await readAll(store, batchId, READER_UID);
    const after = await snapshotOf(folder, { withOwner: true });
    const other = path.join(directory, 'other.log');
    await writeFile(other, '{"level":"info","msg":"other"}\n');
    await chmod(other, 0o644);
    const written = await logbatch(['run', other, '--store', store], OWNER_UID);

    expect(after).to.deep.equal(before);
    expect(written.code, written.stderr).to.equal(0);
  });

  it('refuses a store with an older schema in one line, exit 2, without migrating it; a command that writes upgrades it', async () => {
    const { folder, store, batchId } = await storeIn('old');
    // As logbatch before the last migration left it: v7 added the dead letters' batch and claim columns.
    const db = new Database(store);
    db.exec('DROP INDEX dead_letters_by_batch; ALTER TABLE dead_letters DROP COLUMN batch_id; ALTER TABLE dead_letters DROP COLUMN worker_settings; ALTER TABLE dead_letters DROP COLUMN claimed_by; ALTER TABLE dead_letters DROP COLUMN claimed_at');
    db.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    db.close();
    const before = await snapshotOf(folder, { withOwner: true });

    const refused = await Promise.all(
      [['query', '--count'], ['batches'], ['status', batchId], ['dlq', 'list']].map((args) => logbatch([...args, '--store', store])),
    );
    const after = await snapshotOf(folder, { withOwner: true });
    const redriven = await logbatch(['dlq', 'redrive', '--store', store]);
    const counted = await logbatch(['query', '--store', store, '--count', '--json']);

    for (const result of refused) {
      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal(
        `logbatch: store ${store} has schema version ${SCHEMA_VERSION - 1}, older than this logbatch needs (${SCHEMA_VERSION}): ` +
          `a command that writes to it upgrades it (\`logbatch run FILE --store ${store}\`)\n`,
      );
    }
    expect(after).to.deep.equal(before);
    expect(redriven.code, redriven.stderr).to.equal(0);
    expect(JSON.parse(counted.stdout)).to.deep.include({ total: 40 });
  });

  it('refuses a missing store without creating it', async () => {
    const folder = path.join(directory, 'missing');
    await mkdir(folder);

    const results = await Promise.all([['query'], ['batches'], ['status', 'x'], ['dlq', 'list']].map((args) => logbatch([...args, '--store', path.join(folder, 'none.db')])));

    for (const result of results) {
      expect(result.code).to.equal(2);
      expect(result.stderr).to.match(/^logbatch: no store at .*none\.db \(create one with `logbatch run FILE --store .*none\.db`\)\n$/);
    }
    expect(await readdir(folder)).to.deep.equal([]);
  });
});
