import { spawn } from 'node:child_process';
import { chmod, link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { logFile } from '../helpers/memory-pipeline.js';
import { type CliResult, PROJECT_ROOT, runCli } from '../helpers/cli.js';

describe('logbatch run', function () {
  // Every test starts the command in its own process: a busy CI machine once took over 20 s to run one.
  this.timeout(60_000);
  let directory: string;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-cli-'));
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const lines = Array.from({ length: 5000 }, (_, index) =>
    index % 10 === 4 ? '' : JSON.stringify({ time: '2026-11-26T09:00:00Z', level: 'info', msg: `request ${index + 1}` }),
  );

  it('reports the same totals for a file and its gzip, CRLF and BOM variants, and exits 0', async () => {
    const plain = path.join(directory, 'plain.log');
    const gzip = path.join(directory, 'variant.log.gz');
    await writeFile(plain, logFile(lines));
    await writeFile(gzip, logFile(lines, { gzip: true, crlf: true, bom: true, finalNewline: false }));

    const result = await runCli(['run', plain, gzip, '--json', '--max-chunk-bytes', '20000']);
    const summary = JSON.parse(result.stdout);

    expect(result.code).to.equal(0);
    expect(summary.batches.map((batch: { totalLines: number; entries: number; blank: number }) => [batch.totalLines, batch.entries, batch.blank])).to.deep.equal([
      [5000, 4500, 500],
      [5000, 4500, 500],
    ]);
    expect(summary.totals).to.deep.include({ files: 2, lines: 10_000, entries: 9000, unparsed: 0, blank: 1000, deadLettered: 0 });
    expect(summary.totals.chunks).to.be.greaterThan(2);
    expect(summary.linesPerSecond).to.be.a('number');
    expect(summary.requests['chunkQueue.sendBatch']).to.be.greaterThan(0);
    expect(summary.requests['logRepository.putEntries']).to.equal(summary.totals.chunks);
  });

  it('writes every stored entry to --out as JSON Lines', async () => {
    const file = path.join(directory, 'out-source.log');
    const out = path.join(directory, 'entries.jsonl');
    await writeFile(file, logFile(['{"level":"warn","msg":"disk 91% full","time":"2026-11-26T10:00:00Z"}', '', '{"oops": not json']));

    const result = await runCli(['run', file, '--out', out]);
    const entries = (await readFile(out, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));

    expect(result.code).to.equal(0);
    expect(result.stdout).to.match(/COMPLETED_WITH_ERRORS/);
    expect(entries).to.have.length(2);
    expect(entries[0]).to.deep.include({ lineNumber: 1, timestamp: '2026-11-26T10:00:00.000Z', severityText: 'WARN', severityNumber: 13, body: 'disk 91% full', format: 'json' });
    expect(entries[1]).to.include({ lineNumber: 3, body: '{"oops": not json' });
    expect(entries[1].parseError).to.be.a('string');
  });

  it('completes an empty file with 0 lines', async () => {
    const file = path.join(directory, 'empty.log');
    await writeFile(file, '');

    const result = await runCli(['run', file, '--json']);

    expect(result.code).to.equal(0);
    expect(JSON.parse(result.stdout).batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 0 });
  });

  it('fails a binary file with a reason naming it, and exits 1', async () => {
    const file = path.join(directory, 'image.png');
    await writeFile(file, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]));

    const result = await runCli(['run', file, '--json']);
    const [batch] = JSON.parse(result.stdout).batches;

    expect(result.code).to.equal(1);
    expect(batch.status).to.equal('FAILED');
    expect(batch.reason).to.contain('image.png').and.match(/binary content/);
  });

  it('exits 2 with one clear line for a missing file or a bad option, without a stack trace', async () => {
    const missing = await runCli(['run', path.join(directory, 'nope.log')]);
    const badOption = await runCli(['run', path.join(directory, 'empty.log'), '--max-chunk-bytes', 'lots']);

    const unwritable = await runCli(['run', path.join(directory, 'empty.log'), '--out', path.join(directory, 'no-such-dir', 'out.jsonl')]);

    expect(unwritable.code).to.equal(2);
    expect(unwritable.stderr).to.match(/^logbatch: --out .*out\.jsonl: no directory .*no-such-dir\n$/);
    expect(missing.code).to.equal(2);
    expect(missing.stderr.trim()).to.match(/^logbatch: .*nope\.log: no such file$/);
    expect(badOption.code).to.equal(2);
    expect(badOption.stderr).to.match(/--max-chunk-bytes must be an integer/);
    expect(missing.stderr + badOption.stderr).to.not.match(/\n\s+at /);
  });

  it('prints a per-file table and a total in human mode', async () => {
    const file = path.join(directory, 'human.log');
    await writeFile(file, logFile(lines.slice(0, 100)));

    const result = await runCli(['run', file]);

    expect(result.code).to.equal(0);
    expect(result.stdout).to.match(/^file\s+status\s+format\s+lines\s+entries/m);
    expect(result.stdout).to.match(/human\.log\s+COMPLETED\s+json\s+100\s+90/m);
    expect(result.stdout).to.match(/^total \(1 file\)\s+100\s+90/m);
  });
  describe('--out naming an input', function () {
    this.timeout(120_000);
    const content = logFile(['{"msg":"one"}', '{"msg":"two"}']);
    const oneLine = /^logbatch: --out .+ is the input file .+; choose another output file\n$/;

    it('refuses the same path, a different relative path, a symlink and a hard link, with exit 2 and the input intact', async () => {
      const input = path.join(directory, 'victim.jsonl');
      const viaSymlink = path.join(directory, 'victim-link.jsonl');
      const viaHardLink = path.join(directory, 'victim-hard.jsonl');
      await writeFile(input, content);
      await symlink(input, viaSymlink);
      await link(input, viaHardLink);
      // The CLI runs in the project root; the same file by a relative path that goes through the temp directory's parent.
      const relative = path.relative(PROJECT_ROOT, path.join(directory, '..', path.basename(directory), 'victim.jsonl'));

      const results = [
        await runCli(['run', input, '--out', input]),
        await runCli(['run', input, '--out', relative]),
        await runCli(['run', relative, '--out', input]),
        await runCli(['run', input, '--out', viaSymlink]),
        await runCli(['run', viaSymlink, '--out', input]),
        await runCli(['run', input, '--json', '--out', viaHardLink]),
      ];

      for (const result of results) {
        expect(result.code, result.stderr + result.stdout).to.equal(2);
        expect(result.stderr).to.match(oneLine);
        expect(result.stdout).to.equal('');
      }
      expect(await readFile(input, 'utf8')).to.equal(content.toString());
    });

    it('refuses `dir/* --out dir/entries.jsonl` run a second time, when the glob has picked up the output', async () => {
      const logs = path.join(directory, 'glob');
      await mkdir(logs);
      await writeFile(path.join(logs, 'a.log'), content);
      const out = path.join(logs, 'entries.jsonl');

      const first = await runCli(['run', path.join(logs, 'a.log'), '--out', out]);
      const written = await readFile(out, 'utf8');
      const second = await runCli(['run', path.join(logs, 'a.log'), out, '--out', out]);

      expect(first.code, first.stderr).to.equal(0);
      expect(second.code).to.equal(2);
      expect(second.stderr).to.match(oneLine).and.contain('entries.jsonl');
      expect(await readFile(out, 'utf8')).to.equal(written);
    });
  });

  describe('the same file given twice', function () {
    this.timeout(60_000);
    it('processes it once and says it was given twice, in --json and in --out, also by another path or a symlink', async () => {
      const file = path.join(directory, 'twice.jsonl');
      const viaSymlink = path.join(directory, 'twice-link.jsonl');
      await writeFile(file, logFile(['{"msg":"one"}', '{"msg":"two"}']));
      await symlink(file, viaSymlink);
      const out = path.join(directory, 'twice-out.jsonl');
      const relative = path.relative(PROJECT_ROOT, file);

      const result = await runCli(['run', file, relative, viaSymlink, '--json', '--out', out]);
      const summary = JSON.parse(result.stdout);
      const stored = (await readFile(out, 'utf8')).trim().split('\n');

      expect(result.code, result.stderr).to.equal(0);
      expect(summary.totals).to.deep.include({ files: 1, lines: 2, entries: 2 });
      expect(summary.batches).to.have.length(1);
      expect(summary.batches[0].source).to.equal(file);
      expect(summary.duplicateInputs).to.deep.equal([
        { file: path.resolve(PROJECT_ROOT, relative), sameAs: file },
        { file: viaSymlink, sameAs: file },
      ]);
      expect(stored).to.have.length(2);
    });

    it('notes it under the human summary, and reports no duplicates as an empty list', async () => {
      const file = path.join(directory, 'twice-human.jsonl');
      const other = path.join(directory, 'once.jsonl');
      await writeFile(file, logFile(['{"msg":"one"}', '{"msg":"two"}']));
      await writeFile(other, logFile(['{"msg":"three"}']));

      const twice = await runCli(['run', file, other, file]);
      const once = await runCli(['run', file, other, '--json']);

      expect(twice.code, twice.stderr).to.equal(0);
      expect(twice.stdout).to.match(/^total \(2 files\)\s+3\s+3/m);
      expect(twice.stdout.match(/twice-human\.jsonl\s+COMPLETED/g)).to.have.length(1);
      expect(twice.stdout).to.match(/^note: .*twice-human\.jsonl was given 2 times; processed once$/m);
      expect(JSON.parse(once.stdout).duplicateInputs).to.deep.equal([]);
    });
  });

  describe('numeric flags', function () {
    this.timeout(60_000);
    it('rejects a value that is not a positive integer with one line and exit 2, for every numeric flag', async () => {
      const file = path.join(directory, 'numeric.log');
      await writeFile(file, logFile(['{"msg":"one"}']));

      const cases = [
        ['--concurrency', 'abc'],
        ['--concurrency', '0'],
        ['--max-chunk-lines', '1e3'],
        ['--max-chunk-bytes', '0x10000'],
      ];
      const results = [];
      for (const [flag, value] of cases) results.push(await runCli(['run', file, flag, value]));

      results.forEach((result, index) => {
        const [flag, value] = cases[index];
        expect(result.code, `${flag} ${value}`).to.equal(2);
        expect(result.stderr, `${flag} ${value}`).to.match(new RegExp(`^logbatch: option '${flag} <n>' argument '.*' is invalid\\. ${flag} must be (a positive integer|an integer between \\d+ and \\d+)\\n$`));
      });
    });

    it('takes LOGBATCH_MEMORY_BUDGET_MB as whole MB, 0 for none, and refuses anything else with one line and exit 2', async () => {
      const file = path.join(directory, 'budget.log');
      await writeFile(file, logFile(['{"msg":"one"}', '{"msg":"two"}']));

      const bad = await runCli(['run', file], { env: { LOGBATCH_MEMORY_BUDGET_MB: '1.5' } });
      const none = await runCli(['run', file, '--json'], { env: { LOGBATCH_MEMORY_BUDGET_MB: '0' } });
      const tight = await runCli(['run', file, '--json'], { env: { LOGBATCH_MEMORY_BUDGET_MB: '1' } });

      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.equal('logbatch: LOGBATCH_MEMORY_BUDGET_MB must be a whole number of MB (0: no bound), not 1.5\n');
      // A budget below what any process needs still completes the run: the budget follows the live set up.
      for (const result of [none, tight]) {
        expect(result.code).to.equal(0);
        expect(JSON.parse(result.stdout).totals).to.deep.include({ lines: 2, entries: 2 });
      }
    });
  });

  describe('permission errors', function () {
    let sandbox: string;

    before(async () => {
      sandbox = await mkdtemp(path.join(tmpdir(), 'logbatch-cli-permissions-'));
      // The unprivileged user must reach the files; what each test takes away is all it cannot do.
      await chmod(sandbox, 0o777);
    });

    after(async () => {
      await chmod(path.join(sandbox, 'tree', 'locked'), 0o755).catch(() => undefined);
      await rm(sandbox, { recursive: true, force: true });
    });

    it('refuses an existing --out file that cannot be written with one line and exit 2, before anything runs', async () => {
      const input = path.join(sandbox, 'in.log');
      const out = path.join(sandbox, 'read-only.jsonl');
      await writeFile(input, 'x\n');
      await writeFile(out, 'kept\n');
      await chmod(out, 0o444);

      const result = await runCliAsUnprivilegedUser(['run', input, '--out', out]);

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal(`logbatch: --out ${out}: cannot write this file (EACCES)\n`);
      expect(await readFile(out, 'utf8')).to.equal('kept\n');
    });

    it('refuses a folder under an input directory that cannot be read with one line naming it and exit 2, as a file that cannot be read', async () => {
      const tree = path.join(sandbox, 'tree');
      await mkdir(path.join(tree, 'locked'), { recursive: true });
      await writeFile(path.join(tree, 'a.log'), 'x\n');
      await writeFile(path.join(tree, 'locked', 'b.log'), 'y\n');
      await chmod(tree, 0o755);
      await chmod(path.join(tree, 'locked'), 0o000);

      const result = await runCliAsUnprivilegedUser(['run', tree]);

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal(`logbatch: ${path.join(tree, 'locked')}: this folder cannot be read (EACCES)\n`);
    });

    it('refuses an --out under a path component that is a file with one line and exit 2, whoever runs it', async () => {
      const input = path.join(sandbox, 'plain.log');
      await writeFile(input, 'x\n');

      const result = await runCli(['run', input, '--out', path.join(input, 'out.jsonl')]);

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal(`logbatch: --out ${path.join(input, 'out.jsonl')}: ${input} is not a directory\n`);
    });
  });
});

/**
 * Runs the command as a user whom file modes bind: the tests' own user, or, when the tests run as root (whom modes do
 * not stop), nobody (65534), through util-linux's setpriv.
 */
function runCliAsUnprivilegedUser(args: readonly string[]): Promise<CliResult> {
  const command = [process.execPath, path.join(PROJECT_ROOT, 'bin/logbatch.js'), ...args];
  if (process.getuid?.() === 0) command.unshift('setpriv', '--reuid=65534', '--regid=65534', '--clear-groups');
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd: PROJECT_ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    // Root without setpriv cannot run these tests: that is an error to see, not a reason to skip them.
    child.on('error', (error) => reject(new Error(`cannot run ${command[0]} (${error.message}); as root these tests need util-linux's setpriv`)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
