/**
 * `npm run bench`: generates deterministic log files and measures, side by side, scenarios that each run in their
 * own process (bench/scenario.ts, bundled once with esbuild as the CLI is, so every run measures the same code and
 * none pays for compiling TypeScript):
 *
 * - read: the reading floor (read, split, parse), the in-process pipeline (`run`, no output) and the
 *   one-message-per-line design, at 10k / 100k / 1M lines of JSON;
 * - write: the writing floor (read, split, parse, `JSON.stringify` each entry, write JSON Lines) and `run --out`,
 *   on the 2M-line JSON file and the 2M-line mixed JSON/text file;
 * - memory: peak RSS of `run` and `run --out` at 2M and 6M lines;
 * - goaccess: `run --out --format combined` on 1M combined access-log lines against `goaccess` (skipped, saying so,
 *   when goaccess is not installed);
 * - store: `run --store` on the 1M-line file against the reading floor, its peak RSS, and query pages;
 * - parsers: throughput of every line parser;
 * - redaction: `run` with the default detectors against `run --no-redact` on 1M JSON and 1M combined access-log lines.
 *
 * Each section writes its own block of docs/performance.md.
 *
 *   npm run bench [-- --sections read,write --sizes 10000,100000,1000000 --repeats 5 --no-write]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { generateLogFile, type LineGenerator, mixedLogLine } from './generate.js';
import { GENERATORS } from './parsers.js';
import { DETECTORS } from '../src/domain/redaction/detectors.js';
import { hidingEscapes } from '../src/domain/redaction/redactor.js';
import { triggerPattern } from '../src/domain/redaction/trigger-pattern.js';
import { DEFAULT_MEMORY_BUDGET_MB } from '../src/local/memory-governor.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1];
};
const sections = new Set(option('--sections', 'read,write,memory,goaccess,store,parsers,redaction').split(','));
const sizes = option('--sizes', '10000,100000,1000000').split(',').map(Number);
const perLineMax = Number(option('--per-line-max', '100000'));
/** Rounds: each runs every scenario once, back to back; the table shows the median run and the median round's ratio. */
const repeats = Number(option('--repeats', '5'));
const writeLines = Number(option('--write-lines', '2000000'));
const memoryLines = option('--memory-lines', '2000000,6000000').split(',').map(Number);
const write = !args.includes('--no-write');
const root = path.resolve(import.meta.dirname, '..');
const dataDir = path.join(root, '.bench');
mkdirSync(dataDir, { recursive: true });
const scratch = path.join(dataDir, 'out');
mkdirSync(scratch, { recursive: true });

interface Measurement {
  scenario: string;
  lines: number;
  bytes: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  status?: string;
  requests?: Record<string, number>;
  storeMb?: number;
}

// One bundle for the whole run: edits made while the bench runs do not change what it measures.
const scenarioBundle = path.join(dataDir, 'scenario.mjs');
await build({
  entryPoints: [path.join(root, 'bench/scenario.ts')],
  outfile: scenarioBundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});

