/**
 * The pipeline on emulated AWS (fauxqs for S3 and SQS, DynamoDB Local): real handlers, real SDK calls, counted per
 * operation with the billed units. Shows what a file costs in requests — the figures issue 3 bounds — and how the
 * one-message-per-line design (`maxChunkLines: 1`) compares. Throughput here is the emulators' (DynamoDB Local is a
 * single JVM on SQLite), not Lambda's.
 *
 *   node --import tsx bench/emulator-cli.ts [lines...] [--per-line <lines>]
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { RequestCounter } from '../src/adapters/instrumentation/request-counter.js';
import type { PipelineSettings } from '../src/application/pipeline-settings.js';
import { runEmulatorPipeline } from '../src/local/run-emulator-pipeline.js';
import { generateLogFile } from './generate.js';

export interface EmulatorBenchRow {
  readonly scenario: 'packed' | 'per-line';
  readonly lines: number;
  readonly bytes: number;
  readonly entries: number;
  readonly chunks: number;
  readonly status: string;
  /** Wall time of the run after the emulators are up: upload to the emulated bucket, split, process, read-back of the batch. */
  readonly seconds: number;
  readonly linesPerSecond: number;
  readonly sendMessageBatchCalls: number;
  /** SendMessageBatch calls as a percentage of the lines. */
  readonly sendMessageBatchPercentOfLines: number;
  readonly batchWriteItemCalls: number;
  readonly transactWriteItemsCalls: number;
  readonly sqsBilledRequests: number;
  readonly dynamodbWriteUnits: number;
  readonly dynamodbWriteUnitsPerEntry: number;
  /** Write units of the entries alone (BatchWriteItem), per entry. */
  readonly entryWriteUnitsPerEntry: number;
  /** Write units of everything else: per-chunk progress transactions, batch creation, split and completion updates. */
  readonly progressWriteUnits: number;
  readonly estimatedCostUsd: number;
  /** `estimatedCostUsd` scaled linearly to 1,000,000 lines. */
  readonly costPerMillionLinesUsd: number;
  readonly requests: Readonly<Record<string, number>>;
}

export interface EmulatorBenchOptions {
  /** Where generated files go. @default <repo>/.bench */
  readonly dataDir?: string;
  /** Also run the one-message-per-line design at these sizes. @default [] */
  readonly perLine?: readonly number[];
  readonly workerConcurrency?: number;
}

const ROOT = path.resolve(import.meta.dirname, '..');
const WRITE_UNITS = 'dynamodbWriteUnits';

/**
 * The request accounting adds `dynamodb.<Operation>` and then, in the same synchronous step, that call's
 * `dynamodbWriteUnits`. Remembering the last DynamoDB operation attributes the units to it
 * (`dynamodbWriteUnits.BatchWriteItem`, `dynamodbWriteUnits.TransactWriteItems`, ...), so entry writes and
 * progress writes can be told apart. Installed for the benchmark's process only.
 */
function attributeWriteUnitsPerOperation(): () => void {
  const original = RequestCounter.prototype.add;
  const lastOperation = new WeakMap<RequestCounter, string>();
  RequestCounter.prototype.add = function add(this: RequestCounter, name: string, amount = 1) {
    original.call(this, name, amount);
    if (name.startsWith('dynamodb.')) lastOperation.set(this, name.slice('dynamodb.'.length));
    else if (name === WRITE_UNITS) original.call(this, `${WRITE_UNITS}.${lastOperation.get(this) ?? 'Unknown'}`, amount);
  };
  return () => {
    RequestCounter.prototype.add = original;
  };
}

async function ensureFile(dataDir: string, lines: number): Promise<string> {
  const file = path.join(dataDir, `app-${lines}.jsonl`);
  // Same name and seed as `npm run bench`, so both benchmarks read the very same files.
  if (!existsSync(file)) await generateLogFile(file, lines, lines);
  return file;
}

