import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { LogRepository } from '../../src/application/ports/log-repository.port.js';
import { adaptersModule } from '../../src/di/adapters.module.js';
import { createAwsAdapters } from '../../src/di/aws.module.js';
import { createContainer } from '../../src/di/container.js';
import { deriveBatchId } from '../../src/domain/batch.js';
import { exportedEntry, type LogEntry } from '../../src/domain/log-entry.js';
import type { EmulatorStack, ResourceNames } from '../../src/local/emulator-stack.js';
import { createLocalHandlers } from '../../src/local/local-handlers.js';
import { LocalRuntime } from '../../src/local/local-runtime.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { isolatedResources, putObject } from '../helpers/emulators.js';

const BASE = Date.UTC(2026, 10, 26, 9);
const LEVELS = ['info', 'info', 'warn', 'info', 'error', 'info', 'debug', 'fatal'];

interface Line {
  readonly time: string;
  readonly level: string;
  readonly msg: string;
  readonly status: number;
}

/** Orders: 1,200 lines (two entry partitions of 1,000), one a second. Jobs: 300 lines between them in time. */
const ORDERS: Line[] = Array.from({ length: 1200 }, (_, index) => ({
  time: new Date(BASE + index * 1000).toISOString(),
  level: LEVELS[index % LEVELS.length],
  msg: `order ${index + 1}`,
  status: index % 5 === 0 ? 500 : 200,
}));
const JOBS: Line[] = Array.from({ length: 300 }, (_, index) => ({
  time: new Date(BASE + index * 4000 + 500).toISOString(),
  level: LEVELS[(index + 3) % LEVELS.length],
  msg: `job ${index + 1}`,
  status: 200,
}));

const fileOf = (lines: readonly Line[]) =>
  `${lines.map((line) => JSON.stringify({ time: line.time, level: line.level, msg: line.msg, 'http.response.status_code': line.status })).join('\n')}\n`;

