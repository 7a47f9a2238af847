/**
 * `npm run bench`: generates deterministic log files and measures, side by side in one run,
 *  (a) the floor — read, split and parse with the same parser and nothing else,
 *  (b) the pipeline in-process (real handlers, local runtime, in-memory adapters),
 *  (c) the pipeline with one message per line (`--max-chunk-lines 1`, the naive design),
 * plus the per-format parser throughput. Writes the tables to docs/performance.md.
 *
 *   npm run bench [-- --sizes 10000,100000,1000000 --per-line-max 100000 --repeats 5 --no-write]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateLogFile } from './generate.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1];
};
const sizes = option('--sizes', '10000,100000,1000000').split(',').map(Number);
const perLineMax = Number(option('--per-line-max', '100000'));
/** Rounds: each runs every scenario once, back to back; the table shows the median run and the median round's ratio. */
const repeats = Number(option('--repeats', '5'));
const write = !args.includes('--no-write');
const root = path.resolve(import.meta.dirname, '..');
const dataDir = path.join(root, '.bench');
mkdirSync(dataDir, { recursive: true });

interface Measurement {
  scenario: string;
  lines: number;
  bytes: number;
  seconds: number;
  peakRssMb: number;
  status?: string;
  requests?: Record<string, number>;
}

function measure(scenario: string, file: string): Measurement {
  const output = execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench/scenario.ts'), scenario, file], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(output.trim().split('\n').pop()!) as Measurement;
}

/** The middle item by `value` (the upper one of an even count). */
const median = <T>(items: readonly T[], value: (item: T) => number): T =>
  [...items].sort((a, b) => value(a) - value(b))[Math.floor(items.length / 2)];

const rows: string[] = [];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}`);
for (const lines of sizes) {
  const file = path.join(dataDir, `app-${lines}.jsonl`);
  if (!existsSync(file)) await generateLogFile(file, lines, lines);
  const scenarios = ['floor', 'pipeline', ...(lines <= perLineMax ? ['per-line'] : [])];
  const runs = new Map<string, Measurement[]>(scenarios.map((scenario) => [scenario, []]));
  for (let round = 0; round < repeats; round++) {
    for (const scenario of scenarios) runs.get(scenario)!.push(measure(scenario, file));
  }
  const floorRuns = runs.get('floor')!;
  for (const scenario of scenarios) {
    const result = median(runs.get(scenario)!, (run) => run.seconds);
    const rate = result.lines / result.seconds;
    // Each round ran the floor and this scenario back to back: its ratio is the side-by-side one, and the rounds'
    // ratios show how much the shared machine moved them.
    const ratios = runs.get(scenario)!.map((run, round) => floorRuns[round].seconds / run.seconds);
    const sends = result.requests?.['chunkQueue.sendBatch'];
    const row =
      `| ${fmt(lines)} | ${result.scenario} | ${fmt(rate)} | ${((result.bytes / 1e6) / result.seconds).toFixed(1)} | ${result.peakRssMb} | ` +
      `${median(ratios, (ratio) => ratio).toFixed(2)} | ${ratios.map((ratio) => ratio.toFixed(2)).join(' ')} | ${sends === undefined ? '-' : fmt(sends)} |`;
    rows.push(row);
    console.log(row);
  }
}

const { benchParsers } = await import('./parsers.js');
const parserRows = (await benchParsers()).map(
  (result) => `| ${result.format} | ${fmt(result.lines / result.seconds)} | ${((result.bytes / 1e6) / result.seconds).toFixed(1)} |`,
);
parserRows.forEach((row) => console.log(row));

if (write) {
  const doc = path.join(root, 'docs/performance.md');
  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\` (node ${process.version}, ${os.cpus().length} cores, shared machine): ` +
      `each scenario in its own process, ${repeats} rounds of floor, pipeline and per-line back to back; lines/s, MB/s and ` +
      `memory are the median run, × floor the median of the rounds' side-by-side ratios (each round's in the next column).`,
    '',
    '| lines | scenario | lines/s | MB/s | peak RSS MB | × floor | × floor by round | SendMessageBatch calls |',
    '|---:|---|---:|---:|---:|---:|---|---:|',
    ...rows,
    '',
    '| parser | lines/s | MB/s |',
    '|---|---:|---:|',
    ...parserRows,
  ].join('\n');
  const current = existsSync(doc) ? readFileSync(doc, 'utf8') : '';
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const block = `${start}\n${table}\n${end}`;
  writeFileSync(doc, current.includes(start) ? current.replace(new RegExp(`${start}[\\s\\S]*${end}`), block) : `${current}\n${block}\n`);
  console.log(`wrote ${path.relative(root, doc)}`);
}