function measure(scenario: string, file: string, ...rest: string[]): Measurement {
  const output = execFileSync(process.execPath, [scenarioBundle, scenario, file, ...rest], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(output.trim().split('\n').pop()!) as Measurement;
}

/** The middle item by `value` (the upper one of an even count). */
const median = <T>(items: readonly T[], value: (item: T) => number): T =>
  [...items].sort((a, b) => value(a) - value(b))[Math.floor(items.length / 2)];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const today = new Date().toISOString().slice(0, 10);
const machine = `node ${process.version}, ${os.cpus().length} cores, shared machine`;
const load = () => os.loadavg()[0].toFixed(1);
console.log(`${machine}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, load ${load()}`);

async function dataFile(name: string, lines: number, generate?: LineGenerator): Promise<string> {
  const file = path.join(dataDir, `${name}-${lines}.${name === 'app' ? 'jsonl' : 'log'}`);
  if (!existsSync(file)) {
    console.log(`generating ${path.relative(root, file)}`);
    await generateLogFile(file, lines, lines, generate);
  }
  return file;
}
const combinedLine: LineGenerator = (random) => GENERATORS.combined(random);

/**
 * Runs `scenarios` back to back in each of `repeats` rounds; the first is the floor the others are compared with.
 * A scenario's `name` labels it; `scenario` (default: the name) is what bench/scenario.ts runs.
 * With `alternate`, every other round runs them in reverse order, so none always follows the same neighbour.
 * `loads` collects the 1-minute load average before each run.
 */
function rounds(file: string, scenarios: ReadonlyArray<{ name: string; args: string[]; scenario?: string }>, count = repeats, options: { alternate?: boolean; loads?: number[] } = {}) {
  const runs = new Map<string, Measurement[]>(scenarios.map(({ name }) => [name, []]));
  for (let round = 0; round < count; round++) {
    const order = options.alternate === true && round % 2 === 1 ? [...scenarios].reverse() : scenarios;
    for (const { name, args: rest, scenario } of order) {
      options.loads?.push(os.loadavg()[0]);
      const result = measure(scenario ?? name, file, ...rest);
      runs.get(name)!.push(result);
      console.log(`  round ${round + 1} ${name}: ${result.seconds.toFixed(2)} s (${result.cpuSeconds.toFixed(2)} s CPU), ${result.peakRssMb} MB, load ${load()}`);
    }
  }
  return runs;
}

/** A table row: the median run, the median of the rounds' side-by-side ratios to the floor (wall, then CPU). */
function summarize(lines: number, label: string, own: Measurement[], floor: Measurement[]) {
  const result = median(own, (run) => run.seconds);
  const ratios = own.map((run, round) => floor[round].seconds / run.seconds);
  const cpuRatios = own.map((run, round) => floor[round].cpuSeconds / run.cpuSeconds);
  return {
    result,
    ratio: median(ratios, (ratio) => ratio),
    cpuRatio: median(cpuRatios, (ratio) => ratio),
    ratios,
    rate: result.lines / result.seconds,
    mbPerSecond: result.bytes / 1e6 / result.seconds,
    peakRssMb: median(own, (run) => run.peakRssMb).peakRssMb,
    label,
    lines,
  };
}

/** Replaces (or appends) the block between `<!-- bench:<name>:start -->` and its end marker. */
function writeBlock(name: string, lines: readonly string[]): void {
  if (!write) return;
  const doc = path.join(root, 'docs/performance.md');
  const current = existsSync(doc) ? readFileSync(doc, 'utf8') : '';
  const start = `<!-- bench:${name}start -->`;
  const end = `<!-- bench:${name}end -->`;
  const block = `${start}\n${lines.join('\n')}\n${end}`;
  const at = current.indexOf(start);
  const until = current.indexOf(end);
  writeFileSync(doc, at !== -1 && until > at ? current.slice(0, at) + block + current.slice(until + end.length) : `${current}\n${block}\n`);
  console.log(`wrote the ${name || 'read:'} block of ${path.relative(root, doc)}`);
}

if (sections.has('read')) {
  const rows: string[] = [];
  for (const lines of sizes) {
    const file = await dataFile('app', lines);
    const scenarios = ['floor', 'pipeline', ...(lines <= perLineMax ? ['per-line'] : [])].map((name) => ({ name, args: ['--format', 'json'] }));
    console.log(`read, ${fmt(lines)} lines`);
    const runs = rounds(file, scenarios);
    for (const { name } of scenarios) {
      const row = summarize(lines, name, runs.get(name)!, runs.get('floor')!);
      const sends = row.result.requests?.['chunkQueue.sendBatch'];
      rows.push(
        `| ${fmt(lines)} | ${name} | ${fmt(row.rate)} | ${row.mbPerSecond.toFixed(1)} | ${row.peakRssMb} | ${row.ratio.toFixed(2)} | ` +
          `${row.ratios.map((ratio) => ratio.toFixed(2)).join(' ')} | ${row.cpuRatio.toFixed(2)} | ${sends === undefined ? '-' : fmt(sends)} |`,
      );
      console.log(rows.at(-1));
    }
  }
  // The original block (no name) keeps its markers.
  writeBlock('', [
    `Measured ${today} with \`npm run bench\` (${machine}): each scenario in its own process, ${repeats} rounds of floor, ` +
      `pipeline and per-line back to back; lines/s, MB/s and memory are the median run, × floor the median of the rounds' ` +
      `side-by-side ratios of wall time (each round's in the next column), CPU × floor the same for CPU time.`,
    '',
    '| lines | scenario | lines/s | MB/s | peak RSS MB | × floor | × floor by round | CPU × floor | SendMessageBatch calls |',
    '|---:|---|---:|---:|---:|---:|---|---:|---:|',
    ...rows,
  ]);
}

if (sections.has('write')) {
  const rows: string[] = [];
  const writeLoads: number[] = [];
  const files: Array<[string, string, string]> = [
    ['JSON', await dataFile('app', writeLines), 'json'],
    ['mixed JSON/text', await dataFile('mixed', writeLines, mixedLogLine), 'json+text'],
  ];
  for (const [kind, file, format] of files) {
    const out = path.join(scratch, 'entries.jsonl');
    console.log(`write, ${fmt(writeLines)} lines of ${kind}`);
    const scenarios = [
      { name: 'floor-write', args: ['--format', format, '--out', out] },
      { name: 'out', args: ['--format', format, '--out', out] },
      // The floor does not redact; this row shows what the pipeline costs without the redaction `run` does by default.
      { name: 'out --no-redact', scenario: 'out', args: ['--format', format, '--out', out, '--no-redact'] },
    ];
    const runs = rounds(file, scenarios, repeats, { alternate: true, loads: writeLoads });
    for (const { name } of scenarios) {
      const row = summarize(writeLines, name, runs.get(name)!, runs.get('floor-write')!);
      const label = name === 'floor-write' ? 'writing floor' : `\`run ${name.replace('out', '--out')}\``;
      rows.push(
        `| ${kind} | ${label} | ${fmt(row.rate)} | ${row.mbPerSecond.toFixed(1)} | ${row.peakRssMb} | ` +
          `${row.ratio.toFixed(2)} | ${row.ratios.map((ratio) => ratio.toFixed(2)).join(' ')} | ${row.cpuRatio.toFixed(2)} |`,
      );
      console.log(rows.at(-1));
    }
    rmSync(out, { force: true });
  }
  writeBlock('write:', [
    `Measured ${today} with \`npm run bench -- --sections write\` (${machine}, 1-minute load ${Math.min(...writeLoads).toFixed(1)}-${Math.max(...writeLoads).toFixed(1)}): ` +
      `${fmt(writeLines)} lines per file, ${repeats} rounds of the writing floor, \`run --out\` and \`run --out --no-redact\` back to back, ` +
      `every other round in reverse order; medians as above.`,
    '',
    '| file | scenario | lines/s | MB/s | peak RSS MB | × writing floor | by round | CPU × writing floor |',
    '|---|---|---:|---:|---:|---:|---|---:|',
    ...rows,
  ]);
}

/**
 * Runs the `logbatch` command itself (the CLI bundle, as a user runs it), with `env` added; its peak RSS and CPU time
 * come from bench/report-rss.mjs, preloaded.
 */
function measureCommand(args: readonly string[], env: Record<string, string> = {}): { peakRssMb: number; cpuSeconds: number; seconds: number } {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', './bench/report-rss.mjs', 'bin/logbatch.js', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`logbatch ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ...(JSON.parse(result.stderr.trim().split('\n').pop()!) as { peakRssMb: number; cpuSeconds: number }), seconds };
}

if (sections.has('memory')) {
  // The command runs dist/logbatch.mjs only when it is newer than every source file (else the sources through tsx,
  // which holds ~40 MB more): build it from the working tree first.
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: root, stdio: 'inherit' });
  const rows: string[] = [];
  /** Peak RSS at the first size, per run kind: the later sizes are compared with it (goal: within 10 %). */
  const firstPeak = new Map<string, number>();
  const growth = (name: string, peak: number, lines: number) => {
    if (!firstPeak.has(name)) firstPeak.set(name, peak);
    const change = peak / firstPeak.get(name)! - 1;
    return lines === memoryLines[0] ? '-' : `${change >= 0 ? '+' : ''}${(change * 100).toFixed(0)} %`;
  };
  for (const lines of memoryLines) {
    const file = await dataFile('app', lines);
    const out = path.join(scratch, 'entries.jsonl');
    for (const [label, name, rest] of [
      ['`run`', 'pipeline', []],
      ['`run --out`', 'out', ['--out', out]],
    ] as const) {
      const result = measure(name, file, '--format', 'json', ...rest);
      const command = measureCommand(['run', file, '--format', 'json', '--no-progress', ...rest]);
      const unbounded = measureCommand(['run', file, '--format', 'json', '--no-progress', ...rest], { LOGBATCH_MEMORY_BUDGET_MB: '0' });
      console.log(
        `memory, ${fmt(lines)} lines, ${name}: scenario ${result.peakRssMb} MB in ${result.seconds.toFixed(1)} s, command ${command.peakRssMb} MB ` +
          `in ${command.seconds.toFixed(1)} s, command without budget ${unbounded.peakRssMb} MB in ${unbounded.seconds.toFixed(1)} s`,
      );
      rows.push(
        `| ${fmt(lines)} | ${(result.bytes / 1e6).toFixed(0)} | ${label} | ${result.peakRssMb} | ${growth(name, result.peakRssMb, lines)} | ` +
          `${command.peakRssMb} | ${growth(`command ${name}`, command.peakRssMb, lines)} | ${command.seconds.toFixed(1)} | ${command.cpuSeconds.toFixed(1)} | ` +
          `${unbounded.peakRssMb} | ${unbounded.cpuSeconds.toFixed(1)} |`,
      );
    }
    rmSync(out, { force: true });
  }
  writeBlock('memory:', [
    `Measured ${today} with \`npm run bench -- --sections memory\` (${machine}): one run each, peak RSS of the whole process ` +
      `(default queue capacity), of the bench's scenario and of the \`logbatch run\` command itself (\`node bin/logbatch.js\`), ` +
      `with its memory budget (${DEFAULT_MEMORY_BUDGET_MB} MB) and without it (\`LOGBATCH_MEMORY_BUDGET_MB=0\`); "vs ${fmt(memoryLines[0])}" ` +
      'is the change from the same run on the first file.',
    '',
    `| lines | MB | run | scenario peak RSS MB | vs ${fmt(memoryLines[0])} | command peak RSS MB | vs ${fmt(memoryLines[0])} | command s | command CPU s | no budget: peak RSS MB | no budget: CPU s |`,
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ]);
}

