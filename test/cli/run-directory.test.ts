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

  it('refuses a directory without files as a usage error', async () => {
    await mkdir(path.join(directory, 'empty'));

    const result = await runCli(['run', path.join(directory, 'empty')]);

    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/no files in this directory/);
  });
});
