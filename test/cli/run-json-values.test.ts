import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { LogEntry } from '../../src/domain/log-entry.js';
import { runCli } from '../helpers/cli.js';

/** Issue 17: JSON values `--out` used to lose (a 10,000-level line and its neighbours) or change (big numbers). */
describe('logbatch run', function () {
  // Every test starts the command in its own process: a busy CI machine once took over 20 s to run one.
  this.timeout(60_000);
  let directory: string;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-cli-json-'));
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function entriesIn(file: string): Promise<LogEntry[]> {
    return (await readFile(file, 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogEntry);
  }

  describe('--out', () => {
    it('writes all 6 entries when line 4 nests lists 10,000 levels deep, the deep one cut at 16 levels and marked', async () => {
      const file = path.join(directory, 'deep.jsonl');
      const out = path.join(directory, 'deep-entries.jsonl');
      const deep = `{"msg":"deep","a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
      const ordinary = (lineNumber: number) => JSON.stringify({ level: 'info', msg: `line ${lineNumber}` });
      await writeFile(file, `${[ordinary(1), ordinary(2), ordinary(3), deep, ordinary(5), ordinary(6)].join('\n')}\n`);

      const result = await runCli(['run', file, '--out', out, '--json']);
      const entries = await entriesIn(out);

      expect(result.code).to.equal(0);
      expect(JSON.parse(result.stdout).batches[0]).to.deep.include({ status: 'COMPLETED', entries: 6, unparsed: 0 });
      expect(entries.map((entry) => entry.lineNumber).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6]);
      const fourth = entries.find((entry) => entry.lineNumber === 4)!;
      expect(fourth).to.deep.include({ body: 'deep', format: 'json' });
      expect(fourth.parseError).to.equal(undefined);
      expect(fourth.attributes['log.json.depth_limited']).to.equal(true);
      let value: unknown = fourth.attributes.a;
      for (let level = 1; level < 16; level++) value = (value as unknown[])[0];
      expect(value).to.deep.equal([`${'['.repeat(10_000 - 16)}${']'.repeat(10_000 - 16)}`]);
    });

    it('keeps big, overflowing, underflowing and negative-zero numbers as their exact source text', async () => {
      const file = path.join(directory, 'numbers.jsonl');
      const out = path.join(directory, 'numbers-entries.jsonl');
      await writeFile(file, '{"id":12345678901234567890,"f":1e400,"neg":-0,"small":1e-400,"ok":0.1,"msg":"numbers"}\n');

      const result = await runCli(['run', file, '--out', out]);
      const [entry] = await entriesIn(out);

      expect(result.code).to.equal(0);
      expect(entry.attributes).to.deep.equal({ id: '12345678901234567890', f: '1e400', neg: '-0', small: '1e-400', ok: 0.1 });
    });
  });
});
