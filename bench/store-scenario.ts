/**
 * `run --store` in its own process, so its peak memory is its own. Prints one JSON line like bench/scenario.ts.
 *
 *   node --import tsx bench/store-scenario.ts <file> <store.db>
 */
import 'reflect-metadata';
import { rmSync, statSync } from 'node:fs';
import { openLocalStore } from '../src/local/local-store.js';
import { runLocalPipeline } from '../src/local/run-pipeline.js';

const [file, storeFile] = process.argv.slice(2);
for (const suffix of ['', '-wal', '-shm']) rmSync(`${storeFile}${suffix}`, { force: true });
const started = performance.now();
const opened = await openLocalStore(storeFile);
const summary = await runLocalPipeline({ files: [file], store: opened, settings: { format: 'json' } });
opened.close();
const seconds = (performance.now() - started) / 1000;
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(
  `${JSON.stringify({ scenario: 'store', lines: summary.totals.lines, bytes: statSync(file).size, seconds, peakRssMb, status: summary.batches[0]?.status, storeMb: Math.round(statSync(storeFile).size / 1e6) })}\n`,
);