if (sections.has('goaccess')) {
  const lines = 1_000_000;
  const file = await dataFile('combined', lines, combinedLine);
  const goaccess = spawnSync('goaccess', ['--version'], { encoding: 'utf8' });
  let block: string[];
  if (goaccess.error !== undefined || goaccess.status !== 0) {
    console.log('goaccess is not installed: skipping the comparison (apt-get install -y goaccess)');
    block = [`Skipped on ${today}: \`goaccess\` is not installed here (\`apt-get install -y goaccess\`).`];
  } else {
    const version = goaccess.stdout.split('\n')[0].replace(/\.$/, '');
    const out = path.join(scratch, 'entries.jsonl');
    const report = path.join(scratch, 'goaccess.json');
    const runs: Array<{ goaccess: number; out: Measurement }> = [];
    // goaccess takes minutes on this file (a million distinct client addresses): one round unless asked for more.
    const goaccessRounds = Number(option('--goaccess-repeats', '1'));
    for (let round = 0; round < goaccessRounds; round++) {
      const started = performance.now();
      const result = spawnSync('goaccess', [file, '--log-format=COMBINED', '--no-global-config', '--no-progress', '-o', report], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`goaccess failed: ${result.stderr}`);
      const goaccessSeconds = (performance.now() - started) / 1000;
      const run = measure('out', file, '--format', 'combined', '--out', out);
      runs.push({ goaccess: goaccessSeconds, out: run });
      console.log(`  round ${round + 1}: goaccess ${goaccessSeconds.toFixed(2)} s, run --out ${run.seconds.toFixed(2)} s`);
    }
    rmSync(out, { force: true });
    rmSync(report, { force: true });
    const speedups = runs.map((run) => run.goaccess / run.out.seconds);
    const middle = median(runs, (run) => run.out.seconds);
    block = [
      `Measured ${today} (${machine}, ${version}): ${fmt(lines)} combined access-log lines ` +
        `(${(statSync(file).size / 1e6).toFixed(0)} MB, a million distinct client addresses), ${runs.length} round(s) of \`goaccess FILE --log-format=COMBINED -o report.json\` ` +
        `and \`run --out --format combined\` back to back.`,
      '',
      '| run | seconds (median) | lines/s |',
      '|---|---:|---:|',
      `| goaccess | ${median(runs, (run) => run.goaccess).goaccess.toFixed(2)} | ${fmt(lines / median(runs, (run) => run.goaccess).goaccess)} |`,
      `| \`run --out --format combined\` | ${middle.out.seconds.toFixed(2)} | ${fmt(lines / middle.out.seconds)} |`,
      '',
      `\`run --out\` is **${median(speedups, (speedup) => speedup).toFixed(1)}×** as fast as goaccess (rounds: ${speedups.map((speedup) => speedup.toFixed(1)).join(' ')}).`,
    ];
  }
  block.forEach((line) => console.log(line));
  writeBlock('goaccess:', block);
}

