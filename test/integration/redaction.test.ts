import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { parseFormatRules } from '../../src/domain/parsing/key-rules.js';
import { createEmulatorClients } from '../../src/local/emulator-stack.js';
import { runCli } from '../helpers/cli.js';
import { createEmulatorPipeline, type EmulatorPipeline } from '../helpers/emulator-pipeline.js';
import { logFile } from '../helpers/memory-pipeline.js';
import { leakedSecrets, PLANTED_SECRET_STRINGS, SECRET_FIXTURE_FILES } from '../helpers/secrets-fixture.js';

/** Text that must survive redaction untouched (ids and hashes are not keys). */
const KEPT = ['3E57427F3EXAMPLE', '4bf92f3577b34da6a3ce929d0e0e4736', '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12', 'db.internal:5432/orders'];

describe('redaction of the secrets fixture (issue 14)', function () {
  this.timeout(240_000);

  describe('logbatch run --out on the memory backend, with the defaults', () => {
    let directory: string;
    const outputs: Record<string, { stdout: string; out: string; code: number | null }> = {};

    before(async () => {
      directory = await mkdtemp(path.join(tmpdir(), 'logbatch-secrets-'));
      await Promise.all(
        Object.entries(SECRET_FIXTURE_FILES).map(async ([name, { format, lines }]) => {
          const input = path.join(directory, name);
          const out = path.join(directory, `${name}.out.jsonl`);
          await writeFile(input, logFile(lines));
          const result = await runCli(['run', input, '--format', format, '--json', '--out', out], { timeoutMs: 120_000 });
          outputs[name] = { stdout: result.stdout, code: result.code, out: await readFile(out, 'utf8').catch(() => '') };
        }),
      );
    });
    after(async () => rm(directory, { recursive: true, force: true }));

    for (const name of Object.keys(SECRET_FIXTURE_FILES)) {
      it(`stores no planted secret anywhere in the entries of ${name}`, () => {
        const { out, code } = outputs[name];

        expect(code).to.equal(0);
        expect(out.length).to.be.greaterThan(0);
        expect(leakedSecrets(out)).to.deep.equal([]);
      });
    }

    it('counts redacted entries in the totals and each entry its redactions by kind', () => {
      const summary = JSON.parse(outputs['app.log'].stdout) as { totals: Record<string, number> };
      const entries = outputs['app.log'].out.trim().split('\n').map((line) => JSON.parse(line) as { body: string; redactions?: Record<string, number> });
      const trace = entries.find((entry) => entry.body.includes('failed to load the signing key'));

      expect(summary.totals.redacted).to.equal(entries.filter((entry) => entry.redactions !== undefined).length);
      expect(summary.totals.redacted).to.equal(8);
      expect(trace?.redactions).to.deep.equal({ 'private-key': 1 });
      expect(trace?.body).to.include('[REDACTED:private-key]').and.include('\tat com.example.keys.KeyLoader.load');
    });

    it('keeps request ids, trace ids, hashes and hosts as they are', () => {
      const all = Object.values(outputs).map((output) => output.out).join('\n');

      for (const kept of KEPT) expect(all, kept).to.include(kept);
    });

    it('stores no planted secret in a SQLite store, raw lines included (run --store, every row scanned)', async () => {
      const store = path.join(directory, 'secrets.db');
      const rules = Object.entries(SECRET_FIXTURE_FILES).flatMap(([name, { format }]) => ['--format-rule', `**/${name}=${format}`]);

      const result = await runCli(['run', ...Object.keys(SECRET_FIXTURE_FILES).map((name) => path.join(directory, name)), ...rules, '--store', store], { timeoutMs: 120_000 });
      const db = new Database(store, { readonly: true });
      const rows = db.prepare('SELECT * FROM entries').all() as { raw: string | null; format: string }[];
      db.close();
      const withRaw = rows.filter((row) => row.raw !== null);

      expect(result.code, result.stderr).to.equal(0);
      expect(new Set(rows.map((row) => row.format))).to.include.keys('json', 'logfmt', 'syslog');
      expect(leakedSecrets(JSON.stringify(rows))).to.deep.equal([]);
      expect(withRaw.length).to.be.greaterThan(10);
      expect(withRaw.filter((row) => row.raw!.includes('[REDACTED:')).length).to.be.greaterThan(5);
    });

    it('stores the secrets as they are with --no-redact (the scan would see them)', async () => {
      const input = path.join(directory, 'app.log');
      const out = path.join(directory, 'no-redact.jsonl');

      const result = await runCli(['run', input, '--format', 'text', '--no-redact', '--json', '--out', out]);
      const stored = await readFile(out, 'utf8');

      expect(result.code).to.equal(0);
      expect(JSON.parse(result.stdout).totals.redacted).to.equal(0);
      expect(leakedSecrets(stored)).to.have.length(10);
    });
  });

  describe('the emulator backend (DynamoDB Local items scanned raw)', () => {
    let pipeline: EmulatorPipeline;
    const formats = [...new Set(Object.values(SECRET_FIXTURE_FILES).map((file) => file.format))];

    before(async () => {
      pipeline = await createEmulatorPipeline({
        label: 'secrets',
        settings: { formatRules: parseFormatRules(formats.map((format) => `${format}/**=${format}`)) },
      });
      const uploads = await Promise.all(
        Object.entries(SECRET_FIXTURE_FILES).map(([name, { format, lines }]) => pipeline.upload(`${format}/${name}`, logFile(lines))),
      );
      await pipeline.run(uploads);
    });
    after(async () => pipeline?.cleanup());

    it('has no planted secret in any item of the table', async () => {
      const dynamodb = createEmulatorClients(pipeline.stack.endpoints).dynamodb;
      const items: unknown[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await dynamodb.send(new ScanCommand({ TableName: pipeline.names.tableName, ExclusiveStartKey: start as never }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      const text = JSON.stringify(items);

      expect(items.length).to.be.greaterThan(20);
      expect(text).to.include('[REDACTED:');
      expect(leakedSecrets(text)).to.deep.equal([]);
      for (const kept of KEPT) expect(text, kept).to.include(kept);
    });

    it('counts the redacted entries in each batch', async () => {
      const batches = await pipeline.repository.listBatches();

      expect(batches).to.have.length(Object.keys(SECRET_FIXTURE_FILES).length);
      for (const batch of batches) {
        expect(batch.stats.redacted, batch.source.key).to.be.greaterThan(0);
        expect(batch.stats.entries + batch.stats.blank + batch.stats.continuation + batch.stats.filtered).to.equal(batch.stats.lines);
      }
    });
  });

  it('plants every secret it claims to (the scan is not vacuous)', () => {
    const all = Object.values(SECRET_FIXTURE_FILES).flatMap((file) => file.lines).join('\n');

    expect(leakedSecrets(all)).to.deep.equal(PLANTED_SECRET_STRINGS);
  });
});
