import { Command } from 'commander';
import type { Batch } from '../domain/batch.js';
import { objectName } from '../domain/chunk.js';
import { AWS_TARGET_FLAGS, type AwsTargetOptions } from './aws-target-flags.js';
import { integerOption } from './numeric-options.js';
import { operatorTarget } from './operator-target.js';
import { renderTable } from './render-table.js';
import { storeOption, storeOrStack } from './store-option.js';
import { terminalText } from './terminal-text.js';
import { EXIT_BATCH_FAILED, EXIT_OK, UsageError } from './usage-error.js';

interface OutputOptions extends AwsTargetOptions {
  readonly store?: string;
  readonly json?: boolean;
  readonly limit?: number;
  readonly stuckAfter?: number;
}

/** `logbatch batches` flags a batch stuck after this many minutes without progress, unless `--stuck-after` says. */
export const DEFAULT_STUCK_AFTER_MINUTES = 60;

/**
 * How long a batch has made no progress, if it is stuck: still `SPLITTING` or `SPLIT` and last updated (a
 * checkpoint, a chunk counted) more than `thresholdMs` ago. Chunks that expire or a split that dies leave a batch
 * exactly so.
 */
export function stuckForMs(batch: Pick<Batch, 'status' | 'updatedAt'>, now: Date, thresholdMs: number): number | undefined {
  if (batch.status !== 'SPLITTING' && batch.status !== 'SPLIT') return undefined;
  const stillMs = now.getTime() - Date.parse(batch.updatedAt);
  return Number.isFinite(stillMs) && stillMs > thresholdMs ? stillMs : undefined;
}

/** `2h05m`, `45m`. */
function formatStill(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  return minutes >= 60 ? `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m` : `${minutes}m`;
}

function withTargetFlags(command: Command): Command {
  for (const [flags, description] of AWS_TARGET_FLAGS) command.option(flags, description);
  return command.addOption(storeOption()).option('--json', 'print JSON');
}

const print = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};

function progressOf(batch: Batch): string {
  if (batch.totalChunks === undefined) return `${batch.processedChunks} chunk(s) processed, splitting`;
  if (batch.totalChunks === 0) return '100%';
  return `${Math.floor((100 * batch.processedChunks) / batch.totalChunks)}% (${batch.processedChunks}/${batch.totalChunks} chunks)`;
}

/** Chunks listed by index at most; `--json` has them all. */
const MAX_LISTED_CHUNKS = 20;

/** Indexes marked `#` with a count, so chunk 0 never reads as "no chunks": `#0, #3 (2 chunks)`. */
function deadLetteredChunksOf(batch: Batch): string {
  const chunks = [...batch.deadLetteredChunks].sort((a, b) => a - b);
  if (chunks.length === 0) return 'none';
  const listed = chunks.slice(0, MAX_LISTED_CHUNKS).map((chunk) => `#${chunk}`);
  if (chunks.length > MAX_LISTED_CHUNKS) listed.push('…');
  return `${listed.join(', ')} (${chunks.length} chunk${chunks.length === 1 ? '' : 's'})`;
}

/** `logbatch status <batchId>`: one batch's progress, counters, dead-lettered chunks and reason. */
export function statusCommand(): Command {
  return withTargetFlags(new Command('status'))
    .description("show a batch's progress, counters, dead-lettered chunks and failure reason")
    .argument('<batchId>', 'the batch id (from `logbatch batches` or the run summary)')
    .action(async (batchId: string, given: OutputOptions, command: Command) => {
      const options = storeOrStack(given, command.getOptionValueSource('store'));
      const { repository, holder } = await operatorTarget(options, { readOnly: true });
      const batch = await repository.getBatch(batchId);
      if (batch === undefined) throw new UsageError(`no batch ${terminalText(batchId)} in this ${holder}`);
      if (options.json === true) print(JSON.stringify(batch, null, 2));
      else {
        const rows: Array<[string, string]> = [
          ['batch', batch.batchId],
          ['source', objectName(batch.source.bucket, batch.source.key)],
          ['status', batch.status],
          ['progress', progressOf(batch)],
          ['format', batch.format ?? '-'],
          ['lines', String(batch.totalLines ?? `${batch.stats.lines} so far`)],
          ['entries', String(batch.stats.entries)],
          ['unparsed', String(batch.stats.unparsed)],
          ['blank', String(batch.stats.blank)],
          ['continuation', String(batch.stats.continuation)],
          ['truncated', String(batch.stats.truncated)],
          ['filtered', String(batch.stats.filtered)],
          ['redacted', String(batch.stats.redacted)],
          ['dead-lettered chunks', deadLetteredChunksOf(batch)],
          ['created', batch.createdAt],
          ['updated', batch.updatedAt],
        ];
        if (batch.completedAt !== undefined) rows.push(['completed', batch.completedAt]);
        if (batch.reason !== undefined) rows.push(['reason', `${batch.failureCode ?? ''} ${batch.reason}`.trim()]);
        if (batch.checkpoint !== undefined) rows.push(['checkpoint', `byte ${batch.checkpoint.byteOffset}, line ${batch.checkpoint.nextLineNumber}`]);
        const width = Math.max(...rows.map(([label]) => label.length));
        // Keys, reasons and ids come from files and messages: escaped, so they cannot drive the terminal.
        print(rows.map(([label, value]) => `${label.padEnd(width)}  ${terminalText(value)}`).join('\n'));
      }
      command.setOptionValue('exitCode', batch.status === 'FAILED' ? EXIT_BATCH_FAILED : EXIT_OK);
    });
}

