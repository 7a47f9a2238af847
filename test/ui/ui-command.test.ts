import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { BatchesResponse } from '../../src/ui/api-types.js';
import { PROJECT_ROOT, runCli } from '../helpers/cli.js';

/** Starts `logbatch ui ...`, resolves with its URL once printed; `stop()` sends SIGINT and waits for the exit. */
function startUi(args: readonly string[], env: Record<string, string> = {}, stdin?: string) {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/logbatch.js'), 'ui', ...args], { cwd: PROJECT_ROOT, env: { ...process.env, FORCE_COLOR: '0', ...env } });
  if (stdin !== undefined) child.stdin.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      const match = /logbatch ui: (http:\/\/\S+)/.exec(stdout);
      if (match !== null) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`ui exited ${code}: ${stderr}`)));
  });
  return {
    url,
    output: () => ({ stdout, stderr }),
    async stop() {
      child.kill('SIGINT');
      return exited;
    },
  };
}

describe('logbatch ui (the command)', function () {
  this.timeout(120_000);
  let directory: string;
  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-ui-cli-'));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('runs FILEs in memory while serving them, and stops cleanly on Ctrl-C', async () => {
    const file = path.join(directory, 'app.jsonl');
    await writeFile(file, `${Array.from({ length: 500 }, (_, index) => JSON.stringify({ level: index % 5 === 0 ? 'error' : 'info', msg: `line ${index + 1}` })).join('\n')}\n`);
    const ui = startUi([file, '--port', '0', '--max-chunk-lines', '50']);
    const url = await ui.url;

    let listed: BatchesResponse;
    do {
      listed = (await (await fetch(new URL('/api/batches', url))).json()) as BatchesResponse;
    } while (listed.live || listed.batches[0]?.status !== 'COMPLETED');
    const exitCode = await ui.stop();

    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(listed.backend).to.equal('memory');
    expect(listed.batches[0]).to.deep.include({ totalChunks: 10, processedChunks: 10 });
    expect(listed.batches[0].stats.entries).to.equal(500);
    expect(exitCode).to.equal(0);
    expect(ui.output().stdout).to.match(/run finished; still serving/);
    expect(ui.output().stdout).to.match(/logbatch ui: stopped \(SIGINT\)/);
    expect(ui.output().stderr).to.equal('');
  });

  it('says a port in use in one line on stderr and exits 2', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const file = path.join(directory, 'one.log');
      await writeFile(file, 'hello\n');
      const result = await runCli(['ui', file, '--port', String(port)]);

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal(`logbatch: port ${port} on 127.0.0.1 is in use: choose another with --port\n`);
      expect(result.stdout).to.equal('');
    } finally {
      blocker.close();
    }
  });

  it('asks for something to show, in one line with exit 2', async () => {
    const result = await runCli(['ui', '--port', '0'], { env: { LOGBATCH_TABLE_NAME: '', LOGBATCH_STORE: '' } });

    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/^logbatch: nothing to show: give FILEs to run, --store PATH/);
  });

  it('serves a DynamoDB table given the table alone; the dead letters and their redrive answer 503 naming the missing flags', async () => {
    // Nothing listens on port 9: the page starts without reaching AWS, and the DLQ calls fail before any request.
    const aws = { LOGBATCH_STORE: '', LOGBATCH_TABLE_NAME: '', LOGBATCH_QUEUE_URL: '', LOGBATCH_DLQ_URL: '', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' };
    const ui = startUi(['--table', 'logs', '--region', 'eu-west-1', '--endpoint-url', 'http://127.0.0.1:9', '--port', '0'], aws);
    const url = await ui.url;
    const deadLetters = await fetch(new URL('/api/dlq', url));
    const redrive = await fetch(new URL('/api/dlq/redrive', url), { method: 'POST', headers: { origin: url.replace(/\/$/, ''), 'content-type': 'application/json' }, body: '{}' });
    const deadLettersBody = (await deadLetters.json()) as { error: string };
    const redriveBody = (await redrive.json()) as { error: string };
    await ui.stop();

    expect(deadLetters.status).to.equal(503);
    expect(deadLettersBody.error).to.match(/LOGBATCH_DLQ_URL is required/).and.to.match(/--dlq-url/);
    expect(redrive.status).to.equal(503);
    expect(redriveBody.error).to.match(/LOGBATCH_QUEUE_URL is required/);
    expect(ui.output().stderr).to.equal('');
  });

  it('stops serving a store that was removed and replaced at its path: 503 saying so, not the old file under the new name', async () => {
    const store = path.join(directory, 'replaced.db');
    const first = path.join(directory, 'first.jsonl');
    const second = path.join(directory, 'second.jsonl');
    await writeFile(first, '{"msg":"one"}\n{"msg":"two"}\n');
    await writeFile(second, '{"msg":"other"}\n');
    expect((await runCli(['run', first, '--store', store])).code).to.equal(0);
    const ui = startUi(['--store', store, '--port', '0'], { LOGBATCH_STORE: '' });
    const url = await ui.url;
    const before = await fetch(new URL('/api/batches', url));
    const beforeBody = (await before.json()) as BatchesResponse;

    await Promise.all(['', '-wal', '-shm'].map((suffix) => rm(`${store}${suffix}`, { force: true })));
    expect((await runCli(['run', second, '--store', store])).code).to.equal(0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await fetch(new URL('/api/batches', url));
    const afterBody = (await after.json()) as { error: string };
    const redrive = await fetch(new URL('/api/dlq/redrive', url), { method: 'POST', headers: { origin: url.replace(/\/$/, ''), 'content-type': 'application/json' }, body: '{}' });
    await redrive.arrayBuffer();
    await ui.stop();

    expect(before.status).to.equal(200);
    expect(beforeBody.batches.map((batch) => path.basename(batch.source.key))).to.deep.equal(['first.jsonl']);
    expect(after.status).to.equal(503);
    expect(afterBody.error).to.equal(`the store ${store} was removed or replaced after logbatch ui opened it: restart logbatch ui to serve what is there now`);
    expect(redrive.status).to.equal(503);
  });

  it('runs - (standard input) and shows it, its copy removed when ui stops', async () => {
    const ui = startUi(['-', '--port', '0'], {}, '{"level":"error","msg":"piped in"}\nplain\n');
    const url = await ui.url;
    let batches: Array<{ source: { key: string }; stats: { entries: number }; status: string }> = [];
    for (let attempt = 0; attempt < 50 && batches[0]?.status !== 'COMPLETED'; attempt++) {
      batches = ((await (await fetch(new URL('/api/batches', url))).json()) as { batches: typeof batches }).batches;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const copy = path.dirname(batches[0].source.key);
    await ui.stop();

    expect(batches.map((batch) => [batch.status, batch.stats.entries])).to.deep.equal([['COMPLETED', 2]]);
    expect(ui.output().stdout).to.match(/^-\s+COMPLETED/m);
    expect(existsSync(copy)).to.equal(false);
  });

  it('generates an access token for a non-loopback --host and requires it', async () => {
    const file = path.join(directory, 'two.log');
    await writeFile(file, 'hello\n');
    const ui = startUi([file, '--port', '0', '--host', '0.0.0.0']);
    const url = await ui.url;
    const token = new URL(url).searchParams.get('token') ?? '';
    const base = `http://127.0.0.1:${new URL(url).port}`;

    const without = await fetch(`${base}/api/batches`);
    const withToken = await fetch(`${base}/api/batches`, { headers: { Authorization: `Bearer ${token}` } });
    // The URL printed names an address of this machine, not 0.0.0.0, and opens the page.
    const printed = await fetch(url, { redirect: 'manual' });
    await ui.stop();

    expect(new URL(url).hostname).to.not.equal('0.0.0.0');
    expect(printed.status).to.equal(303);
    expect(token).to.match(/^[\w-]{32}$/);
    expect(without.status).to.equal(401);
    expect(withToken.status).to.equal(200);
  });

  it('prints the URL with LOGBATCH_UI_TOKEN percent-encoded, so that opening it lets the browser in', async () => {
    const file = path.join(directory, 'three.log');
    await writeFile(file, 'hello\n');
    const token = 'x+y&z#w %/é';
    const ui = startUi([file, '--port', '0'], { LOGBATCH_UI_TOKEN: token });
    const url = await ui.url;

    const printed = await fetch(url, { redirect: 'manual' });
    const cookie = (printed.headers.get('set-cookie') ?? '').split(';')[0];
    const withCookie = await fetch(new URL('/api/batches', url), { headers: { Cookie: cookie } });
    await ui.stop();

    expect(new URL(url).searchParams.get('token')).to.equal(token);
    expect(new URL(url).hash).to.equal('');
    expect(printed.status).to.equal(303);
    expect(withCookie.status).to.equal(200);
  });
});
