import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { type CliResult, LOGBATCH_BIN, PROJECT_ROOT, runProcess } from '../helpers/cli.js';
import { journalMode, snapshotOf } from '../helpers/store-files.js';
import { NO_TARGET_MESSAGE } from '../../src/cli/aws-target-flags.js';

/** Variables that would point a command at a store or a table other than the test's. */
const TARGET_VARIABLES = ['LOGBATCH_STORE', 'LOGBATCH_TABLE_NAME', 'LOGBATCH_QUEUE_URL', 'LOGBATCH_DLQ_URL', 'LOGBATCH_BUCKET', 'AWS_ENDPOINT_URL'];

/**
 * Runs `logbatch` with exactly these target variables (the others removed), as this user or, with `unprivileged`, as
 * a user whom file modes bind (this user, or nobody through util-linux's setpriv when the tests run as root).
 */
function logbatch(args: readonly string[], options: { env?: Record<string, string>; unprivileged?: boolean; cwd?: string } = {}): Promise<CliResult> {
  const env: Record<string, string> = { FORCE_COLOR: '0' };
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !TARGET_VARIABLES.includes(name)) env[name] = value;
  Object.assign(env, options.env);
  const command = [process.execPath, LOGBATCH_BIN, ...args];
  if (options.unprivileged === true && process.getuid?.() === 0) command.unshift('setpriv', '--reuid=65534', '--regid=65534', '--clear-groups');
  // Root without setpriv cannot run these tests: that is an error to see, not a reason to skip them.
  return runProcess(command, { cwd: options.cwd, env, describeSpawnError: (error) => new Error(`cannot run ${command[0]} (${error.message}); as root these tests need util-linux's setpriv`) });
}