if (sections.has('store')) {
  const lines = 1_000_000;
  const file = await dataFile('app', lines);
  const storeFile = path.join(dataDir, `store-${lines}.db`);
  console.log(`store, ${fmt(lines)} lines`);
  const writeOut = path.join(scratch, 'store-floor.jsonl');
  // The writing floor too: what serialising the same entries and appending them to a file costs, with nothing else.
  const runs = rounds(file, [
    { name: 'floor', args: ['--format', 'json'] },
    { name: 'floor-write', args: ['--format', 'json', '--out', writeOut] },
    { name: 'store', args: ['--format', 'json', '--store', storeFile] },
  ], Math.min(repeats, 3));
  rmSync(writeOut, { force: true });
  const row = summarize(lines, 'store', runs.get('store')!, runs.get('floor')!);
  const writing = summarize(lines, 'floor-write', runs.get('floor-write')!, runs.get('floor')!);
  const storeVsWriting = summarize(lines, 'store', runs.get('store')!, runs.get('floor-write')!);
  const { queryStore } = await import('./store.js');
  const queries = await queryStore(storeFile);
  queries.forEach((line) => console.log(line));
  writeBlock('store:', [
    `Measured ${today} with \`npm run bench -- --sections store\` (${machine}): ${Math.min(repeats, 3)} rounds of the reading ` +
      `floor, the writing floor and \`run --store\` back to back on the ${fmt(lines)}-line JSON file; query pages over the stored entries.`,
    '',
    '| what | result |',
    '|---|---:|',
    `| \`run --store\` × floor (rounds) | **${row.ratio.toFixed(2)}×** (${row.ratios.map((ratio) => ratio.toFixed(2)).join(' ')}); CPU × floor ${row.cpuRatio.toFixed(2)} |`,
    `| \`run --store\` lines/s, peak RSS | ${fmt(row.rate)}, ${row.peakRssMb} MB (store ${row.result.storeMb} MB) |`,
    `| writing floor × reading floor (rounds) | ${writing.ratio.toFixed(2)}× (${writing.ratios.map((ratio) => ratio.toFixed(2)).join(' ')}); CPU × floor ${writing.cpuRatio.toFixed(2)} |`,
    `| \`run --store\` × writing floor (rounds) | ${storeVsWriting.ratio.toFixed(2)}× (${storeVsWriting.ratios.map((ratio) => ratio.toFixed(2)).join(' ')}); CPU × writing floor ${storeVsWriting.cpuRatio.toFixed(2)} |`,
    ...queries.map((line) => `| ${line.replace(': ', ' | ')} |`),
  ]);
}

