/**
 * CPU time of the Lambda functions' own work, per chunk and per line, for the figures behind the Lambda part of
 * `estimatedCostUsd` (src/adapters/aws/lambda-cost.ts). For each format: a generated file is split by the real
 * `SplitLogObject` into chunk messages (in-memory object store and queue), then every chunk goes through the real
 * `ProcessChunk.handleDelivery`, whose entries are written by the real `DynamoDbLogRepository` (items built,
 * marshalled, serialized and signed by the SDK) over an HTTP handler that answers at once: network time is left out,
 * it is estimated separately. Batch bookkeeping (create, count, complete) runs on the in-memory repository.
 * CPU is `process.cpuUsage()` (user + system) around each call; the median of `--repeats` passes.
 *
 *   node --import tsx bench/lambda-compute.ts [--lines 50000] [--repeats 5] [--json]
 */
import 'reflect-metadata';
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient, DynamoDbLogRepository } from '../src/adapters/aws/dynamodb-log-repository.js';
import { InMemoryChunkQueue } from '../src/adapters/memory/in-memory-chunk-queue.js';
import { InMemoryLogRepository } from '../src/adapters/memory/in-memory-log-repository.js';
import { InMemoryObjectStore } from '../src/adapters/memory/in-memory-object-store.js';
import { InMemorySplitContinuations } from '../src/adapters/memory/in-memory-split-continuations.js';
import type { LogRepository } from '../src/application/ports/log-repository.port.js';
import type { ProcessChunk } from '../src/application/process-chunk.use-case.js';
import type { SplitLogObject } from '../src/application/split-log-object.use-case.js';
import { adaptersModule } from '../src/di/adapters.module.js';
import { createContainer } from '../src/di/container.js';
import { TOKENS } from '../src/di/tokens.js';
import { appLogLine, seededRandom } from './generate.js';
import { GENERATORS } from './parsers.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const lineCount = Number(option('--lines', '50000'));
const repeats = Number(option('--repeats', '5'));
if (!Number.isInteger(lineCount) || lineCount < 1 || !Number.isInteger(repeats) || repeats < 1) {
  process.stderr.write('usage: node --import tsx bench/lambda-compute.ts [--lines N] [--repeats N] [--json]\n');
  process.exit(2);
}

/** The bench's JSON lines (`npm run bench`'s files), and the parser bench's combined and ALB lines. */
const FORMATS: Record<string, (random: () => number, index: number) => string> = {
  json: (random, index) => appLogLine(random, index, Date.UTC(2024, 4, 1)),
  combined: (random) => GENERATORS.combined(random),
  alb: (random) => GENERATORS.alb(random),
};

/** A DynamoDB client whose every request succeeds at once with nothing unprocessed: the SDK's CPU, no network. */
function answeringDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestHandler: {
      handle: async () => ({
        response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from('{}')]) },
      }),
    },
  });
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

interface Pass {
  readonly splitCpuMs: number;
  readonly chunkCpuMs: number[];
  readonly bytes: number;
}

async function pass(format: string, content: string): Promise<Pass> {
  const objects = new InMemoryObjectStore();
  const queue = new InMemoryChunkQueue();
  const bookkeeping = new InMemoryLogRepository();
  const entries = new DynamoDbLogRepository(createDocumentClient(answeringDynamoDbClient()), { tableName: 'bench' });
  // Entries go through the DynamoDB adapter; everything else (batch records, counters) through the in-memory one.
  const repository = new Proxy(bookkeeping, {
    get: (target, name, receiver) => (name === 'putEntries' ? entries.putEntries.bind(entries) : Reflect.get(target, name, receiver)),
  }) as LogRepository;
  const container = createContainer({
    adapters: adaptersModule({ objectStore: objects, chunkQueue: queue, logRepository: repository, continuations: new InMemorySplitContinuations(), queueConsumer: queue }),
    settings: { format },
  });
  const info = objects.put('bench', `${format}.log`, content);

  const splitStarted = cpuMs();
  await container.get<SplitLogObject>(TOKENS.SplitLogObject).execute({ bucket: 'bench', key: info.key, etag: info.etag, size: info.size });
  const splitCpuMs = cpuMs() - splitStarted;

  const processChunk = container.get<ProcessChunk>(TOKENS.ProcessChunk);
  const chunkCpuMs: number[] = [];
  for (;;) {
    const [message] = await queue.receive(1);
    if (message === undefined) break;
    const started = cpuMs();
    const result = await processChunk.handleDelivery({ body: message.body, receiveCount: 1 });
    chunkCpuMs.push(cpuMs() - started);
    if (result.kind !== 'processed') throw new Error(`chunk not processed: ${result.kind}`);
    await queue.delete(message.receiptHandle);
  }
  return { splitCpuMs, chunkCpuMs, bytes: info.size };
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rows = [];
for (const [format, generate] of Object.entries(FORMATS)) {
  const random = seededRandom(7);
  const content = `${Array.from({ length: lineCount }, (_, index) => generate(random, index)).join('\n')}\n`;
  await pass(format, content); // warm-up: Lambda's first chunks pay for compiling, later ones not
  const passes: Pass[] = [];
  for (let round = 0; round < repeats; round++) passes.push(await pass(format, content));
  const chunks = passes[0].chunkCpuMs.length;
  const workerCpuMs = median(passes.map((each) => each.chunkCpuMs.reduce((a, b) => a + b, 0)));
  const splitterCpuMs = median(passes.map((each) => each.splitCpuMs));
  rows.push({
    format,
    lines: lineCount,
    bytesPerLine: Math.round(passes[0].bytes / lineCount),
    chunks,
    linesPerChunk: Math.round(lineCount / chunks),
    workerCpuMsPerChunk: Number((workerCpuMs / chunks).toFixed(2)),
    workerCpuMicrosPerLine: Number(((workerCpuMs * 1000) / lineCount).toFixed(2)),
    splitterCpuMicrosPerLine: Number(((splitterCpuMs * 1000) / lineCount).toFixed(2)),
  });
}

if (args.includes('--json')) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  console.log(`node ${process.version}; ${lineCount} lines per format, median of ${repeats} passes after a warm-up; CPU = user + system`);
  console.log('| format | bytes/line | chunks | lines/chunk | worker CPU ms/chunk | worker CPU µs/line | splitter CPU µs/line |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(
      `| ${row.format} | ${row.bytesPerLine} | ${row.chunks} | ${row.linesPerChunk} | ${row.workerCpuMsPerChunk} | ${row.workerCpuMicrosPerLine} | ${row.splitterCpuMicrosPerLine} |`,
    );
  }
}
