import { expect } from 'chai';
import type { PipelineSettings } from '../../src/application/pipeline-settings.js';
import type { Batch } from '../../src/domain/batch.js';
import type { LogEntry } from '../../src/domain/log-entry.js';
import { createEmulatorPipeline } from '../helpers/emulator-pipeline.js';
import { createMemoryPipeline, logFile } from '../helpers/memory-pipeline.js';

/**
 * A text log: ordinary lines at several levels, a line without a level, a Java stack trace whose only mention of
 * "SocketTimeout" is on a continuation line, and blank lines. 14 physical lines.
 */
const TEXT_LOG = [
  '2026-11-26 09:00:00,001 DEBUG [main] cache warm',
  '2026-11-26 09:00:01,002 INFO  [main] GET /health 200',
  '2026-11-26 09:00:02,003 INFO  [main] order 1 placed',
  '',
  '2026-11-26 09:00:03,004 ERROR [exec-1] order 2 failed',
  'java.lang.IllegalStateException: inventory returned 503',
  '\tat com.example.InventoryClient.reserve(InventoryClient.java:88)',
  'Caused by: java.net.SocketTimeoutException: Read timed out',
  '\t... 12 more',
  '2026-11-26 09:00:04,005 WARN  [main] GET /health 503',
  'a line with no time and no level',
  '',
  '2026-11-26 09:00:05,006 TRACE [main] tick',
  '2026-11-26 09:00:06,007 INFO  [main] order 3 placed',
];

type Run = (settings: Partial<PipelineSettings>) => Promise<{ batch: Batch; entries: LogEntry[] }>;

function expectIdentity(batch: Batch): void {
  const { entries, blank, continuation, filtered, lines } = batch.stats;
  expect(entries + blank + continuation + filtered, 'entries + blank + continuation + filtered').to.equal(lines);
  expect(lines).to.equal(TEXT_LOG.length);
  expect(batch.totalLines).to.equal(TEXT_LOG.length);
}

const bodies = (entries: readonly LogEntry[]) => entries.map((entry) => entry.body.split('\n')[0]);

function describeFilters(backend: string, makeRun: () => { run: Run; cleanup?: () => Promise<void> }): void {
  describe(`event filters on the ${backend} backend`, function () {
    this.timeout(120_000);
    let run: Run;
    let cleanup: (() => Promise<void>) | undefined;
    before(() => ({ run, cleanup } = makeRun()));
    after(async () => cleanup?.());

    it('counts nothing as filtered without filters (the identity holds with filtered = 0)', async () => {
      const { batch, entries } = await run({});

      expect(batch.stats.filtered).to.equal(0);
      expect(entries).to.have.length(8);
      expectIdentity(batch);
    });

    it('--exclude drops a whole multi-line event when only a continuation line matches, and counts all its lines', async () => {
      const { batch, entries } = await run({ filters: { include: [], exclude: ['SocketTimeout'] } });

      expect(bodies(entries)).to.not.include('2026-11-26 09:00:03,004 ERROR [exec-1] order 2 failed');
      expect(entries.some((entry) => entry.body.includes('InventoryClient'))).to.equal(false);
      expect(batch.stats.filtered).to.equal(5);
      expect(batch.stats.continuation).to.equal(0);
      expect(batch.status).to.equal('COMPLETED');
      expectIdentity(batch);
    });

    it('--include keeps only matching events, and --exclude wins over it', async () => {
      const { batch, entries } = await run({ filters: { include: ['order \\d'], exclude: ['order 3'] } });

      expect(bodies(entries)).to.deep.equal(['2026-11-26 09:00:02,003 INFO  [main] order 1 placed', '2026-11-26 09:00:03,004 ERROR [exec-1] order 2 failed']);
      expect(entries[1].lineCount).to.equal(5);
      expect(batch.stats.filtered).to.equal(TEXT_LOG.length - 2 - 6);
      expectIdentity(batch);
    });

    it('--min-severity drops entries parsed below the level and keeps those without a severity', async () => {
      const { batch, entries } = await run({ filters: { include: [], exclude: [], minSeverity: 'warn' } });

      expect(bodies(entries)).to.deep.equal([
        '2026-11-26 09:00:03,004 ERROR [exec-1] order 2 failed',
        '2026-11-26 09:00:04,005 WARN  [main] GET /health 503',
        'a line with no time and no level',
      ]);
      expect(batch.stats.filtered).to.equal(5);
      expect(batch.stats.continuation).to.equal(4);
      expectIdentity(batch);
    });
  });
}

describeFilters('memory', () => ({
  run: async (settings) => {
    const pipeline = createMemoryPipeline({ settings: { format: 'text', ...settings } });
    const { batches, entries } = await pipeline.run({ 'app.log': logFile(TEXT_LOG) });
    return { batch: batches[0], entries: entries[0] };
  },
}));

describeFilters('emulator', () => {
  const pipelines: { cleanup: () => Promise<void> }[] = [];
  return {
    run: async (settings) => {
      const pipeline = await createEmulatorPipeline({ label: 'filters', settings: { format: 'text', ...settings } });
      pipelines.push(pipeline);
      const upload = await pipeline.upload('app.log', logFile(TEXT_LOG));
      await pipeline.run([upload]);
      return pipeline.readBack(upload);
    },
    cleanup: async () => {
      for (const pipeline of pipelines) await pipeline.cleanup();
    },
  };
});
