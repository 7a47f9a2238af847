import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openLocalStore } from '../../src/local/local-store.js';
import { type CliResult, runCli } from '../helpers/cli.js';

/** What must never reach a terminal raw (a newline only ends a line). */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const EVIL_NAME = 'evil\x1b[2J\x1b]0;FILETITLE\x07.log';
const ESCAPED_NAME = 'evil\\x1b[2J\\x1b]0;FILETITLE\\x07.log';
const BODIES = [
  'red \x1b[31mALERT\x1b[0m text',
  'title \x1b]0;PWNED-TITLE\x07 done',
  'clear \x1b[2J screen',
  'overwrite\rHIDDEN',
  'back\b\b\bXX',
  'bidi \u202eevil\u202c end, c1 \u009b31m, del \x7f',
];

describe('human-readable output escapes control characters from logs, keys and file names', function () {
  this.timeout(60_000);
  let directory: string;
  let store: string;
  let run: CliResult;
  let evilBatch: string;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-terminal-'));
    store = path.join(directory, 't.db');
    const lines = BODIES.map((msg, index) => JSON.stringify({ level: 'info', time: `2026-01-01T00:00:0${index}Z`, msg }));
    await writeFile(path.join(directory, 'esc.log'), `${lines.join('\n')}\n`);
    await writeFile(path.join(directory, EVIL_NAME), 'hello\nworld\n');
    run = await runCli(['run', 'esc.log', EVIL_NAME, '--store', store], { cwd: directory });
    const batches = JSON.parse((await runCli(['batches', '--store', store, '--json'])).stdout) as Array<{ batchId: string; source: { key: string } }>;
    evilBatch = batches.find((batch) => batch.source.key.endsWith(EVIL_NAME))!.batchId;
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('run: the summary shows the file name escaped, in line with the other rows', () => {
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.not.match(UNSAFE);
    const rows = run.stdout.split('\n').filter((line) => line.includes('COMPLETED'));
    expect(rows.map((row) => row.indexOf('COMPLETED'))).to.deep.equal([rows[0].indexOf('COMPLETED'), rows[0].indexOf('COMPLETED')]);
    expect(rows[1]).to.match(new RegExp(`^${ESCAPED_NAME.replace(/[\\[\]().]/g, '\\$&')}\\s+COMPLETED`));
  });

  it('query: bodies and source names escaped; --json keeps them exact', async () => {
    const [table, json] = await Promise.all([runCli(['query', '--store', store], { cwd: directory }), runCli(['query', '--store', store, '--json'])]);

    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.not.match(UNSAFE);
    expect(table.stdout).to.include('red \\x1b[31mALERT\\x1b[0m text');
    expect(table.stdout).to.include('title \\x1b]0;PWNED-TITLE\\x07 done');
    expect(table.stdout).to.include('overwrite\\rHIDDEN');
    expect(table.stdout).to.include('back\\x08\\x08\\x08XX');
    expect(table.stdout).to.include('bidi \\u202eevil\\u202c end, c1 \\u009b31m, del \\x7f');
    expect(table.stdout).to.include(`${ESCAPED_NAME}:1`);
    const bodies = json.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { body: string }).body);
    expect(bodies).to.include.members([...BODIES, 'hello', 'world']);
  });

  it('query: the next-page command quotes a store name with control characters as $\'…\'', async () => {
    const evilStore = path.join(directory, 'st\x1b[1m.db');
    await runCli(['run', 'esc.log', '--store', evilStore], { cwd: directory });
    const page = await runCli(['query', '--store', 'st\x1b[1m.db', '--limit', '1'], { cwd: directory });

    expect(page.code, page.stderr).to.equal(0);
    expect(page.stdout).to.not.match(UNSAFE);
    expect(page.stdout).to.match(/^more: logbatch query --store \$'st\\x1b\[1m\.db' --limit 1 --cursor [\w-]+$/m);
  });

  it('status and batches: the source escaped; --json exact', async () => {
    const [status, batches, json] = await Promise.all([
      runCli(['status', evilBatch, '--store', store]),
      runCli(['batches', '--store', store]),
      runCli(['status', evilBatch, '--store', store, '--json']),
    ]);

    for (const result of [status, batches]) {
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.not.match(UNSAFE);
      expect(result.stdout).to.include(ESCAPED_NAME);
    }
    expect((JSON.parse(json.stdout) as { source: { key: string } }).source.key).to.equal(path.join(directory, EVIL_NAME));
    // A local file is shown by its path, not as s3://local//path.
    expect(status.stdout).to.match(new RegExp(`^source\\s+${path.join(directory, ESCAPED_NAME).replace(/[\\[\]().]/g, '\\$&')}$`, 'm'));
    expect(batches.stdout).to.not.include('s3://');
  });

  it('dlq list: the batch column escaped as well as the reason', async () => {
    const dlqStore = path.join(directory, 'dlq.db');
    const opened = await openLocalStore(dlqStore);
    try {
      const body = JSON.stringify({ v: 2, batchId: 'b\x1b]0;DLQ-TITLE\x07x', chunk: 0, firstLine: 1, source: { bucket: 'local', key: 'k', etag: 'e' }, format: 'text', lines: ['x'] });
      opened.deadLetterStore.add({ messageId: 'm1', body, reason: 'bad \x1b[2J reason', receiveCount: 1 });
    } finally {
      opened.close();
    }
    const [list, json] = await Promise.all([runCli(['dlq', 'list', '--store', dlqStore]), runCli(['dlq', 'list', '--store', dlqStore, '--json'])]);

    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.not.match(UNSAFE);
    expect(list.stdout).to.match(/^b\\x1b\]0;DLQ-TITLE\\x07x\s+0\s+-\s+bad \\x1b\[2J reason$/m);
    expect(JSON.parse(json.stdout)).to.deep.equal([{ messageId: 'm1', reason: 'bad \x1b[2J reason', receiveCount: 1, batchId: 'b\x1b]0;DLQ-TITLE\x07x', chunk: 0 }]);
  });
});
