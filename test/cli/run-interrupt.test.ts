import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT, runCli } from '../helpers/cli.js';

const BIN = path.join(PROJECT_ROOT, 'bin/logbatch.js');

interface Ended {
  /** What a shell reports as `$?`: the exit code, or 128 + the signal's number for a process a signal ended. */
  readonly status: number;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `logbatch ARGS` in its own process (stdin, stdout, stderr pipes). */
function start(command: string, args: readonly string[], env: Record<string, string> = {}) {
  const child: ChildProcessWithoutNullStreams = spawn(command, args, { cwd: PROJECT_ROOT, env: { ...process.env, FORCE_COLOR: '0', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  const ended = new Promise<Ended>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ status: code ?? 128 + constants.signals[signal as NodeJS.Signals], signal, stdout, stderr });
    });
  });
  return { child, ended, output: () => ({ stdout, stderr }) };
}

const startCli = (args: readonly string[], env: Record<string, string> = {}) => start(process.execPath, [BIN, ...args], env);

/** Resolves once `condition` holds (checked every 20 ms); rejects after `timeoutMs`, or at once if `ended` comes first. */
async function waitUntil(condition: () => boolean, ended: Promise<Ended>, what: string, timeoutMs = 60_000): Promise<void> {
  let over: Ended | undefined;
  void ended.then((result) => (over = result));
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (over !== undefined) throw new Error(`ended (${over.status}) before ${what}: ${over.stderr}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('logbatch run, interrupted (SIGINT, SIGTERM)', function () {
  this.timeout(180_000);
  let directory: string;
  /** ~30 MB: over the 20 MB a progress bar needs, and several seconds of work. */
  let bigFile: string;
  const bigLines = 300_000;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-interrupt-'));
    bigFile = path.join(directory, 'big.jsonl');
    const lines = Array.from({ length: bigLines }, (_, index) =>
      JSON.stringify({ time: '2026-11-26T09:00:00Z', level: index % 7 === 0 ? 'error' : 'info', msg: `request ${index + 1} handled in ${index % 300} ms`, user: `u${index % 1000}` }),
    );
    await writeFile(bigFile, `${lines.join('\n')}\n`);
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  for (const [signal, status] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`ends of ${signal} (status ${status}) with one line on stderr saying the run was interrupted, and no summary`, async () => {
      const out = path.join(directory, `out-${signal}.jsonl`);
      const run = startCli(['run', bigFile, '--out', out, '--no-progress']);
      await waitUntil(() => sizeOf(out) > 0, run.ended, 'entries in --out');
      run.child.kill(signal);
      const ended = await run.ended;

      expect(ended.status).to.equal(status);
      expect(ended.signal).to.equal(signal);
      expect(ended.stderr).to.equal(`logbatch: interrupted (${signal}) before the run finished; ${out} holds only the entries written until then\n`);
      expect(ended.stdout).to.equal('');
      const written = (await readFile(out, 'utf8')).split('\n').length - 1;
      expect(written).to.be.below(bigLines);
    });
  }

  it('leaves a --store run as a stopped run leaves it: the next run reports it not finished, and --reprocess runs it whole', async () => {
    const file = path.join(directory, 'store-input.jsonl');
    await writeFile(file, (await readFile(bigFile, 'utf8')).split('\n').slice(0, 100_000).join('\n') + '\n');
    const store = path.join(directory, 'interrupted.db');
    const run = startCli(['run', file, '--store', store, '--no-progress']);
    // Entries are being committed: the write-ahead log grows.
    await waitUntil(() => sizeOf(`${store}-wal`) > 256 * 1024, run.ended, 'entries in the store');
    run.child.kill('SIGINT');
    const ended = await run.ended;

    expect(ended.status).to.equal(130);
    expect(ended.stderr).to.equal(
      `logbatch: interrupted (SIGINT) before the run finished; ${store} keeps its batches as far as they got, reported as not finished: --reprocess runs them again\n`,
    );

    const again = await runCli(['run', file, '--store', store, '--json'], { timeoutMs: 100_000 });
    expect(again.code, again.stderr).to.equal(1);
    const [left] = JSON.parse(again.stdout).alreadyProcessed;
    expect(left.status).to.be.oneOf(['SPLITTING', 'SPLIT']);
    expect(left.interrupted.processedChunks).to.be.a('number');

    const reprocessed = await runCli(['run', file, '--store', store, '--reprocess', '--json'], { timeoutMs: 100_000 });
    expect(reprocessed.code, reprocessed.stderr).to.equal(0);
    const summary = JSON.parse(reprocessed.stdout);
    expect(summary.batches[0]).to.deep.include({ status: 'COMPLETED', totalLines: 100_000, entries: 100_000 });
    expect(summary.alreadyProcessed).to.deep.equal([]);
  });

  it('on a terminal, Ctrl-C erases the progress bar, shows the cursor again and leaves line wrapping on', async function () {
    if (!hasScript()) this.skip();
    const out = path.join(directory, 'out-tty.jsonl');
    // util-linux `script` runs the command on a pseudo-terminal; ^C typed into it is the terminal's Ctrl-C.
    const command = `stty cols 100 rows 30; exec '${process.execPath}' '${BIN}' run '${bigFile}' --out '${out}'`;
    const run = start('script', ['-qefc', command, '/dev/null'], { SHELL: '/bin/sh' });
    await waitUntil(() => /\d+% \| \d+\/\d+ MB read/.test(run.output().stdout), run.ended, 'a progress bar');
    run.child.stdin.write('\x03');
    const ended = await run.ended;
    const terminal = ended.stdout;
    const afterBar = terminal.slice(terminal.lastIndexOf('MB read'));

    expect(ended.status).to.equal(130);
    // The bar hid the cursor; the last word on it is to show it again.
    expect(terminal).to.include('\x1b[?25l');
    expect([...terminal.matchAll(/\x1b\[\?25([hl])/g)].at(-1)?.[1]).to.equal('h');
    // Line wrapping is never left off.
    expect([...terminal.matchAll(/\x1b\[\?7([hl])/g)].at(-1)?.[1] ?? 'h').to.equal('h');
    // After the last bar: erased (from the start of its line to the end of the screen), then the one line.
    expect(afterBar).to.match(/\r\x1b\[J\x1b\[\?25h/);
    expect(afterBar).to.match(
      new RegExp(`\\r\\x1b\\[Klogbatch: interrupted \\(SIGINT\\) before the run finished; ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds only the entries written until then\\r\\n$`),
    );
    expect(afterBar).not.to.match(/\d+%/);
  });

  it('makes ui exit 130 when a run it started is interrupted, with its message on a line of its own', async () => {
    const ui = startCli(['ui', bigFile, '--port', '0']);
    await waitUntil(() => /serving .*Ctrl-C stops\n/.test(ui.output().stdout), ui.ended, 'the URL');
    ui.child.kill('SIGINT');
    const ended = await ui.ended;

    expect(ended.status).to.equal(130);
    expect(ended.stdout, JSON.stringify(ended)).to.match(/\nlogbatch ui: stopped \(SIGINT\); the run was interrupted\n$/);
  });
});