/** DynamoDB calls by operation (and index), counted by a proxy in front of DynamoDB Local that the CLI is pointed at. */
async function countingProxy(target: string) {
  const calls: string[] = [];
  const server = http.createServer((request, response) => {
    const body: Buffer[] = [];
    request.on('data', (data: Buffer) => body.push(data));
    request.on('end', () => {
      const payload = Buffer.concat(body);
      const operation = String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      const indexName = (JSON.parse(payload.toString() || '{}') as { IndexName?: string }).IndexName;
      calls.push(indexName === undefined ? operation : `${operation} ${indexName}`);
      const upstream = http.request(new URL(request.url ?? '/', target), { method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      upstream.on('error', () => response.destroy());
      upstream.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** The calls since the last take, and forgets them. */
    take: () => calls.splice(0),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('logbatch query on DynamoDB Local', function () {
  this.timeout(120_000);
  let stack: EmulatorStack;
  let names: ResourceNames;
  let cleanup: () => Promise<void>;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let repository: LogRepository;
  let env: Record<string, string>;
  const batchIds: Record<'orders' | 'jobs', string> = { orders: '', jobs: '' };
  const query = (...args: string[]): Promise<CliResult> => runCli(['query', ...args], { env });

  before(async () => {
    ({ stack, names, cleanup } = await isolatedResources('query'));
    const config = { ...stack.config, tableName: names.tableName, queueUrl: names.queueUrl, deadLetterQueueUrl: names.dlqUrl, continuationQueueUrl: names.continuationQueueUrl };
    const adapters = createAwsAdapters(config, { clients: stack.clients });
    repository = adapters.logRepository;
    const uploads = [];
    for (const [key, lines] of [['app/orders.log', ORDERS], ['app/jobs.log', JOBS]] as const) {
      await putObject(stack, names.bucket, key, fileOf(lines));
      uploads.push(await adapters.objectStore.head(names.bucket, key));
    }
    batchIds.orders = deriveBatchId(uploads[0]);
    batchIds.jobs = deriveBatchId(uploads[1]);
    const container = createContainer({ adapters: adaptersModule(adapters), settings: config.pipeline });
    const runtime = new LocalRuntime({ ...createLocalHandlers(container), queue: adapters.queueConsumer, continuations: adapters.continuations, workerConcurrency: 2, pollWaitMs: 100 });
    const report = await runtime.run(uploads);
    expect([...report.splitterErrors, ...report.workerErrors]).to.deep.equal([]);
    expect((await repository.getBatch(batchIds.orders))?.status).to.equal('COMPLETED');
    expect((await repository.getBatch(batchIds.jobs))?.status).to.equal('COMPLETED');

    proxy = await countingProxy(stack.endpoints.dynamodb);
    env = {
      ...stack.environment,
      AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
      LOGBATCH_TABLE_NAME: names.tableName,
      LOGBATCH_QUEUE_URL: names.queueUrl,
      LOGBATCH_DLQ_URL: names.dlqUrl,
      LOGBATCH_CONTINUATION_QUEUE_URL: names.continuationQueueUrl,
    };
  });

  after(async () => {
    await proxy?.close();
    await cleanup?.();
  });

  beforeEach(() => proxy.take());

  it('--batch gives the batch in line order, paged by --cursor with no gap or repeat (a page ending on a partition boundary too), each entry as run --out writes it', async () => {
    const readPages = async (limit: number) => {
      const pages: LogEntry[][] = [];
      let cursor: string | undefined;
      do {
        const result = await query('--batch', batchIds.orders, '--limit', String(limit), '--json', ...(cursor === undefined ? [] : ['--cursor', cursor]));
        expect(result.code, result.stderr).to.equal(0);
        pages.push(result.stdout.trim().split('\n').map((line) => JSON.parse(line) as LogEntry));
        cursor = /--cursor (\S+)/.exec(result.stderr)?.[1];
      } while (cursor !== undefined && pages.length < 10);
      return pages;
    };

    const [byFour, byThousand] = await Promise.all([readPages(400), readPages(1000)]);

    const stored = (await repository.listEntries(batchIds.orders, { limit: 5000 })).items;
    expect(byFour.map((page) => page.length)).to.deep.equal([400, 400, 400]);
    expect(byThousand.map((page) => page.length)).to.deep.equal([1000, 200]);
    for (const pages of [byFour, byThousand]) {
      expect(pages.flat().map((entry) => entry.lineNumber)).to.deep.equal(ORDERS.map((_, index) => index + 1));
      expect(pages.flat().map((entry) => entry.body)).to.deep.equal(ORDERS.map((line) => line.msg));
      expect(pages.flat()).to.deep.equal(stored.map(exportedEntry));
    }
    expect(proxy.take().filter((call) => call.startsWith('Scan'))).to.deep.equal([]);
  });

  it('--severity error with --since/--until reads the severe-by-time index, in time order across batches, exactly the entries in range', async () => {
    const since = new Date(BASE + 100_000).toISOString();
    const until = new Date(BASE + 900_000).toISOString();
    const expected = [...ORDERS, ...JOBS]
      .filter((line) => (line.level === 'error' || line.level === 'fatal') && line.time >= since && line.time < until)
      .sort((a, b) => a.time.localeCompare(b.time))
      .map((line) => [line.time, line.msg]);

    const result = await query('--severity', 'error', '--since', since, '--until', until, '--json', '--limit', '10000');

    expect(result.code, result.stderr).to.equal(0);
    const entries = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as LogEntry);
    expect(expected.length).to.be.greaterThan(100);
    expect(entries.map((entry) => [entry.timestamp, entry.body])).to.deep.equal(expected);
    const calls = proxy.take();
    expect(calls.filter((call) => call.startsWith('Query'))).to.not.deep.equal([]);
    expect(calls.filter((call) => call.startsWith('Query') || call.startsWith('Scan')).every((call) => call === 'Query severe-by-time')).to.equal(true);
  });

  it('--grep and --where filter the pages read client-side, and the output says how many items were read', async () => {
    const expected = ORDERS.map((line, index) => ({ ...line, lineNumber: index + 1 })).filter((line) => line.msg.includes('order 11') && line.status === 500);

    const [table, json] = await Promise.all([
      query('--batch', batchIds.orders, '--grep', 'order 11', '--where', 'http.response.status_code=500'),
      query('--batch', batchIds.orders, '--grep', 'order 11', '--where', 'http.response.status_code=500', '--json'),
    ]);

    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.include(`${expected.length} shown of ${ORDERS.length} items read`);
    for (const line of expected) expect(table.stdout).to.include(`app/orders.log:${line.lineNumber} `);
    expect(table.stdout.trim().split('\n')).to.have.length(expected.length + 3);
    expect(json.stdout.trim().split('\n').map((line) => (JSON.parse(line) as LogEntry).lineNumber)).to.deep.equal(expected.map((line) => line.lineNumber));
    expect(json.stderr).to.equal(`${expected.length} shown of ${ORDERS.length} items read\n`);
  });

  it('refuses a --cursor printed for another batch with exit 2 and one line, before reading DynamoDB with it', async () => {
    const first = await query('--batch', batchIds.orders, '--limit', '400', '--json');
    const cursor = /--cursor (\S+)/.exec(first.stderr)?.[1];
    expect(cursor, first.stderr).to.be.a('string');
    proxy.take();

    const reused = await query('--batch', batchIds.jobs, '--limit', '10', '--cursor', cursor!);

    expect(reused.code).to.equal(2);
    expect(reused.stdout).to.equal('');
    expect(reused.stderr.trim().split('\n')).to.have.length(1);
    expect(reused.stderr).to.match(/--cursor belongs to another query/);
    expect(proxy.take().filter((call) => call.startsWith('Query'))).to.deep.equal([]);
  });

  it('refuses a query that would scan the table with exit 2 and one line naming the flags that avoid it; --scan allows it', async () => {
    const refused = await Promise.all([query('--grep', 'order 11'), query('--severity', 'error'), query('--where', 'http.response.status_code=500', '--count')]);
    const refusedCalls = proxy.take();
    const scanned = await query('--grep', 'job 1', '--scan', '--json', '--limit', '10000');
    const scanCalls = proxy.take();

    for (const result of refused) {
      expect(result.code).to.equal(2);
      expect(result.stdout).to.equal('');
      expect(result.stderr.trim().split('\n')).to.have.length(1);
      expect(result.stderr).to.match(/--batch/).and.to.match(/--since/).and.to.match(/--scan/);
    }
    expect(refusedCalls).to.deep.equal([]);
    expect(scanned.code, scanned.stderr).to.equal(0);
    const bodies = scanned.stdout.trim().split('\n').map((line) => (JSON.parse(line) as LogEntry).body);
    expect(bodies.sort()).to.deep.equal(JOBS.filter((line) => line.msg.includes('job 1')).map((line) => line.msg).sort());
    expect(scanned.stderr).to.include(`of ${ORDERS.length + JOBS.length} items read`);
    // --scan reads every batch's partitions (the batch listing, then each batch's entries), never a DynamoDB Scan.
    expect(scanCalls.filter((call) => call.startsWith('Scan'))).to.deep.equal([]);
  });

  it('--count prints the matches by severity and the items read; with --json as one object', async () => {
    const bySeverity: Record<string, number> = {};
    for (const line of ORDERS) bySeverity[line.level.toUpperCase()] = (bySeverity[line.level.toUpperCase()] ?? 0) + 1;

    const [json, table] = await Promise.all([query('--batch', batchIds.orders, '--count', '--json'), query('--batch', batchIds.orders, '--severity', 'warn', '--count')]);

    expect(json.code, json.stderr).to.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.equal({ total: ORDERS.length, bySeverity, itemsRead: ORDERS.length, filtered: 0, redacted: 0 });
    const severe = bySeverity.WARN + bySeverity.ERROR + bySeverity.FATAL;
    expect(table.stdout).to.equal(
      [
        `${severe} matching entries`,
        `  FATAL       ${bySeverity.FATAL}`,
        `  ERROR       ${bySeverity.ERROR}`,
        `  WARN        ${bySeverity.WARN}`,
        'batch: 0 line(s) filtered (not stored), 0 entries redacted',
        `(${ORDERS.length} items read)`,
        '',
      ].join('\n'),
    );
  });
});