/** `logbatch batches`: the most recent batches. */
export function batchesCommand(): Command {
  return withTargetFlags(new Command('batches'))
    .description('list the most recent batches')
    .option('--limit <n>', 'how many', integerOption('--limit'), 20)
    .option(
      '--stuck-after <minutes>',
      'flag SPLITTING/SPLIT batches without progress for this long',
      integerOption('--stuck-after'),
      DEFAULT_STUCK_AFTER_MINUTES,
    )
    .action(async (given: OutputOptions, command: Command) => {
      const options = storeOrStack(given, command.getOptionValueSource('store'));
      const { repository } = await operatorTarget(options, { readOnly: true });
      const batches = await repository.listBatches({ limit: options.limit });
      const now = new Date();
      const thresholdMs = (options.stuckAfter ?? DEFAULT_STUCK_AFTER_MINUTES) * 60_000;
      const stuck = new Map(batches.flatMap((batch) => {
        const stillMs = stuckForMs(batch, now, thresholdMs);
        return stillMs === undefined ? [] : [[batch.batchId, stillMs] as const];
      }));
      if (options.json === true) {
        return print(JSON.stringify(batches.map((batch) => (stuck.has(batch.batchId) ? { ...batch, stuckForMs: stuck.get(batch.batchId) } : batch)), null, 2));
      }
      if (batches.length === 0) return print('no batches yet');
      print(
        renderTable(
          ['batch', 'status', 'progress', 'lines', 'entries', 'unparsed', 'created', 'source'],
          batches.map((batch) => [
            batch.batchId,
            stuck.has(batch.batchId) ? `${batch.status} (stuck ${formatStill(stuck.get(batch.batchId)!)})` : batch.status,
            progressOf(batch),
            String(batch.totalLines ?? '-'),
            String(batch.stats.entries),
            String(batch.stats.unparsed),
            batch.createdAt,
            objectName(batch.source.bucket, batch.source.key),
          ]),
        ),
      );
      if (stuck.size > 0) {
        print(`${stuck.size} batch(es) stuck: no progress for over ${thresholdMs / 60_000} minutes (docs/operations.md, "Stuck batches")`);
      }
    });
}

/** `logbatch dlq list|redrive`: what is on the dead-letter queue and why; moving it back. */
export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('inspect and redrive the dead-letter queue');
  dlq.addCommand(
    withTargetFlags(new Command('list'))
      .description('list dead-lettered chunks with their reasons (on AWS, also record them in their batches)')
      .option('--limit <n>', 'how many', integerOption('--limit'), 100)
      .action(async (given: OutputOptions, command: Command) => {
        const options = storeOrStack(given, command.getOptionValueSource('store'));
        const { deadLetters } = await operatorTarget(options, { readOnly: true });
        const reports = await deadLetters.list({ limit: options.limit });
        if (options.json === true) return print(JSON.stringify(reports.map(({ body: _body, ...report }) => report), null, 2));
        if (reports.length === 0) return print('the dead-letter queue is empty');
        print(
          renderTable(
            ['batch', 'chunk', 'batch status', 'reason'],
            reports.map((report) => [report.batchId ?? '?', String(report.chunk ?? '?'), report.batchStatus ?? '-', report.reason]),
          ),
        );
      }),
  );
  dlq.addCommand(
    withTargetFlags(new Command('redrive'))
      .description('move every dead-lettered message back to the chunk queue')
      .action(async (given: OutputOptions, command: Command) => {
        const options = storeOrStack(given, command.getOptionValueSource('store'));
        const target = await operatorTarget(options);
        try {
          const result = await target.redrive();
          if (options.json === true) return print(JSON.stringify(result));
          const lines = [`moved ${result.moved} message(s) back to the chunk queue`];
          // On a store the chunks were processed right away: say where their batches stand.
          for (const batch of result.batches ?? []) lines.push(terminalText(`batch ${batch.batchId}: ${batch.status} (${progressOf(batch)}, ${batch.stats.entries} entries)`));
          if (result.stillDeadLettered !== undefined && result.stillDeadLettered > 0) lines.push(`${result.stillDeadLettered} message(s) dead-lettered again`);
          print(lines.join('\n'));
        } finally {
          target.close();
        }
      }),
  );
  return dlq;
}
