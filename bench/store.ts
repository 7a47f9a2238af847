/**
 * `npm run bench:store`: the SQLite store side by side with the floor — `run --store` on the bench file as × floor
 * (each round runs floor then store back to back; the ratio is the median round's) with peak RSS, then query pages
 * over the stored entries in milliseconds (first call, then the median of 5).
 *
 *   npm run bench:store [-- --lines 1000000 --repeats 3]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteEntryQuery } from '../src/adapters/sqlite/sqlite-entry-query.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import type { EntryFilter } from '../src/application/ports/entry-query.port.js';
import { generateLogFile } from './generate.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const lines = Number(option('--lines', '1000000'));
const repeats = Number(option('--repeats', '3'));
const root = path.resolve(import.meta.dirname, '..');
const dataDir = path.join(root, '.bench');
mkdirSync(dataDir, { recursive: true });
const file = path.join(dataDir, `app-${lines}.jsonl`);
if (!existsSync(file)) await generateLogFile(file, lines, lines);
const storeFile = path.join(dataDir, `store-${lines}.db`);

interface Measurement {
  scenario: string;
  lines: number;
  seconds: number;
  peakRssMb: number;
  status?: string;
  storeMb?: number;
}
const run = (script: string, ...rest: string[]): Measurement => {
  const output = execFileSync(process.execPath, ['--import', 'tsx', path.join(root, script), ...rest], { cwd: root, encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop()!) as Measurement;
};
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`);
const rounds: Array<{ floor: Measurement; store: Measurement }> = [];
for (let round = 0; round < repeats; round++) {
  const floor = run('bench/scenario.ts', 'floor', file);
  const store = run('bench/store-scenario.ts', file, storeFile);
  rounds.push({ floor, store });
  console.log(
    `round ${round + 1}: floor ${floor.seconds.toFixed(2)} s, store ${store.seconds.toFixed(2)} s (${store.status}, ${store.storeMb} MB), ` +
      `× floor ${(floor.seconds / store.seconds).toFixed(2)}, peak RSS ${store.peakRssMb} MB`,
  );
}
const ratio = median(rounds.map(({ floor, store }) => floor.seconds / store.seconds));
console.log(
  `run --store, ${lines.toLocaleString('en-US')} lines: × floor ${ratio.toFixed(2)} (rounds ${rounds.map(({ floor, store }) => (floor.seconds / store.seconds).toFixed(2)).join(' ')}), ` +
    `${Math.round(lines / median(rounds.map(({ store }) => store.seconds))).toLocaleString('en-US')} lines/s, peak RSS ${median(rounds.map(({ store }) => store.peakRssMb))} MB`,
);

const store = SqliteStore.open(storeFile, { mustExist: true });
const query = new SqliteEntryQuery(store);
const queries: Array<[string, EntryFilter]> = [
  ['--severity error --limit 100', { minSeverityNumber: 17 }],
  ['--grep "retrying upstream" --limit 100', { grep: 'retrying upstream' }],
  ['--grep "index out of range [7]" --limit 100 (rare)', { grep: 'index out of range [7]' }],
  ['--where http.response.status_code=500 --limit 100', { where: [{ key: 'http.response.status_code', value: '500' }] }],
  ['--count --severity warn', { minSeverityNumber: 13 }],
];
for (const [label, filter] of queries) {
  const times: number[] = [];
  let found = 0;
  for (let attempt = 0; attempt < 6; attempt++) {
    const started = performance.now();
    if (label.startsWith('--count')) found = (await query.count(filter)).total;
    else found = (await query.find(filter, { limit: 100 })).items.length;
    times.push(performance.now() - started);
  }
  console.log(`query ${label}: first ${times[0].toFixed(1)} ms, median of 5 ${median(times.slice(1)).toFixed(1)} ms (${found} ${label.startsWith('--count') ? 'counted' : 'shown'})`);
}
store.close();
