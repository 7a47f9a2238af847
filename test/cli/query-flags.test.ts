import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { LogRepository } from '../../src/application/ports/log-repository.port.js';
import { awsModule } from '../../src/di/aws.module.js';
import { createContainer } from '../../src/di/container.js';
import { TOKENS } from '../../src/di/tokens.js';
import { createEmulatorClients } from '../../src/local/emulator-stack.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { isolatedResources } from '../helpers/emulators.js';
import { entryFactory, newBatchFactory } from '../helpers/factories.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

const lineNumbersOf = (result: CliResult): number[] =>
  result.stdout.trim() === '' ? [] : result.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { lineNumber: number }).lineNumber);

describe('logbatch query flags', function () {
  this.timeout(120_000);

  describe('on a store', () => {
    let directory: string;
    let store: string;
    let batchId: string;
    const query = (...args: string[]) => runCli(['query', '--store', store, ...args]);

    before(async () => {
      directory = await mkdtemp(path.join(tmpdir(), 'logbatch-query-flags-'));
      store = path.join(directory, 'q.db');
      const file = path.join(directory, 'levels.log');
      const lines = LEVELS.map((level, index) => JSON.stringify({ level, time: `2026-01-01T00:00:0${index}Z`, msg: `${level} line` }));
      await writeFile(file, `${lines.join('\n')}\n`);
      const run = await runCli(['run', file, '--store', store, '--json']);
      expect(run.code, run.stderr).to.equal(0);
      batchId = (JSON.parse(run.stdout) as { batches: Array<{ batchId: string }> }).batches[0].batchId;
    });

    after(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    it('--severity takes what run --min-severity takes: warning, any case, or a number from 1 to 24', async () => {
      const [warn, warning, upper, thirteen, fourteen, seventeen] = await Promise.all(
        ['warn', 'warning', 'WARNING', '13', '14', '17'].map((level) => query('--severity', level, '--json')),
      );

      for (const result of [warn, warning, upper, thirteen, fourteen, seventeen]) expect(result.code, result.stderr).to.equal(0);
      expect(lineNumbersOf(warn)).to.deep.equal([4, 5, 6]);
      for (const result of [warning, upper, thirteen]) expect(lineNumbersOf(result)).to.deep.equal([4, 5, 6]);
      // Numbers between the names are minimums as run --min-severity reads them: 14 is above WARN (13).
      expect(lineNumbersOf(fourteen)).to.deep.equal([5, 6]);
      expect(lineNumbersOf(seventeen)).to.deep.equal([5, 6]);
    });

    it('--severity with --count and in the human table takes them too', async () => {
      const [count, table] = await Promise.all([query('--severity', 'warning', '--count', '--json'), query('--severity', 'Warning')]);

      expect(JSON.parse(count.stdout)).to.deep.include({ total: 3 });
      expect(table.code, table.stderr).to.equal(0);
      expect(table.stdout).to.match(/WARN\s+\S*levels\.log:4\s+warn line/);
    });

    it('refuses an unknown --severity with one line naming what it takes, exit 2', async () => {
      for (const level of ['loud', '0', '25', '']) {
        const result = await query('--severity', level);
        expect(result.code, level).to.equal(2);
        expect(result.stdout).to.equal('');
        expect(result.stderr.trim().split('\n')).to.have.length(1);
        expect(result.stderr).to.match(/--severity.*trace, debug, info, warn, error, fatal or a number from 1 to 24/);
      }
    });

    it('refuses --since at or after --until (ages or instants) as backfill does: one line, exit 2', async () => {
      const ranges = [['2h', '3h'], ['2h', '3h', '--count'], ['2026-01-02', '2026-01-01', '--json'], ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z']];
      for (const [since, until, ...extra] of ranges) {
        const result = await query('--since', since, '--until', until, ...extra);
        expect(result.code, `${since} ${until}`).to.equal(2);
        expect(result.stdout).to.equal('');
        expect(result.stderr.trim()).to.equal('logbatch: --since must be before --until');
      }
      const ordered = await query('--since', '2026-01-01T00:00:02Z', '--until', '2026-01-01T00:00:04Z', '--json');
      expect(ordered.code, ordered.stderr).to.equal(0);
      expect(lineNumbersOf(ordered)).to.deep.equal([3, 4]);
    });

    it('says a --batch that does not exist does not, exit 2, as status does; an existing one is shown', async () => {
      for (const extra of [[], ['--count', '--json']]) {
        const result = await query('--batch', 'nosuch', ...extra);
        expect(result.code, extra.join(' ')).to.equal(2);
        expect(result.stdout).to.equal('');
        expect(result.stderr.trim()).to.equal('logbatch: no batch nosuch in this store');
      }
      const existing = await query('--batch', batchId, '--json');
      expect(existing.code, existing.stderr).to.equal(0);
      expect(lineNumbersOf(existing)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    });
  });

  describe('on DynamoDB Local', function () {
    this.timeout(120_000);
    let env: Record<string, string>;
    let cleanup: () => Promise<void>;
    let batchId: string;

    before(async () => {
      const { stack, names, cleanup: remove } = await isolatedResources('qflags');
      cleanup = remove;
      const config = { tableName: names.tableName, queueUrl: names.queueUrl, deadLetterQueueUrl: names.dlqUrl, pipeline: {} };
      const container = createContainer({ adapters: awsModule(config, { clients: createEmulatorClients(stack.endpoints) }), settings: config.pipeline });
      const repository = container.get<LogRepository>(TOKENS.LogRepository);
      const { batch } = await repository.createBatch(newBatchFactory());
      batchId = batch.batchId;
      await repository.putEntries([1, 2, 3].map((lineNumber) => entryFactory({ batchId, lineNumber, severityText: 'WARN', severityNumber: 13 })));
      env = { ...stack.environment, LOGBATCH_TABLE_NAME: names.tableName, LOGBATCH_QUEUE_URL: names.queueUrl, LOGBATCH_DLQ_URL: names.dlqUrl };
    });

    after(async () => {
      await cleanup?.();
    });

    it('says a --batch that does not exist does not, exit 2; an existing one is shown', async () => {
      const [missing, count, existing, warning] = await Promise.all([
        runCli(['query', '--batch', 'nosuch'], { env }),
        runCli(['query', '--batch', 'nosuch', '--count'], { env }),
        runCli(['query', '--batch', batchId, '--json'], { env }),
        runCli(['query', '--batch', batchId, '--severity', 'warning', '--json'], { env }),
      ]);

      for (const result of [missing, count]) {
        expect(result.code).to.equal(2);
        expect(result.stdout).to.equal('');
        expect(result.stderr.trim()).to.equal('logbatch: no batch nosuch in this table');
      }
      expect(existing.code, existing.stderr).to.equal(0);
      expect(lineNumbersOf(existing)).to.deep.equal([1, 2, 3]);
      expect(warning.code, warning.stderr).to.equal(0);
      expect(lineNumbersOf(warning)).to.deep.equal([1, 2, 3]);
    });
  });
});
