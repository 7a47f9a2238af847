import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT, runCli, runProcess, type CliResult } from '../helpers/cli.js';

const BIN = path.join(PROJECT_ROOT, 'bin/logbatch.js');

/** The status a shell reports for a command killed by SIGPIPE (128 + 13), as `seq 1 1000000 | head -1` gives. */
const EXIT_BROKEN_PIPE = 141;

/**
 * Runs `logbatch` with its stdout a pipe whose reader has already gone, as under `| head -1` once head has exited:
 * every write to stdout (or to `--out /dev/stdout`) fails with EPIPE.
 */
function runCliIntoClosedPipe(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: '', stderr });
    });
  });
}

/** Runs a bash script (`$0`, `$@` are `args`) from the project root. */
function runBash(script: string, args: readonly string[]): Promise<CliResult> {
  return runProcess(['/bin/bash', '-c', script, ...args]);
}

describe('logbatch output failures', function () {
  this.timeout(60_000);
  let directory: string;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-output-failures-'));
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe('a reader that goes away', () => {
    let store: string;

    before(async () => {
      store = path.join(directory, 'store.db');
      const made = await runCli(['run', 'examples/app.jsonl', 'examples/access.log', '--store', store]);
      expect(made.code, made.stderr).to.equal(0);
    });

    it('ends run quietly with 141 when stdout is closed before the summary', async () => {
      const result = await runCliIntoClosedPipe(['run', 'examples/app.jsonl']);

      expect(result).to.deep.include({ code: EXIT_BROKEN_PIPE, stderr: '' });
    });

    it('ends run quietly with 141 when --out /dev/stdout is closed', async function () {
      if (!existsSync('/bin/bash')) this.skip();
      // Node's child stdout is a socket, which /dev/stdout cannot open: bash gives logbatch a real pipe, whose reader
      // (true) has exited by the time logbatch starts, and prints logbatch's exit status.
      const script = '{ sleep 0.2; exec "$0" "$@"; } | true; echo "${PIPESTATUS[0]}"';

      const result = await runBash(script, [process.execPath, BIN, 'run', 'examples/app.jsonl', '--out', '/dev/stdout']);

      expect(result).to.deep.include({ code: 0, stdout: `${EXIT_BROKEN_PIPE}\n`, stderr: '' });
    });

    it('ends query --json quietly with 141 when stdout is closed', async () => {
      const result = await runCliIntoClosedPipe(['query', '--store', store, '--json']);

      expect(result).to.deep.include({ code: EXIT_BROKEN_PIPE, stderr: '' });
    });

    it('ends batches --json quietly with 141 when stdout is closed', async () => {
      const result = await runCliIntoClosedPipe(['batches', '--store', store, '--json']);

      expect(result).to.deep.include({ code: EXIT_BROKEN_PIPE, stderr: '' });
    });
  });

  describe('run --out', () => {
    it('names the file and the write error when the file outgrows the size limit (ulimit -f) before close', async function () {
      if (!existsSync('/bin/bash')) this.skip();
      const input = path.join(directory, 'big.log');
      await writeFile(input, Array.from({ length: 20_000 }, (_, index) => `line number ${index + 1}\n`).join(''));
      const out = path.join(directory, 'limited.jsonl');

      // 100 blocks of 1 KiB: about a fifth of the entries fit; bash's ulimit -f counts in KiB.
      const result = await runBash('ulimit -f 100 && exec "$0" "$@"', [process.execPath, BIN, 'run', input, '--out', out]);

      expect(result.code).to.equal(1);
      expect(result.stderr).to.equal(`logbatch: OUTPUT_WRITE_FAILED: ${out}: EFBIG: file too large, write\n`);
    });
  });
});
