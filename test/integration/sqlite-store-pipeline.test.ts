import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { InMemoryLogRepository } from '../../src/adapters/memory/in-memory-log-repository.js';
import { SqliteEntryQuery } from '../../src/adapters/sqlite/sqlite-entry-query.js';
import type { EntryQuery } from '../../src/application/ports/entry-query.port.js';
import { QueryEntries, type QueryRequest } from '../../src/application/query-entries.use-case.js';
import { RepositoryEntryQuery } from '../../src/application/repository-entry-query.js';
import type { LogEntry } from '../../src/domain/log-entry.js';
import { type LocalStoreAdapters, type OpenLocalStore, openLocalStore } from '../../src/local/local-store.js';
import { redriveLocalStore } from '../../src/local/redrive-local.js';
import { runLocalPipeline } from '../../src/local/run-pipeline.js';
import { LOCAL_BUCKET, LocalFileObjectStore } from '../../src/adapters/local/local-file-object-store.js';
import { BatchStatus, deriveBatchId, EMPTY_CHUNK_STATS } from '../../src/domain/batch.js';
import { renderStoreNotes, runIntoStore } from '../../src/cli/run-store.js';
import { generateLogFile } from '../../bench/generate.js';
import { runCli } from '../helpers/cli.js';

/** Every page of a query, following cursors, as `logbatch query --json` pages through them. */
async function allPages(entries: EntryQuery, request: QueryRequest): Promise<LogEntry[]> {
  const query = new QueryEntries(entries);
  const found: LogEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await query.find({ ...request, limit: 7_000, cursor });
    found.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return found;
}

/** What `run` on another backend observed at another moment may differ in; everything else must be equal. */
/** Entries as --out writes them (without `raw`, which the store keeps), less the time each was read. */
const comparable = ({ observedTimestamp: _observed, raw: _raw, ...entry }: LogEntry) => entry;

