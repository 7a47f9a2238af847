/**
 * Query pages over a store that `run --store` filled, in milliseconds (first call, then the median of 5): the query
 * half of the store section of `npm run bench`. Run directly (`npm run bench:store`), it runs that whole section:
 * `run --store` side by side with the floor, then these queries.
 *
 *   npm run bench:store [-- --repeats 3]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqliteEntryQuery } from '../src/adapters/sqlite/sqlite-entry-query.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import type { EntryFilter } from '../src/application/ports/entry-query.port.js';

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** One `label: result` line per query. */
export async function queryStore(storeFile: string): Promise<string[]> {
  const store = SqliteStore.open(storeFile, { mustExist: true });
  const query = new SqliteEntryQuery(store);
  const queries: Array<[string, EntryFilter]> = [
    ['--severity error --limit 100', { minSeverityNumber: 17 }],
    ['--grep "retrying upstream" --limit 100', { grep: 'retrying upstream' }],
    ['--grep "index out of range [7]" --limit 100 (rare)', { grep: 'index out of range [7]' }],
    ['--where http.response.status_code=500 --limit 100', { where: [{ key: 'http.response.status_code', value: '500' }] }],
    ['--count --severity warn', { minSeverityNumber: 13 }],
  ];
  const results: string[] = [];
  try {
    for (const [label, filter] of queries) {
      const times: number[] = [];
      let found = 0;
      for (let attempt = 0; attempt < 6; attempt++) {
        const started = performance.now();
        if (label.startsWith('--count')) found = (await query.count(filter)).total;
        else found = (await query.find(filter, { limit: 100 })).items.length;
        times.push(performance.now() - started);
      }
      results.push(
        `\`query ${label}\`: ${median(times.slice(1)).toFixed(1)} ms (median of 5; first ${times[0].toFixed(1)} ms; ${found} ${label.startsWith('--count') ? 'counted' : 'shown'})`,
      );
    }
  } finally {
    store.close();
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const run = path.join(import.meta.dirname, 'run.ts');
  const result = spawnSync(process.execPath, ['--import', 'tsx', run, '--sections', 'store', ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
}
