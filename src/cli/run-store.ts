import path from 'node:path';
import { LOCAL_BUCKET, LocalFileObjectStore } from '../adapters/local/local-file-object-store.js';
import { deriveBatchId } from '../domain/batch.js';
import { type LocalRunOptions, runLocalPipeline } from '../local/run-pipeline.js';
import type { RunSummary } from '../local/run-summary.js';
import { openStoreForCli, shellWord } from './store-option.js';

/** A file whose object version the store already holds: not run again unless `--reprocess`. */
export interface AlreadyProcessed {
  readonly source: string;
  readonly batchId: string;
  readonly status: string;
}

export interface StoreRunResult {
  readonly summary: RunSummary & { readonly store: string; readonly alreadyProcessed: readonly AlreadyProcessed[] };
  /** The one command that shows what the run stored. */
  readonly next: string;
}

/**
 * `logbatch run --store PATH`: the memory backend's run, keeping batches, entries and dead letters in the SQLite
 * store. A file whose batch (same path and content) is already there is the duplicate case and is reported, not
 * run, unless `reprocess` removes the old batch first.
 */
export async function runIntoStore(
  storePath: string,
  options: Omit<LocalRunOptions, 'store' | 'outPath'> & { readonly reprocess?: boolean },
): Promise<StoreRunResult> {
  const opened = await openStoreForCli(storePath);
  try {
    const objects = new LocalFileObjectStore();
    const toRun: string[] = [];
    const alreadyProcessed: AlreadyProcessed[] = [];
    for (const file of options.files) {
      const source = path.resolve(file);
      const batchId = deriveBatchId(await objects.head(LOCAL_BUCKET, source));
      const existing = await opened.logRepository.getBatch(batchId);
      if (existing !== undefined && options.reprocess !== true) {
        alreadyProcessed.push({ source, batchId, status: existing.status });
        continue;
      }
      if (existing !== undefined) opened.logRepository.deleteBatch(batchId);
      toRun.push(file);
    }
    const summary = await runLocalPipeline({ ...options, files: toRun, store: opened });
    // Another run that started on the same files at the same time got to these first.
    for (const batch of summary.createdElsewhere ?? []) alreadyProcessed.push({ source: path.resolve(batch.source), batchId: batch.batchId, status: batch.status });
    const batchIds = [...summary.batches.map((batch) => batch.batchId), ...alreadyProcessed.map((batch) => batch.batchId)];
    const next =
      batchIds.length === 1
        ? `logbatch query --store ${shellWord(storePath)} --batch ${batchIds[0]}`
        : `logbatch query --store ${shellWord(storePath)}`;
    return { summary: { ...summary, store: storePath, alreadyProcessed }, next };
  } finally {
    opened.close();
  }
}

/** The lines the human summary adds for a store run. */
export function renderStoreNotes(result: StoreRunResult, cwd = process.cwd()): string {
  const lines = result.summary.alreadyProcessed.map(
    (batch) =>
      `${batch.source.startsWith(`${cwd}/`) ? batch.source.slice(cwd.length + 1) : batch.source}: already processed ` +
      `(batch ${batch.batchId}, ${batch.status}); --reprocess runs it again`,
  );
  lines.push(`stored in ${result.summary.store}; to see it: ${result.next}`);
  return `${lines.join('\n')}\n`;
}
