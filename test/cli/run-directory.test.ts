import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runCli } from '../helpers/cli.js';
import { logFile } from '../helpers/memory-pipeline.js';

interface Summary {
  totals: { lines: number; entries: number };
  batches: { source: string; status: string; totalLines: number }[];
}

describe('logbatch run DIR/', function () {
  this.timeout(120_000);
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-run-dir-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('leaves the store it writes out of the directory it runs, and refuses the store named as a log', async () => {
    await writeFile(path.join(directory, 'a.log'), logFile(['2026-11-26T09:00:00Z INFO one']));
    const store = path.join(directory, 'store.db');
    const first = await runCli(['run', directory, '--store', store, '--json']);
    await writeFile(path.join(directory, 'b.log'), logFile(['2026-11-26T09:00:01Z INFO two']));

    const second = await runCli(['run', directory, '--store', store, '--json']);
    const named = await runCli(['run', store, '--store', store]);

    expect(first.code, first.stderr).to.equal(0);
    expect(second.code, second.stderr).to.equal(0);
    expect((JSON.parse(second.stdout) as Summary).batches.map((batch) => path.basename(batch.source))).to.deep.equal(['b.log']);
    expect(named.code).to.equal(2);
    expect(named.stderr).to.equal(`logbatch: --store ${store}: ${store} is the store's own file, not a log to run; choose another store file\n`);
  });

  it('runs every file under the directory, nested ones and gzip included, each once', async () => {
    await mkdir(path.join(directory, 'sub', 'deeper'), { recursive: true });
    await writeFile(path.join(directory, 'a.log'), logFile(['2026-11-26T09:00:00Z INFO one', '2026-11-26T09:00:01Z INFO two']));
    await writeFile(path.join(directory, 'sub', 'b.log.gz'), logFile(['2026-11-26T09:00:02Z WARN three'], { gzip: true }));
    await writeFile(path.join(directory, 'sub', 'deeper', 'c.log'), logFile(['x', 'y', 'z']));

    const result = await runCli(['run', `${directory}/`, path.join(directory, 'a.log'), '--json']);

    expect(result.stderr).to.not.match(/logbatch:/);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.batches.map((batch) => [path.relative(directory, batch.source), batch.status, batch.totalLines])).to.deep.equal([
      ['a.log', 'COMPLETED', 2],
      [path.join('sub', 'b.log.gz'), 'COMPLETED', 1],
      [path.join('sub', 'deeper', 'c.log'), 'COMPLETED', 3],
    ]);
    expect(summary.totals.lines).to.equal(6);
  });

  describe('a name that is not UTF-8', () => {
    /** `directory/<prefix><byte 0xff><suffix>`: a name no string can spell (Node.js encodes string paths as UTF-8). */
    const badName = (prefix: string, suffix: string) => Buffer.concat([Buffer.from(path.join(directory, prefix)), Buffer.from([0xff]), Buffer.from(suffix)]);

    it('runs the other files, names the file on stderr with the bad byte escaped, lists it in --json and exits 1', async () => {
      await writeFile(path.join(directory, 'good.log'), 'x\n');
      await writeFile(badName('bad', '.log'), 'y\n');

      const result = await runCli(['run', directory, '--json']);

      expect(result.code).to.equal(1);
      const summary = JSON.parse(result.stdout) as Summary & { skippedInputs: unknown[] };
      expect(summary.batches.map((batch) => [path.relative(directory, batch.source), batch.status])).to.deep.equal([['good.log', 'COMPLETED']]);
      const shown = `${path.join(directory, 'bad')}\\xff.log`;
      expect(summary.skippedInputs).to.deep.equal([{ path: shown, kind: 'file', reason: 'its name is not UTF-8' }]);
      expect(result.stderr).to.include(`logbatch: skipped ${shown}: its name is not UTF-8; rename it to process it\n`);
      expect(result.stderr).to.not.match(/OBJECT_NOT_FOUND|ENOENT/);
    });

    it('skips a folder whose name is not UTF-8 with everything in it, saying so', async () => {
      await writeFile(path.join(directory, 'good.log'), 'x\n');
      await mkdir(badName('folder', ''));
      await writeFile(Buffer.concat([badName('folder', ''), Buffer.from('/inside.log')]), 'y\n');

      const result = await runCli(['run', directory, '--json']);

      expect(result.code).to.equal(1);
      expect((JSON.parse(result.stdout) as Summary).batches).to.have.length(1);
      expect(result.stderr).to.include(`skipped the folder ${path.join(directory, 'folder')}\\xff/ and everything in it: its name is not UTF-8`);
    });

    it('is a usage error when it is the only file, naming it', async () => {
      await writeFile(badName('only', '.log'), 'y\n');

      const result = await runCli(['run', directory]);

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal(`logbatch: nothing to run: skipped ${path.join(directory, 'only')}\\xff.log: its name is not UTF-8; rename it to process it\n`);
    });

    it('says that a file named on the command line exists but its name is not UTF-8, rather than that there is no such file', async () => {
      await writeFile(badName('named', '.log'), 'y\n');

      // What Node.js makes of the bytes a shell passes for that name: U+FFFD for the byte that is not UTF-8.
      const result = await runCli(['run', path.join(directory, 'named\uFFFD.log')]);

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal(`logbatch: ${path.join(directory, 'named')}\\xff.log: its name is not UTF-8 (Node.js reads command-line arguments as UTF-8, so it cannot name this file); rename it to process it\n`);
    });
  });

  it('refuses a directory without files as a usage error', async () => {
    await mkdir(path.join(directory, 'empty'));

    const result = await runCli(['run', path.join(directory, 'empty')]);

    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/no files in this directory/);
  });
});