describe('logbatch commands on --store files', function () {
  this.timeout(120_000);
  let directory: string;
  let logFile: string;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-store-files-'));
    await chmod(directory, 0o755);
    logFile = path.join(directory, 'app.log');
    await writeFile(logFile, Array.from({ length: 30 }, (_, index) => `${JSON.stringify({ time: `2026-01-01T00:00:${String(index).padStart(2, '0')}Z`, level: 'info', msg: `m${index}` })}\n`).join(''));
    await chmod(logFile, 0o644);
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe('an empty LOGBATCH_STORE', () => {
    for (const args of [['batches'], ['query', '--count'], ['status', 'x'], ['dlq', 'list'], ['dlq', 'redrive']]) {
      it(`is no store for ${args.join(' ')}, as if it were unset`, async () => {
        const [empty, unset] = await Promise.all([logbatch(args, { env: { LOGBATCH_STORE: '' } }), logbatch(args)]);

        expect(empty).to.deep.equal(unset);
        expect(empty.code).to.equal(2);
        expect(empty.stderr.trim()).to.equal(`logbatch: ${NO_TARGET_MESSAGE}`);
      });
    }

    it('is no store for run: the files run in memory', async () => {
      const result = await logbatch(['run', logFile, '--json'], { env: { LOGBATCH_STORE: '' } });

      expect(result.code, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout)).not.to.have.property('store');
    });
  });

  describe('a file that is not a logbatch store', () => {
    it('another program\'s SQLite database in rollback-journal mode: refused by every command, its journal mode and bytes as they were', async () => {
      const folder = path.join(directory, 'foreign');
      await mkdir(folder);
      const foreign = path.join(folder, 'foreign.db');
      const db = new Database(foreign);
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      db.close();
      const before = await snapshotOf(folder);

      const results = await Promise.all(
        [['query'], ['query', '--count'], ['batches'], ['status', 'x'], ['dlq', 'list'], ['dlq', 'redrive'], ['run', logFile]].map((args) => logbatch([...args, '--store', foreign])),
      );

      for (const result of results) {
        expect(result.code).to.equal(2);
        expect(result.stderr).to.equal(`logbatch: ${foreign} is a SQLite database but not a logbatch store\n`);
      }
      expect(journalMode(foreign)).to.equal('delete');
      expect(await snapshotOf(folder)).to.deep.equal(before);
    });

    it('an empty file: refused by the commands that need a store, untouched; run starts a store in it', async () => {
      const folder = path.join(directory, 'empty');
      await mkdir(folder);
      const empty = path.join(folder, 'empty.db');
      await writeFile(empty, '');
      const before = await snapshotOf(folder);

      const results = await Promise.all([['query'], ['query', '--count'], ['batches'], ['status', 'x'], ['dlq', 'list'], ['dlq', 'redrive']].map((args) => logbatch([...args, '--store', empty])));
      const after = await snapshotOf(folder);
      const run = await logbatch(['run', logFile, '--store', empty, '--json']);
      const counted = await logbatch(['query', '--store', empty, '--count', '--json']);

      for (const result of results) {
        expect(result.code).to.equal(2);
        expect(result.stderr).to.equal(`logbatch: ${empty} is not a logbatch store (an empty file)\n`);
        expect(result.stdout).to.equal('');
      }
      expect(after).to.deep.equal(before);
      expect(run.code, run.stderr).to.equal(0);
      expect(JSON.parse(counted.stdout)).to.deep.include({ total: 30 });
    });
  });

  describe('--cursor', () => {
    let store: string;
    let batchId: string;

    before(async () => {
      store = path.join(directory, 'cursors.db');
      const run = await logbatch(['run', logFile, '--store', store, '--json']);
      expect(run.code, run.stderr).to.equal(0);
      batchId = (JSON.parse(run.stdout) as { batches: Array<{ batchId: string }> }).batches[0].batchId;
    });

    // [true,1], [{},1], [1,2], ["x"]: SQLite could not bind the first two (exit 1), the others read silently.
    for (const cursor of ['W3RydWUsMV0', 'W3t9LDFd', 'WzEsMl0', 'WyJ4Il0', 'WyJ4IiwxXQ', 'MQ']) {
      it(`refuses ${cursor} (${Buffer.from(cursor, 'base64url').toString()}) in one line, exit 2, with and without --batch`, async () => {
        const [across, within] = await Promise.all([
          logbatch(['query', '--store', store, '--limit', '5', '--cursor', cursor]),
          logbatch(['query', '--store', store, '--batch', batchId, '--limit', '5', '--cursor', cursor]),
        ]);

        for (const result of [across, within]) {
          expect(result.code).to.equal(2);
          expect(result.stderr).to.equal('logbatch: --cursor is not a cursor this command printed\n');
          expect(result.stdout).to.equal('');
        }
      });
    }

    it('takes the cursors it printed, with and without --batch', async () => {
      for (const scope of [[], ['--batch', batchId]]) {
        const first = await logbatch(['query', '--store', store, ...scope, '--limit', '5']);
        const cursor = /--cursor (\w[\w-]*)/.exec(first.stdout + first.stderr)?.[1];
        const next = await logbatch(['query', '--store', store, ...scope, '--limit', '5', '--json', '--cursor', cursor ?? '']);

        expect(next.code, next.stderr).to.equal(0);
        expect(next.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { lineNumber: number }).lineNumber)).to.deep.equal([6, 7, 8, 9, 10]);
      }
    });
  });

  describe('--where', () => {
    it('finds an attribute written as a float between 2^53 and 2^63 by the text JSON shows for it', async () => {
      const file = path.join(directory, 'big.log');
      await writeFile(file, '{"timestamp":"2026-07-01T00:00:00Z","level":"info","message":"big float","bytes":1.23456789012345e17}\n');
      const store = path.join(directory, 'big.db');
      expect((await logbatch(['run', file, '--store', store])).code).to.equal(0);

      const shown = await logbatch(['query', '--store', store, '--json']);
      const counted = await logbatch(['query', '--store', store, '--where', 'bytes=123456789012345000', '--count', '--json']);

      expect(shown.stdout).to.contain('"bytes":123456789012345000');
      expect(JSON.parse(counted.stdout)).to.deep.include({ total: 1 });
    });
  });

  describe('a store this user cannot write', () => {
    it('run refuses it in one line, exit 2, before anything is written', async () => {
      const folder = path.join(directory, 'locked');
      await mkdir(folder);
      const store = path.join(folder, 's.db');
      expect((await logbatch(['run', logFile, '--store', store])).code).to.equal(0);
      const other = path.join(directory, 'other.log');
      await writeFile(other, '{"level":"info","msg":"other"}\n');
      await chmod(other, 0o644);
      await chmod(store, 0o444);
      await chmod(folder, 0o777);
      const before = await snapshotOf(folder);

      const result = await logbatch(['run', other, '--store', store], { unprivileged: true });

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal(`logbatch: store ${store} is read-only for this user: only commands that read it (query, batches, status, dlq list) can open it\n`);
      expect(await snapshotOf(folder)).to.deep.equal(before);
    });
  });
});