if (sections.has('parsers')) {
  const { benchParsers } = await import('./parsers.js');
  const parserRows = (await benchParsers()).map(
    (result) => `| ${result.format} | ${fmt(result.lines / result.seconds)} | ${((result.bytes / 1e6) / result.seconds).toFixed(1)} |`,
  );
  parserRows.forEach((row) => console.log(row));
  writeBlock('parsers:', ['| parser | lines/s | MB/s |', '|---|---:|---:|', ...parserRows]);
}

if (sections.has('redaction')) {
  const lines = 1_000_000;
  const count = Math.max(repeats, 3);
  const rows: string[] = [];
  const gates: string[] = [];
  const loads: number[] = [];
  for (const [kind, file, format] of [
    ['JSON', await dataFile('app', lines), 'json'],
    ['combined access log', await dataFile('combined', lines, combinedLine), 'combined'],
  ] as const) {
    console.log(`redaction, ${fmt(lines)} lines of ${kind}`);
    const on: Measurement[] = [];
    const off: Measurement[] = [];
    for (let round = 0; round < count; round++) {
      // Alternating which goes first, so neither always runs on the machine the other has just warmed or loaded.
      for (const redact of round % 2 === 0 ? [true, false] : [false, true]) {
        loads.push(os.loadavg()[0]);
        const result = measure('pipeline', file, '--format', format, ...(redact ? [] : ['--no-redact']));
        (redact ? on : off).push(result);
        console.log(`  round ${round + 1} ${redact ? 'redact' : 'no-redact'}: ${result.seconds.toFixed(2)} s (${result.cpuSeconds.toFixed(2)} s CPU), load ${load()}`);
      }
    }
    // The speed with redaction as a share of the speed without: time without / time with, per round.
    const row = summarize(lines, kind, on, off);
    const gate = gateMicroseconds(file);
    gates.push(`| ${kind} | ${gate.anyCase.toFixed(2)} | ${gate.triggerPattern.toFixed(2)} | ${gate.characterClass.toFixed(2)} |`);
    const middle = (runs: Measurement[], value: (run: Measurement) => number) => value(median(runs, value)).toFixed(2);
    rows.push(
      `| ${kind} | ${middle(off, (run) => run.cpuSeconds)} | ${middle(on, (run) => run.cpuSeconds)} | **${row.cpuRatio.toFixed(2)}** | ` +
        `${on.map((run, round) => (off[round].cpuSeconds / run.cpuSeconds).toFixed(2)).join(' ')} | ` +
        `${middle(off, (run) => run.seconds)} | ${middle(on, (run) => run.seconds)} | ${row.ratio.toFixed(2)} | ${row.ratios.map((ratio) => ratio.toFixed(2)).join(' ')} |`,
    );
    console.log(rows.at(-1));
  }
  writeBlock('redaction:', [
    `Measured ${today} with \`npm run bench -- --sections redaction\` (${machine}, 1-minute load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}): ` +
      `${fmt(lines)} lines per file, ${count} rounds of \`run\` (default detectors) and \`run --no-redact\` back to back, alternating which goes first; ` +
      `× is the speed with redaction as a share of the speed without (time without / time with), the median of the rounds' ratios.`,
    '',
    '| file | CPU s no-redact | CPU s redact | CPU × | CPU × by round | wall s no-redact | wall s redact | wall × | wall × by round |',
    '|---|---:|---:|---:|---|---:|---:|---:|---|',
    ...rows,
    '',
    'The per-event gate alone, µs of CPU per line (the first 100,000 lines of each file, best of 5 passes): the default ' +
      'triggers as one case-insensitive alternation (the gate before `triggerPattern`), as `triggerPattern` writes them ' +
      '(the gate now), and one character class `/[@%\\\\]/`, the floor of any regular-expression pass over a line.',
    '',
    '| file | `i` alternation | `triggerPattern` | `/[@%\\\\]/` |',
    '|---|---:|---:|---:|',
    ...gates,
  ]);
}

