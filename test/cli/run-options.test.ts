import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { storeAsGiven } from '../../src/cli/run.command.js';
import { DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MAX_CHUNK_LINES } from '../../src/domain/chunk.js';
import { type CliResult, PROJECT_ROOT, runCli, runProcess } from '../helpers/cli.js';

const BIN = path.join(PROJECT_ROOT, 'bin/logbatch.js');

/** Runs `logbatch ARGS` with `stdin` as its standard input: a file descriptor, or text fed through a pipe. */
function runCliWithStdin(args: readonly string[], stdin: number | string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: PROJECT_ROOT,
      stdio: [typeof stdin === 'number' ? stdin : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    if (typeof stdin === 'string') child.stdin?.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a shell script (`$0`, `$@` are `args`) from the project root. */
function runShell(script: string, args: readonly string[]): Promise<CliResult> {
  return runProcess(['/bin/sh', '-c', script, ...args]);
}

describe('logbatch run: options, standard input and LOGBATCH_STORE', function () {
  this.timeout(60_000);
  let directory: string;
  let file: string;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-run-options-'));
    file = path.join(directory, 'app.jsonl');
    await writeFile(file, '{"level":"info","msg":"one"}\n{"level":"warn","msg":"two"}\n');
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe('reading from a pipe', function () {
    it('runs - (standard input) from a copy it removes afterwards, named - in the summary', async () => {
      const spools = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('logbatch-stdin-')).sort();
      const before = await spools();

      const result = await runCliWithStdin(['run', '-', file, '--json'], '{"level":"error","msg":"x"}\nplain line\n');

      expect(result.code, result.stderr).to.equal(0);
      const batches = (JSON.parse(result.stdout) as { batches: Array<{ source: string; totalLines: number; entries: number; status: string }> }).batches;
      expect(batches.find((batch) => batch.source === '-')).to.deep.include({ totalLines: 2, entries: 2, status: 'COMPLETED' });
      expect(batches.map((batch) => batch.source).sort()).to.deep.equal(['-', file].sort());
      expect(await spools()).to.deep.equal(before);
    });

    it('runs the same standard input into a store exactly once: piped again it is already processed', async () => {
      const store = path.join(directory, 'stdin.db');
      const input = '{"level":"warn","msg":"piped"}\n{"level":"info","msg":"again"}\n';

      const first = await runCliWithStdin(['run', '-', '--store', store], input);
      const second = await runCliWithStdin(['run', '-', '--store', store], input);
      const other = await runCliWithStdin(['run', '-', '--store', store], '{"msg":"other input"}\n');
      const batches = JSON.parse((await runCli(['batches', '--store', store, '--json'])).stdout) as Array<{ batchId: string; stats: { entries: number } }>;

      expect([first.code, second.code, other.code], `${first.stderr}${second.stderr}${other.stderr}`).to.deep.equal([0, 0, 0]);
      expect(second.stdout).to.match(/^-: already processed \(batch [0-9a-f]{24}, COMPLETED\); --reprocess runs it again$/m);
      expect(batches.map((batch) => batch.stats.entries).sort()).to.deep.equal([1, 2]);
    });

    it('reads standard input once: - given twice is a usage error', async () => {
      const result = await runCliWithStdin(['run', '-', '-'], '{"msg":"x"}\n');

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal('logbatch: - is given more than once: standard input can be read once\n');
      expect(result.stdout).to.equal('');
    });

    it('says that /dev/stdin fed by a pipe (cmd | logbatch run /dev/stdin) is a pipe', async () => {
      const result = await runShell(`printf '{"msg":"x"}\\n' | "$0" "$1" run /dev/stdin`, [process.execPath, BIN]);

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal('logbatch: /dev/stdin is a pipe: logbatch reads files, not pipes; give - to read standard input (logbatch run - < /dev/stdin), or save it to a file first\n');
    });

    it('says that /dev/stdin fed by a socket (a parent process\'s stdio) is a socket', async () => {
      const result = await runCliWithStdin(['run', '/dev/stdin'], '{"msg":"x"}\n');

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal('logbatch: /dev/stdin is a socket: logbatch reads files, not sockets; give - to read standard input, or save it to a file first\n');
    });

    it('says that a named pipe (FIFO) is a pipe', async () => {
      const fifo = path.join(directory, 'fifo');
      execFileSync('mkfifo', [fifo]);

      const result = await runCli(['run', fifo]);

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal(`logbatch: ${fifo} is a pipe: logbatch reads files, not pipes; give - to read standard input (logbatch run - < ${fifo}), or save it to a file first\n`);
    });

    it('says the same in ui: - once, and a pipe named as a path points at -', async () => {
      const twice = await runCliWithStdin(['ui', '-', '-', '--port', '0'], 'x\n');
      const fifo = path.join(directory, 'ui-fifo');
      execFileSync('mkfifo', [fifo]);
      const pipe = await runCli(['ui', fifo, '--port', '0']);

      expect(twice.code).to.equal(2);
      expect(twice.stderr).to.equal('logbatch: - is given more than once: standard input can be read once\n');
      expect(pipe.code).to.equal(2);
      expect(pipe.stderr).to.equal(`logbatch: ${fifo} is a pipe: logbatch reads files, not pipes; give - to read standard input (logbatch ui - < ${fifo}), or save it to a file first\n`);
    });

    it('runs /dev/stdin when it is a file (< file)', async () => {
      const handle = await open(file, 'r');
      try {
        const result = await runCliWithStdin(['run', '/dev/stdin', '--json'], handle.fd);

        expect(result.code, result.stderr).to.equal(0);
        expect(JSON.parse(result.stdout).totals).to.deep.include({ files: 1, lines: 2, entries: 2 });
      } finally {
        await handle.close();
      }
    });
  });

  describe('LOGBATCH_STORE', function () {
    it('gives way to --out on the command line: the run writes --out and no store', async () => {
      const store = path.join(directory, 'env-out.db');
      const out = path.join(directory, 'env-out.jsonl');

      const result = await runCli(['run', file, '--out', out], { env: { LOGBATCH_STORE: store } });

      expect(result.code, result.stderr).to.equal(0);
      expect((await readFile(out, 'utf8')).trim().split('\n')).to.have.length(2);
      expect(existsSync(store)).to.equal(false);
    });

    it('gives way to --backend emulator on the command line (the run goes on to its next check)', async () => {
      // A bad --include is refused after the --store checks, and before the emulators start.
      const result = await runCli(['run', file, '--backend', 'emulator', '--include', '['], { env: { LOGBATCH_STORE: path.join(directory, 'env-emulator.db') } });

      expect(result.code).to.equal(2);
      expect(result.stderr).to.match(/^logbatch: --include\/--exclude\/--min-severity: /);
    });

    it('is no store when empty', async () => {
      const result = await runCli(['run', file, '--json'], { env: { LOGBATCH_STORE: '' } });

      expect(result.code, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout)).not.to.have.property('store');
    });

    it('still refuses --store and --out both given on the command line', async () => {
      const result = await runCli(['run', file, '--store', path.join(directory, 'both.db'), '--out', path.join(directory, 'both.jsonl')], {
        env: { LOGBATCH_STORE: path.join(directory, 'env.db') },
      });

      expect(result.code).to.equal(2);
      expect(result.stderr).to.match(/^logbatch: --store and --out: choose one/);
    });

    it('keeps a store given by LOGBATCH_STORE alone, or --store on the command line', () => {
      const options = { format: 'auto', backend: 'memory' as const, store: '/tmp/x.db' };
      expect(storeAsGiven(options, 'env').store).to.equal('/tmp/x.db');
      expect(storeAsGiven({ ...options, out: 'o.jsonl' }, 'env').store).to.equal(undefined);
      expect(storeAsGiven({ ...options, backend: 'emulator' }, 'env').store).to.equal(undefined);
      expect(storeAsGiven({ ...options, out: 'o.jsonl' }, 'cli').store).to.equal('/tmp/x.db');
      expect(storeAsGiven({ ...options, store: '' }, 'env').store).to.equal(undefined);
    });

    it('gives way to the AWS target flags in ui, where --store on the command line does not', async () => {
      // A table name DynamoDB would refuse: the page never starts, and the error shows which way was taken.
      const fromEnvironment = await runCli(['ui', '--table', 'no such table!', '--port', '0'], {
        env: { LOGBATCH_STORE: path.join(directory, 'ui-env.db'), LOGBATCH_QUEUE_URL: '', LOGBATCH_DLQ_URL: '' },
      });
      const fromCommandLine = await runCli(['ui', '--store', path.join(directory, 'ui.db'), '--table', 'logs', '--port', '0']);

      // The stack's configuration is what is wrong, not a choice between it and a store the user never named.
      expect(fromEnvironment.code).to.equal(2);
      expect(fromEnvironment.stderr).not.to.match(/--store/);
      expect(fromEnvironment.stderr).to.equal('logbatch: invalid configuration: --table must be a DynamoDB table name: 3-255 letters, digits, "_", "-" or "."\n');
      expect(fromCommandLine.code).to.equal(2);
      expect(fromCommandLine.stderr).to.equal('logbatch: --store and the AWS target flags: choose one\n');
    });
  });

  it('refuses --reprocess without a store, in one line with exit 2 (it did nothing there)', async () => {
    const result = await runCli(['run', file, '--reprocess'], { env: { LOGBATCH_STORE: '' } });

    expect(result.code).to.equal(2);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.equal('logbatch: --reprocess replaces the batches a --store holds; a run without a store runs every file anyway\n');
  });

  it('matches a relative --format-rule glob against the paths as typed, relative to the working directory', async () => {
    const logs = path.join(directory, 'rules');
    for (const folder of ['nginx', 'other']) {
      await mkdir(path.join(logs, folder), { recursive: true });
      await writeFile(path.join(logs, folder, 'a.txt'), 'hello\nworld\nthree\n');
    }
    const formats = async (args: readonly string[], cwd: string) => {
      const result = await runCli(['run', ...args, '--json'], { cwd });
      expect(result.code, result.stderr).to.equal(0);
      return (JSON.parse(result.stdout) as { batches: Array<{ source: string; format: string }> }).batches.map((batch) => [path.relative(logs, batch.source), batch.format]);
    };

    expect(await formats(['nginx', 'other', '--format-rule', 'nginx/**=combined'], logs)).to.deep.equal([['nginx/a.txt', 'combined'], ['other/a.txt', 'text']]);
    // From another directory the same glob names other paths; `**/` and absolute globs match wherever the files are.
    expect(await formats(['rules/nginx', '--format-rule', 'nginx/**=combined'], directory)).to.deep.equal([['nginx/a.txt', 'text']]);
    expect(await formats(['rules/nginx', '--format-rule', '**/nginx/*.txt=clf'], directory)).to.deep.equal([['nginx/a.txt', 'clf']]);
    expect(await formats(['rules/nginx', '--format-rule', `${logs}/nginx/*=clf`], directory)).to.deep.equal([['nginx/a.txt', 'clf']]);
  });

  it('shows the defaults of --concurrency, --max-chunk-bytes and --max-chunk-lines in run --help', async () => {
    const result = await runCli(['run', '--help'], { env: { COLUMNS: '400' } });
    const help = result.stdout.replace(/\s+/g, ' ');

    expect(result.code).to.equal(0);
    expect(help).to.include(`--max-chunk-bytes <n> byte budget of one chunk message, 1024 to 1048576 (default: ${DEFAULT_MAX_CHUNK_BYTES})`);
    expect(help).to.include(`--max-chunk-lines <n> lines per chunk at most, 1 = one message per line (default: ${DEFAULT_MAX_CHUNK_LINES})`);
    expect(help).to.include('--concurrency <n> worker invocations in flight, at most 64 (default: 2 on the memory backend, 4 on the emulator)');
  });
});
