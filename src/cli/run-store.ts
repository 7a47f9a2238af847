import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LOCAL_BUCKET, LocalFileObjectStore } from '../adapters/local/local-file-object-store.js';
import { type Batch, deriveBatchId, isTerminal } from '../domain/batch.js';
import type { LogRepository } from '../application/ports/log-repository.port.js';
import { type LocalRunOptions, runLocalPipeline } from '../local/run-pipeline.js';
import type { RunSummary } from '../local/run-summary.js';
import { openStoreForCli, shellWord } from './store-option.js';
import { terminalText } from './terminal-text.js';

/** A file whose object version the store already holds: not run again unless `--reprocess`. */
export interface AlreadyProcessed {
  readonly source: string;
  readonly batchId: string;
  readonly status: string;
  /**
   * The batch was not final and made no progress while this run waited for it: a run stopped part-way (killed,
   * Ctrl-C, a crash) left it, and only `--reprocess` finishes it.
   */
  readonly interrupted?: { readonly processedChunks: number; readonly totalChunks?: number; readonly quietMs: number };
}

/** How long a batch another run is writing may show no progress before it counts as interrupted. */
export const DEFAULT_STALLED_AFTER_MS = 10_000;

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
  options: Omit<LocalRunOptions, 'store' | 'outPath'> & {
    readonly reprocess?: boolean;
    /** @default {@link DEFAULT_STALLED_AFTER_MS} */
    readonly stalledAfterMs?: number;
    /** Called once per file whose batch another run is still writing, before waiting for it. */
    readonly onWaiting?: (source: string, batch: Batch) => void;
  },
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
    // A batch that is not final is another run's work in progress, or what a stopped run left: wait while it moves.
    const settled = await Promise.all(
      alreadyProcessed.map((batch) => settle(opened.logRepository, batch, options.stalledAfterMs ?? DEFAULT_STALLED_AFTER_MS, options.onWaiting)),
    );
    alreadyProcessed.splice(0, alreadyProcessed.length, ...settled);
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

/**
 * Waits for a batch that is not final until it is, or until it shows no progress (status, chunks processed or
 * dead-lettered, last update) for `stalledAfterMs`: then it is reported as interrupted.
 */
async function settle(
  repository: LogRepository,
  found: AlreadyProcessed,
  stalledAfterMs: number,
  onWaiting: ((source: string, batch: Batch) => void) | undefined,
): Promise<AlreadyProcessed> {
  const progressOf = (batch: Batch) => `${batch.status}/${batch.processedChunks}/${batch.deadLetteredChunks.length}/${batch.updatedAt}`;
  const pollMs = Math.max(10, Math.min(250, stalledAfterMs / 4));
  let progress: string | undefined;
  let movedAt = Date.now();
  for (;;) {
    const current = await repository.getBatch(found.batchId);
    if (current === undefined) return found;
    if (isTerminal(current.status)) return { ...found, status: current.status };
    if (progress === undefined) onWaiting?.(found.source, current);
    if (progressOf(current) !== progress) {
      progress = progressOf(current);
      movedAt = Date.now();
    } else if (Date.now() - movedAt >= stalledAfterMs) {
      const interrupted = { processedChunks: current.processedChunks, totalChunks: current.totalChunks, quietMs: Date.now() - movedAt };
      return { ...found, status: current.status, interrupted };
    }
    await delay(pollMs);
  }
}

/** The lines the human summary adds for a store run. */
export function renderStoreNotes(result: StoreRunResult, cwd = process.cwd()): string {
  const lines = result.summary.alreadyProcessed.map((batch) => {
    const source = batch.source.startsWith(`${cwd}/`) ? batch.source.slice(cwd.length + 1) : batch.source;
    const { interrupted } = batch;
    if (interrupted === undefined) return `${source}: already processed (batch ${batch.batchId}, ${batch.status}); --reprocess runs it again`;
    const chunks = `${interrupted.processedChunks}${interrupted.totalChunks === undefined ? '' : `/${interrupted.totalChunks}`} chunks processed`;
    return (
      `${source}: not finished (batch ${batch.batchId}, ${batch.status}, ${chunks}, no progress for ${Math.round(interrupted.quietMs / 1000)} s): ` +
      `a run stopped part-way left it; --reprocess runs it again`
    );
  });
  lines.push(`stored in ${result.summary.store}; to see it: ${result.next}`);
  // File names are the user's, and may hold control characters (see terminalText).
  return `${lines.map(terminalText).join('\n')}\n`;
}