/** CPU µs per line of the default detectors' event gate, written two ways, and of a one-class scan, on a file's first lines. */
function gateMicroseconds(file: string): { anyCase: number; triggerPattern: number; characterClass: number } {
  const buffer = Buffer.alloc(32 * 1024 * 1024);
  const handle = openSync(file, 'r');
  const length = readSync(handle, buffer, 0, buffer.length, 0);
  closeSync(handle);
  const sample = buffer.toString('utf8', 0, length).split('\n').slice(0, 100_000);
  const triggers = DETECTORS.filter((detector) => detector.defaultOn).flatMap((detector) => detector.triggers ?? []);
  const escaped = [...new Set(triggers)].map((trigger) => trigger.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const hiding = hidingEscapes(triggers);
  const patterns = {
    anyCase: new RegExp([...escaped, ...hiding].join('|'), 'i'),
    triggerPattern: triggerPattern(triggers, hiding),
    characterClass: /[@%\\]/,
  };
  const best = { anyCase: Infinity, triggerPattern: Infinity, characterClass: Infinity };
  for (let pass = 0; pass < 5; pass++) {
    for (const name of Object.keys(patterns) as Array<keyof typeof patterns>) {
      const pattern = patterns[name];
      let found = 0;
      const started = process.cpuUsage();
      for (const line of sample) if (pattern.test(line)) found++;
      const used = process.cpuUsage(started);
      best[name] = Math.min(best[name], (used.user + used.system) / sample.length);
      if (found > sample.length) throw new Error('unreachable');
    }
  }
  return best;
}
