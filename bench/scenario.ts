/**
 * One benchmark scenario in its own process, so its peak memory is its own. Prints one JSON line:
 * `{ scenario, lines, bytes, seconds, peakRssMb, requests? }`.
 *
 *   node --import tsx bench/scenario.ts <floor|floor-write|pipeline|per-line|out|store> <file> [--format F] [--out <path>] [--store <path>] [--no-redact] [--queue-capacity N] [--memory-budget MB]
 *
 * - floor: read, split and parse each line with the file's parser, and nothing else;
 * - floor-write: the floor plus what `--out` must add at the least: each entry built, `JSON.stringify`-ed and written
 *   to a JSON Lines file (`--out`), one write per read buffer — the same work as `run --out`, in one loop;
 * - pipeline / per-line: `logbatch run` on the memory backend (per-line: one message per line);
 * - out: `logbatch run --out <path>`;
 * - store: `logbatch run --store <path>` (the SQLite store, created afresh).
 *
 * The `logbatch run` scenarios redact with the default detectors, as `run` does, unless `--no-redact` is given, and
 * keep memory near `run`'s budget (DEFAULT_MEMORY_BUDGET_MB) unless `--memory-budget 0` (or another budget) is given.
 */
import 'reflect-metadata';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { LineSplitter, type RawLine } from '../src/domain/line-splitter.js';
import { lineParserFor } from '../src/domain/parsing/formats.js';
import { openLocalStore } from '../src/local/local-store.js';
import { DEFAULT_MEMORY_BUDGET_MB } from '../src/local/memory-governor.js';
import { runLocalPipeline } from '../src/local/run-pipeline.js';

const [scenario, file, ...rest] = process.argv.slice(2);
const option = (name: string) => (rest.includes(name) ? rest[rest.indexOf(name) + 1] : undefined);
const outPath = option('--out');
const storePath = option('--store');
const format = option('--format') ?? 'json';
const queueCapacity = option('--queue-capacity') === undefined ? undefined : Number(option('--queue-capacity'));
// As `logbatch run` does (LOGBATCH_MEMORY_BUDGET_MB), unless `--memory-budget 0`.
const memoryBudget = Number(option('--memory-budget') ?? DEFAULT_MEMORY_BUDGET_MB);
const memoryBudgetMb = memoryBudget > 0 ? memoryBudget : undefined;
const redaction = rest.includes('--no-redact') ? { redaction: { redact: 'none', replacement: 'mask' as const } } : {};

/** The floor: read, split and parse the same file with the same parser, and nothing else. */
async function floor(path: string): Promise<number> {
  const splitter = new LineSplitter();
  const parse = lineParserFor(format)!;
  const context = { observedAt: new Date() };
  let lines = 0;
  let parsed = 0;
  const out: RawLine[] = [];
  for await (const buffer of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    splitter.push(buffer as Buffer, out);
    for (const line of out) {
      lines++;
      if (line.text !== '' && parse(line.text, context).ok) parsed++;
    }
    out.length = 0;
  }
  splitter.end(out);
  lines += out.length;
  if (parsed === 0 && lines > 10) throw new Error('floor parsed nothing: wrong input?');
  return lines;
}

/**
 * The writing floor: the floor, then each line's entry (the same fields `run --out` writes) serialised with
 * `JSON.stringify` and written as JSON Lines, one write per read buffer, waiting for the stream to drain.
 */
async function writingFloor(path: string, target: string): Promise<number> {
  const splitter = new LineSplitter();
  const parse = lineParserFor(format)!;
  const observedAt = new Date();
  const observedTimestamp = observedAt.toISOString();
  const context = { observedAt };
  const batchId = 'b'.repeat(24); // as long as a real batch id
  const stream = createWriteStream(target);
  let lines = 0;
  const raw: RawLine[] = [];
  const serialize = (): string => {
    let text = '';
    for (const line of raw) {
      lines++;
      if (line.text === '') continue;
      const result = parse(line.text, context);
      const entry = result.ok
        ? {
            batchId,
            lineNumber: lines,
            timestamp: result.record.timestamp,
            observedTimestamp,
            severityText: result.record.severityText,
            severityNumber: result.record.severityNumber,
            body: result.record.body,
            attributes: result.record.attributes,
            format: result.format ?? format,
          }
        : { batchId, lineNumber: lines, body: line.text, attributes: {}, observedTimestamp, format, parseError: result.error };
      text += `${JSON.stringify(entry)}\n`;
    }
    raw.length = 0;
    return text;
  };
  for await (const buffer of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    splitter.push(buffer as Buffer, raw);
    if (!stream.write(serialize())) await once(stream, 'drain');
  }
  splitter.end(raw);
  stream.write(serialize());
  await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return lines;
}

const started = performance.now();
let lines: number;
let requests: Record<string, number> | undefined;
let status: string | undefined;
let storeMb: number | undefined;
if (scenario === 'floor') {
  lines = await floor(file);
} else if (scenario === 'floor-write') {
  if (outPath === undefined) throw new Error('floor-write needs --out');
  lines = await writingFloor(file, outPath);
} else if (scenario === 'store') {
  if (storePath === undefined) throw new Error('store needs --store');
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${storePath}${suffix}`, { force: true });
  const opened = await openLocalStore(storePath);
  const summary = await runLocalPipeline({ files: [file], store: opened, settings: { format, ...redaction }, memoryBudgetMb });
  opened.close();
  lines = summary.totals.lines;
  status = summary.batches[0]?.status;
  storeMb = Math.round(statSync(storePath).size / 1e6);
} else {
  if (scenario === 'out' && outPath === undefined) throw new Error('out needs --out');
  const summary = await runLocalPipeline({
    files: [file],
    settings: scenario === 'per-line' ? { maxChunkLines: 1, format, ...redaction } : { format, ...redaction },
    outPath: scenario === 'out' ? outPath : undefined,
    queueCapacity,
    memoryBudgetMb,
  });
  lines = summary.totals.lines;
  requests = summary.requests;
  status = summary.batches[0]?.status;
}
const seconds = (performance.now() - started) / 1000;
// Share of the run the main thread was busy (not waiting in the event loop for I/O or timers).
const busy = Number(performance.eventLoopUtilization().utilization.toFixed(3));
const usage = process.resourceUsage();
const peakRssMb = Math.round(usage.maxRSS / 1024);
// CPU time of the whole process (all threads): on a shared machine it moves less than wall time with the load.
const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
process.stdout.write(`${JSON.stringify({ scenario, lines, bytes: statSync(file).size, seconds, cpuSeconds, busy, peakRssMb, status, requests, storeMb })}\n`);