describe('SqliteStore with the local pipeline', function () {
  this.timeout(180_000);
  let directory: string;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-store-run-'));
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe('query over a 100k-line run', () => {
    let outEntries: LogEntry[];
    let storeFile: string;
    let batchId: string;

    before(async () => {
      const logFile = path.join(directory, 'app-100k.jsonl');
      await generateLogFile(logFile, 100_000, 42);
      const outFile = path.join(directory, 'entries.jsonl');
      await runLocalPipeline({ files: [logFile], outPath: outFile });
      outEntries = (await readFile(outFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as LogEntry);
      storeFile = path.join(directory, 'query.db');
      const opened = await openLocalStore(storeFile);
      const summary = await runLocalPipeline({ files: [logFile], store: opened });
      opened.close();
      batchId = summary.batches[0].batchId;
    });

    const inLineOrder = (entries: LogEntry[]) => [...entries].sort((a, b) => a.lineNumber - b.lineNumber);
    const inTimeOrder = (entries: LogEntry[]) =>
      [...entries].sort((a, b) => (a.timestamp ?? '').localeCompare(b.timestamp ?? '') || a.lineNumber - b.lineNumber);
    const cases: Array<[string, QueryRequest, (entry: LogEntry) => boolean, 'line' | 'time']> = [
      ['--batch', { batch: 'BATCH' }, () => true, 'line'],
      ['--severity error', { severity: 'error' }, (e) => (e.severityNumber ?? 0) >= 17, 'time'],
      ['--severity warn --batch', { severity: 'warn', batch: 'BATCH' }, (e) => (e.severityNumber ?? 0) >= 13, 'line'],
      ['--since/--until', { since: '2026-11-26T00:10:00Z', until: '2026-11-26T00:20:00.000Z' }, (e) => e.timestamp !== undefined && e.timestamp >= '2026-11-26T00:10:00.000Z' && e.timestamp < '2026-11-26T00:20:00.000Z', 'time'],
      ['--grep', { grep: 'retrying upstream' }, (e) => e.body.includes('retrying upstream'), 'time'],
      ['--grep (short)', { grep: 'ca', batch: 'BATCH' }, (e) => e.body.includes('ca'), 'line'],
      ['--where number', { where: ['http.response.status_code=500'] }, (e) => e.attributes['http.response.status_code'] === 500, 'time'],
      ['--where twice', { where: ['http.request.method=POST', 'url.path=/health'], batch: 'BATCH' }, (e) => e.attributes['http.request.method'] === 'POST' && e.attributes['url.path'] === '/health', 'line'],
      ['everything', {}, () => true, 'time'],
    ];

    for (const [name, request, keep, order] of cases) {
      it(`gives what --out holds, filtered the same way: ${name}`, async () => {
        const opened = await openLocalStore(storeFile, { mustExist: true });
        const resolved = { ...request, ...(request.batch === undefined ? {} : { batch: batchId }) };

        const found = await allPages(new SqliteEntryQuery(opened.store), resolved);
        opened.close();
        const expected = (order === 'line' ? inLineOrder : inTimeOrder)(outEntries.filter(keep));

        expect(expected.length, 'the filter matches something').to.be.greaterThan(0);
        expect(found.length).to.equal(expected.length);
        expect(found.map(comparable)).to.deep.equal(expected.map(comparable));
      });
    }

    it('prints the same entries with `logbatch query --json` as --out holds', async () => {
      const result = await runCli(['query', '--store', storeFile, '--severity', 'fatal', '--json', '--limit', '10000']);
      const missing = await runCli(['query', '--store', storeFile, '--severity', 'error', '--limit', '3', '--json']);

      const printed = result.stdout.trim() === '' ? [] : result.stdout.trim().split('\n').map((line) => JSON.parse(line) as LogEntry);
      expect(result.code).to.equal(0);
      expect(printed.map(comparable)).to.deep.equal(inTimeOrder(outEntries.filter((e) => (e.severityNumber ?? 0) >= 21)).map(comparable));
      expect(missing.stdout.trim().split('\n')).to.have.length(3);
      expect(missing.stderr).to.match(/^more: logbatch query --store \S+ --severity error --limit 3 --json --cursor [\w-]+$/m);
    });

    it('gives the same filtered entries through the repository reads DynamoDB uses', async () => {
      const repository = new InMemoryLogRepository();
      const opened = await openLocalStore(storeFile, { mustExist: true });
      const batch = (await opened.logRepository.getBatch(batchId))!;
      await repository.createBatch({ batchId, source: batch.source, createdAt: batch.createdAt });
      await repository.putEntries(outEntries);
      opened.close();

      const byBatch = await allPages(new RepositoryEntryQuery(repository), { batch: batchId, grep: 'cache miss', where: ['http.request.method=GET'] });
      const severe = await allPages(new RepositoryEntryQuery(repository), { severity: 'error', since: '2026-11-26T00:00:00Z', until: '2026-11-27T00:00:00Z' });
      const refused = await new QueryEntries(new RepositoryEntryQuery(repository)).find({ grep: 'x' }).catch((error: Error) => error.message);

      expect(byBatch).to.deep.equal(inLineOrder(outEntries).filter((e) => e.body.includes('cache miss') && e.attributes['http.request.method'] === 'GET'));
      expect(severe.map((e) => e.lineNumber)).to.deep.equal(inTimeOrder(outEntries.filter((e) => (e.severityNumber ?? 0) >= 17 && e.timestamp !== undefined)).map((e) => e.lineNumber));
      expect(refused).to.match(/would scan the whole table: pass --batch ID, or --severity/);
    });
  });

  describe('a store that refuses a batch', () => {
    it('reports the file FAILED with the store\'s error instead of leaving it out of the summary', async () => {
      const logFile = path.join(directory, 'refused.jsonl');
      await writeFile(logFile, '{"level":"info","msg":"one"}\n');
      const opened = await openLocalStore(path.join(directory, 'refused.db'));
      const refusing = Object.create(opened.logRepository) as typeof opened.logRepository;
      refusing.createBatch = async () => {
        throw new Error('SQLITE_BUSY: database is locked');
      };

      let summary;
      try {
        summary = await runLocalPipeline({ files: [logFile], store: { logRepository: refusing, deadLetterStore: opened.deadLetterStore } });
      } finally {
        opened.close();
      }

      expect(summary.batches).to.have.length(1);
      expect(summary.batches[0]).to.deep.include({ source: logFile, status: 'FAILED', entries: 0 });
      expect(summary.batches[0].reason).to.match(/^\S+refused\.jsonl: not stored: its batch could not be created \(.*SQLITE_BUSY: database is locked \(attempt 3\)\)$/);
      expect(summary.totals.files).to.equal(1);
    });
  });

  describe('dead letters', () => {
    it('keeps a poison chunk in the store; dlq redrive --store then completes the batch with exact counters', async () => {
      const logFile = path.join(directory, 'poison.jsonl');
      const lines = Array.from({ length: 2_000 }, (_, index) =>
        JSON.stringify({ time: new Date(Date.UTC(2026, 10, 26, 9, 0, index)).toISOString(), level: index % 10 === 0 ? 'warn' : 'info', msg: `step ${index + 1}` }),
      );
      await writeFile(logFile, `${lines.join('\n')}\n`);
      const storeFile = path.join(directory, 'poison.db');
      const opened = await openLocalStore(storeFile);
      let storeDown = true;
      // Chunk 3 (lines 301..400) cannot be written while the "disk" is down: every receive fails.
      const flaky = Object.create(opened.logRepository) as typeof opened.logRepository;
      flaky.putEntries = async (entries) => {
        if (storeDown && entries.some((entry) => entry.lineNumber === 350)) throw new Error('disk unavailable');
        return opened.logRepository.putEntries(entries);
      };
      Object.defineProperty(flaky, 'entryWrites', { get: () => opened.logRepository.entryWrites });

      const summary = await runLocalPipeline({ files: [logFile], store: { logRepository: flaky, deadLetterStore: opened.deadLetterStore }, settings: { maxChunkLines: 100 } });
      opened.close();
      storeDown = false;
      const listed = await runCli(['dlq', 'list', '--store', storeFile, '--json']);
      const redriven = await runCli(['dlq', 'redrive', '--store', storeFile]);
      const status = await runCli(['status', summary.batches[0].batchId, '--store', storeFile, '--json']);
      const count = await runCli(['query', '--store', storeFile, '--count', '--json']);

      const batch = JSON.parse(status.stdout) as { status: string; processedChunks: number; totalChunks: number; stats: { entries: number; lines: number }; deadLetteredChunks: number[] };
      expect(summary.batches[0]).to.deep.include({ status: 'FAILED', deadLetteredChunks: [3] });
      expect(summary.totals.deadLettered).to.equal(1);
      expect((JSON.parse(listed.stdout) as Array<{ chunk: number; reason: string }>).map((report) => report.chunk)).to.deep.equal([3]);
      expect(redriven.stdout).to.match(/moved 1 message\(s\) back to the chunk queue\nbatch \w+: COMPLETED/);
      expect(batch).to.deep.include({ status: 'COMPLETED', processedChunks: 20, totalChunks: 20, deadLetteredChunks: [] });
      expect(summary.batches[0].entries).to.equal(1_900);
      expect(batch.stats).to.deep.include({ lines: 2_000, entries: 2_000, unparsed: 0 });
      expect(JSON.parse(count.stdout)).to.deep.equal({ total: 2_000, bySeverity: { INFO: 1_800, WARN: 200 } });
    });
    /** A store whose writes of the chunk holding `line` fail while `down` says so: that chunk is dead-lettered. */
    function failingAt(opened: OpenLocalStore, line: number, down: () => boolean): LocalStoreAdapters {
      const flaky = Object.create(opened.logRepository) as typeof opened.logRepository;
      flaky.putEntries = async (entries) => {
        if (down() && entries.some((entry) => entry.lineNumber === line)) throw new Error('disk unavailable');
        return opened.logRepository.putEntries(entries);
      };
      Object.defineProperty(flaky, 'entryWrites', { get: () => opened.logRepository.entryWrites });
      return { logRepository: flaky, deadLetterStore: opened.deadLetterStore };
    }

    const mailLines = (count: number) =>
      Array.from({ length: count }, (_, index) =>
        JSON.stringify({
          time: new Date(Date.UTC(2026, 10, 26, 9, 0, index)).toISOString(),
          level: index % 10 === 0 ? 'warn' : 'info',
          msg: `step ${index + 1} by user${index + 1}@example.com`,
        }),
      );

    it('redrives a chunk with the filters and redaction of the run that dead-lettered it', async () => {
      const logFile = path.join(directory, 'settings.jsonl');
      await writeFile(logFile, `${mailLines(1_000).join('\n')}\n`);
      const storeFile = path.join(directory, 'settings.db');
      const opened = await openLocalStore(storeFile);
      let down = true;
      const settings = { maxChunkLines: 100, filters: { include: [], exclude: [], minSeverity: 'warn' }, redaction: { redact: 'email', replacement: 'mask' as const } };
      // Line 351 is a WARN line of chunk 3: the filter keeps it, so its write fails and the chunk is dead-lettered.
      const summary = await runLocalPipeline({ files: [logFile], store: failingAt(opened, 351, () => down), settings });
      opened.close();
      down = false;
      const redriven = await runCli(['dlq', 'redrive', '--store', storeFile]);
      const mail = await runCli(['query', '--store', storeFile, '--grep', '@example.com', '--count', '--json']);
      const count = await runCli(['query', '--store', storeFile, '--count', '--json']);
      const status = await runCli(['status', summary.batches[0].batchId, '--store', storeFile, '--json']);

      expect(summary.batches[0]).to.deep.include({ status: 'FAILED', deadLetteredChunks: [3] });
      expect(redriven.stdout).to.match(/moved 1 message\(s\).*\nbatch \w+: COMPLETED/);
      // Without the run's settings the redrive stored chunk 3's 90 INFO lines and every address in plain text.
      expect(JSON.parse(mail.stdout)).to.deep.equal({ total: 0, bySeverity: {} });
      expect(JSON.parse(count.stdout)).to.deep.equal({ total: 100, bySeverity: { WARN: 100 } });
      expect((JSON.parse(status.stdout) as { stats: object }).stats).to.deep.include({ lines: 1_000, entries: 100, filtered: 900, redacted: 100 });
    });

    it('keeps each letter in the store until its chunk settles, and out of reach of another redrive meanwhile', async () => {
      const logFile = path.join(directory, 'held.jsonl');
      await writeFile(logFile, `${mailLines(300).join('\n')}\n`);
      const opened = await openLocalStore(path.join(directory, 'held.db'));
      let down = true;
      const summary = await runLocalPipeline({ files: [logFile], store: failingAt(opened, 150, () => down), settings: { maxChunkLines: 100 } });
      down = false;
      expect(opened.deadLetterStore.count()).to.equal(1);
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slow = Object.create(opened.logRepository) as typeof opened.logRepository;
      let writing!: () => void;
      const started = new Promise<void>((resolve) => {
        writing = resolve;
      });
      slow.putEntries = async (entries) => {
        writing();
        await held;
        return opened.logRepository.putEntries(entries);
      };
      Object.defineProperty(slow, 'entryWrites', { get: () => opened.logRepository.entryWrites });

      const redrive = redriveLocalStore({ store: { logRepository: slow, deadLetterStore: opened.deadLetterStore } });
      await started;
      const meanwhile = { count: opened.deadLetterStore.count(), claimed: opened.deadLetterStore.claim().length };
      const inStore = (opened.store.db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
      release();
      const result = await redrive;
      const batch = await opened.logRepository.getBatch(summary.batches[0].batchId);
      const after = opened.deadLetterStore.count();
      opened.close();

      // Held by the running redrive: out of the DLQ's listing (as SQS moves it) and out of reach of another redrive.
      expect(meanwhile).to.deep.equal({ count: 0, claimed: 0 });
      expect(result).to.deep.include({ moved: 1, stillDeadLettered: 0 });
      expect(inStore, 'the letter stays in the store until its chunk settles').to.equal(1);
      expect(after).to.equal(0);
      expect(batch).to.deep.include({ status: 'COMPLETED', processedChunks: 3 });
    });

    it('drops the dead letters of a batch that --reprocess removes, so they never count into the new one', async () => {
      const logFile = path.join(directory, 'redone.jsonl');
      await writeFile(logFile, `${mailLines(1_000).join('\n')}\n`);
      const storeFile = path.join(directory, 'redone.db');
      const opened = await openLocalStore(storeFile);
      await runLocalPipeline({ files: [logFile], store: failingAt(opened, 351, () => true), settings: { maxChunkLines: 100 } });
      opened.close();

      const rerun = await runCli(['run', logFile, '--store', storeFile, '--reprocess', '--json']);
      const listed = await runCli(['dlq', 'list', '--store', storeFile, '--json']);
      const redriven = await runCli(['dlq', 'redrive', '--store', storeFile, '--json']);
      const batchId = (JSON.parse(rerun.stdout) as { batches: Array<{ batchId: string }> }).batches[0].batchId;
      const status = JSON.parse((await runCli(['status', batchId, '--store', storeFile, '--json'])).stdout) as { status: string; processedChunks: number; totalChunks: number; stats: { entries: number } };

      expect(JSON.parse(listed.stdout)).to.deep.equal([]);
      expect(JSON.parse(redriven.stdout)).to.deep.include({ moved: 0 });
      expect(status).to.deep.include({ status: 'COMPLETED', processedChunks: 1, totalChunks: 1 });
      expect(status.stats.entries).to.equal(1_000);
    });
  });

  describe('two runs at once', () => {
    it('both complete on one store, with exact totals', async () => {
      const files = [path.join(directory, 'one.jsonl'), path.join(directory, 'two.jsonl')];
      await generateLogFile(files[0], 30_000, 1);
      await generateLogFile(files[1], 30_000, 2);
      const storeFile = path.join(directory, 'shared.db');

      const runs = await Promise.all(files.map((file) => runCli(['run', file, '--store', storeFile, '--json', '--max-chunk-lines', '500'], { timeoutMs: 150_000 })));
      const counted = await runCli(['query', '--store', storeFile, '--count', '--json']);
      const batches = await runCli(['batches', '--store', storeFile, '--json']);

      const summaries = runs.map((run) => JSON.parse(run.stdout) as { totals: { lines: number; entries: number } });
      const listed = JSON.parse(batches.stdout) as Array<{ status: string; stats: { entries: number; lines: number } }>;
      expect(runs.map((run) => run.code)).to.deep.equal([0, 0]);
      expect(summaries.map((summary) => summary.totals.lines)).to.deep.equal([30_000, 30_000]);
      expect(listed.map((batch) => batch.status)).to.deep.equal(['COMPLETED_WITH_ERRORS', 'COMPLETED_WITH_ERRORS']);
      expect((JSON.parse(counted.stdout) as { total: number }).total).to.equal(summaries[0].totals.entries + summaries[1].totals.entries);
      expect(listed.reduce((sum, batch) => sum + batch.stats.entries, 0)).to.equal(summaries[0].totals.entries + summaries[1].totals.entries);
    });

    it('of the same files, count each file in one run only and report it to the other as already processed', async () => {
      const files = [path.join(directory, 'same-a.jsonl'), path.join(directory, 'same-b.jsonl')];
      await generateLogFile(files[0], 20_000, 3);
      await generateLogFile(files[1], 20_000, 4);
      const storeFile = path.join(directory, 'same.db');

      const runs = await Promise.all(
        [files, [...files].reverse()].map((order) => runCli(['run', ...order, '--store', storeFile, '--json', '--max-chunk-lines', '500'], { timeoutMs: 150_000 })),
      );

      type Summary = { totals: { lines: number }; batches: Array<{ source: string }>; alreadyProcessed: Array<{ source: string }> };
      const summaries = runs.map((run) => JSON.parse(run.stdout) as Summary);
      expect(runs.map((run) => run.code)).to.deep.equal([0, 0]);
      expect(summaries[0].totals.lines + summaries[1].totals.lines).to.equal(40_000);
      for (const file of files) {
        const claimed = summaries.filter((summary) => summary.batches.some((batch) => path.resolve(batch.source) === file));
        const toldOf = summaries.filter((summary) => summary.alreadyProcessed.some((batch) => batch.source === file));
        expect([claimed.length, toldOf.length], file).to.deep.equal([1, 1]);
      }
    });
  });

  describe('a file whose batch is not final', () => {
    it('is reported as not finished, with exit 1, when it makes no progress (a run stopped part-way)', async () => {
      const logFile = path.join(directory, 'stopped.jsonl');
      await writeFile(logFile, '{"msg":"a"}\n{"msg":"b"}\n');
      const storeFile = path.join(directory, 'stopped.db');
      const opened = await openLocalStore(storeFile);
      const source = await new LocalFileObjectStore().head(LOCAL_BUCKET, path.resolve(logFile));
      await opened.logRepository.createBatch({ batchId: deriveBatchId(source), source, createdAt: new Date().toISOString() });
      opened.close();

      const result = await runIntoStore(storeFile, { files: [logFile], stalledAfterMs: 300 });
      const printed = renderStoreNotes(result);

      expect(result.summary.alreadyProcessed).to.have.length(1);
      expect(result.summary.alreadyProcessed[0]).to.deep.include({ status: 'SPLITTING', interrupted: { processedChunks: 0, totalChunks: undefined, quietMs: result.summary.alreadyProcessed[0].interrupted!.quietMs } });
      expect(result.summary.alreadyProcessed[0].interrupted!.quietMs).to.be.at.least(300);
      expect(printed).to.match(/stopped\.jsonl: not finished \(batch \w+, SPLITTING, 0 chunks processed, no progress for \d+ s\): a run stopped part-way left it; --reprocess runs it again/);
    });

    it('is waited for while another run moves it, and reported with the status it ends in', async () => {
      const logFile = path.join(directory, 'elsewhere.jsonl');
      await writeFile(logFile, '{"msg":"a"}\n');
      const storeFile = path.join(directory, 'elsewhere.db');
      const opened = await openLocalStore(storeFile);
      const source = await new LocalFileObjectStore().head(LOCAL_BUCKET, path.resolve(logFile));
      const batchId = deriveBatchId(source);
      await opened.logRepository.createBatch({ batchId, source, createdAt: new Date().toISOString() });
      // The "other run": it splits, then processes its one chunk, each step well inside the stall limit.
      const other = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 250));
        await opened.logRepository.finishSplitting(batchId, { totalLines: 1, totalChunks: 1, format: 'json' });
        await new Promise((resolve) => setTimeout(resolve, 250));
        const { batch } = await opened.logRepository.recordChunkProcessed(batchId, 0, { ...EMPTY_CHUNK_STATS, lines: 1, entries: 1 });
        await opened.logRepository.completeBatch(batch, { status: BatchStatus.COMPLETED });
      })();
      const waiting: string[] = [];

      const result = await runIntoStore(storeFile, { files: [logFile], stalledAfterMs: 400, onWaiting: (file, batch) => waiting.push(`${path.basename(file)} ${batch.status}`) });
      await other;
      opened.close();

      expect(waiting).to.deep.equal(['elsewhere.jsonl SPLITTING']);
      expect(result.summary.alreadyProcessed).to.deep.equal([{ source: path.resolve(logFile), batchId, status: 'COMPLETED' }]);
    });
  });
});