async function measure(file: string, scenario: EmulatorBenchRow['scenario'], options: EmulatorBenchOptions): Promise<EmulatorBenchRow> {
  const settings: Partial<PipelineSettings> = scenario === 'per-line' ? { format: 'json', maxChunkLines: 1 } : { format: 'json' };
  const restore = attributeWriteUnitsPerOperation();
  let summary;
  try {
    summary = await runEmulatorPipeline({ files: [file], settings, fastStartup: false, workerConcurrency: options.workerConcurrency });
  } finally {
    restore();
  }
  const requests = summary.requests;
  const count = (name: string) => requests[name] ?? 0;
  const { lines, entries, chunks } = summary.totals;
  const seconds = summary.elapsedMs / 1000;
  const writeUnits = count(WRITE_UNITS);
  const entryWriteUnits = count(`${WRITE_UNITS}.BatchWriteItem`);
  const cost = count('estimatedCostUsd');
  return {
    scenario,
    lines,
    bytes: summary.bytesRead,
    entries,
    chunks,
    status: summary.batches.map((batch) => batch.status).join(','),
    seconds,
    linesPerSecond: summary.linesPerSecond,
    sendMessageBatchCalls: count('sqs.SendMessageBatch'),
    sendMessageBatchPercentOfLines: lines === 0 ? 0 : (100 * count('sqs.SendMessageBatch')) / lines,
    batchWriteItemCalls: count('dynamodb.BatchWriteItem'),
    transactWriteItemsCalls: count('dynamodb.TransactWriteItems'),
    sqsBilledRequests: count('sqsBilledRequests'),
    dynamodbWriteUnits: writeUnits,
    dynamodbWriteUnitsPerEntry: entries === 0 ? 0 : writeUnits / entries,
    entryWriteUnitsPerEntry: entries === 0 ? 0 : entryWriteUnits / entries,
    progressWriteUnits: writeUnits - entryWriteUnits,
    estimatedCostUsd: cost,
    costPerMillionLinesUsd: lines === 0 ? 0 : (cost * 1_000_000) / lines,
    requests,
  };
}

/**
 * Generates `app-<lines>.jsonl` files (~210-byte JSON lines, the `npm run bench` files) and runs each through the
 * pipeline on freshly started emulators (DynamoDB Local with its full JIT, as for throughput), packed; and, for the
 * sizes in `perLine`, with one message per line. One row per run.
 */
export async function benchEmulator(lines: readonly number[], options: EmulatorBenchOptions = {}): Promise<EmulatorBenchRow[]> {
  const dataDir = options.dataDir ?? path.join(ROOT, '.bench');
  mkdirSync(dataDir, { recursive: true });
  const rows: EmulatorBenchRow[] = [];
  for (const size of lines) rows.push(await measure(await ensureFile(dataDir, size), 'packed', options));
  for (const size of options.perLine ?? []) rows.push(await measure(await ensureFile(dataDir, size), 'per-line', options));
  return rows;
}

/** The rows as a Markdown table. */
export function renderEmulatorBenchTable(rows: readonly EmulatorBenchRow[]): string {
  const integer = (value: number) => Math.round(value).toLocaleString('en-US');
  return [
    '| lines | design | chunks | seconds | lines/s | SendMessageBatch (% of lines) | BatchWriteItem | TransactWriteItems | SQS billed requests | DynamoDB WCU per entry (entries only) | progress WCU | est. cost USD | per 1M lines USD |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${integer(row.lines)} | ${row.scenario === 'packed' ? 'packed' : 'one message per line'} | ${integer(row.chunks)} | ${row.seconds.toFixed(1)} | ${integer(row.linesPerSecond)} | ${integer(row.sendMessageBatchCalls)} (${row.sendMessageBatchPercentOfLines.toFixed(3)}%) | ${integer(row.batchWriteItemCalls)} | ${integer(row.transactWriteItemsCalls)} | ${integer(row.sqsBilledRequests)} | ${row.dynamodbWriteUnitsPerEntry.toFixed(3)} (${row.entryWriteUnitsPerEntry.toFixed(3)}) | ${integer(row.progressWriteUnits)} | ${row.estimatedCostUsd.toFixed(4)} | ${row.costPerMillionLinesUsd.toFixed(3)} |`,
    ),
  ].join('\n');
}
