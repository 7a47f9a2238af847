/**
 * `npm run bench:ui`: the page's API over a batch of 1M entries, in the SQLite store and in memory — one page of
 * 100 entries (first page, a later page by cursor, filtered pages) and the histogram (first call, then the cached
 * answer) — timed over HTTP as the browser asks, first call and median of 5.
 *
 *   npm run bench:ui [-- --lines 1000000]
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openLocalStore } from '../src/local/local-store.js';
import { runLocalPipeline } from '../src/local/run-pipeline.js';
import { loadClientAssets } from '../src/ui/client-assets.js';
import { memoryUiBackend, storeUiBackend, type UiBackend } from '../src/ui/ui-backend.js';
import { startUiServer } from '../src/ui/ui-server.js';
import { generateLogFile } from './generate.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const lines = Number(option('--lines', '1000000'));
const root = path.resolve(import.meta.dirname, '..');
const dataDir = path.join(root, '.bench');
mkdirSync(dataDir, { recursive: true });
const file = path.join(dataDir, `app-${lines}.jsonl`);
if (!existsSync(file)) await generateLogFile(file, lines, lines);
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(label: string, backend: UiBackend): Promise<void> {
  const server = await startUiServer({ backend, assets: await loadClientAssets(), port: 0 });
  try {
    const [batch] = await backend.repository.listBatches({ limit: 1 });
    const base = `/api/batches/${batch.batchId}`;
    const time = async (pathname: string) => {
      const started = performance.now();
      const response = await fetch(new URL(pathname, server.url));
      const body = (await response.json()) as { items?: unknown[]; cursor?: string; total?: number };
      if (!response.ok) throw new Error(`${pathname}: ${response.status} ${JSON.stringify(body)}`);
      return { ms: performance.now() - started, body };
    };
    const firstPage = await time(`${base}/entries?limit=100`);
    let cursor = firstPage.body.cursor!;
    // The 301st page, by following cursors as Next does (not timed), to time a page past the start of the batch.
    for (let page = 1; page < 300 && cursor !== undefined; page++) cursor = (await time(`${base}/entries?limit=100&cursor=${cursor}`)).body.cursor!;
    const cases: Array<[string, string]> = [
      ['entries, first page of 100', `${base}/entries?limit=100`],
      ['entries, page 301 of 100 (by cursor)', `${base}/entries?limit=100&cursor=${cursor}`],
      ['entries ≥ error, first page of 100', `${base}/entries?limit=100&severity=error`],
      ['entries grep "retrying upstream", first page of 100', `${base}/entries?limit=100&grep=${encodeURIComponent('retrying upstream')}`],
      ['entries where http.response.status_code=500, first page', `${base}/entries?limit=100&where=${encodeURIComponent('http.response.status_code=500')}`],
      ['histogram, 60 buckets', `${base}/histogram?buckets=60`],
    ];
    console.log(`${label}: batch of ${batch.stats.entries.toLocaleString('en-US')} entries`);
    for (const [name, pathname] of cases) {
      const times: number[] = [];
      let shown = 0;
      for (let attempt = 0; attempt < 6; attempt++) {
        const { ms, body } = await time(pathname);
        times.push(ms);
        shown = body.items?.length ?? body.total ?? 0;
      }
      console.log(`  ${name}: first ${times[0].toFixed(1)} ms, median of 5 ${median(times.slice(1)).toFixed(1)} ms (${shown.toLocaleString('en-US')} ${name.startsWith('histogram') ? 'counted' : 'shown'})`);
    }
  } finally {
    await server.close();
  }
}

console.log(`node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`);
const storeFile = path.join(dataDir, `ui-store-${lines}.db`);
if (!existsSync(storeFile)) {
  const opened = await openLocalStore(storeFile);
  await runLocalPipeline({ files: [file], store: opened });
  opened.close();
}
const opened = await openLocalStore(storeFile, { mustExist: true });
await measure('SQLite store', await storeUiBackend(opened));
opened.close();

const memory = memoryUiBackend();
const started = performance.now();
await runLocalPipeline({ files: [file], store: memory.adapters });
console.log(`(memory run of ${lines.toLocaleString('en-US')} lines kept for the page: ${((performance.now() - started) / 1000).toFixed(1)} s, RSS ${Math.round(process.memoryUsage().rss / 1e6)} MB)`);
await measure('memory', memory);
