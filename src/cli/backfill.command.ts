import { Command } from 'commander';
import {
  type BackfillObjects,
  type BackfillSummary,
  DEFAULT_BACKFILL_RATE_PER_SECOND,
} from '../application/backfill-objects.use-case.js';
import { TOKENS } from '../di/tokens.js';
import { AWS_TARGET_FLAGS, type AwsTargetOptions } from './aws-target-flags.js';
import { UsageError } from './usage-error.js';

export interface BackfillCommandOptions extends AwsTargetOptions {
  readonly bucket: string;
  readonly prefix?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly rate: number;
  readonly dryRun?: boolean;
  readonly reprocess?: boolean;
  readonly continuationQueueUrl?: string;
  readonly json?: boolean;
}

/** `logbatch backfill`: objects already in a bucket, fed to the splitter as if just uploaded. */
export function backfillCommand(): Command {
  const command = new Command('backfill')
    .description('split objects already in a bucket (written before the pipeline listened, or to replay): skips those already processed')
    .usage('--bucket <name> [options]')
    .requiredOption('--bucket <name>', 'bucket to list (required)')
    .option('--prefix <prefix>', 'only keys starting with this')
    .option('--since <time>', 'only objects last modified at or after this ISO 8601 time (2026-11-01, 2026-11-01T09:00Z)', timeOption('--since'))
    .option('--until <time>', 'only objects last modified before this ISO 8601 time', timeOption('--until'))
    .option('--rate <n/s>', 'objects queued per second at most', rateOption, DEFAULT_BACKFILL_RATE_PER_SECOND)
    .option('--dry-run', 'list and count, queue nothing')
    .option('--reprocess', 'also split objects already processed again, each into a new batch (the old one stays)')
    .option('--continuation-queue-url <url>', "the splitter's own queue (default: LOGBATCH_CONTINUATION_QUEUE_URL; output ContinuationQueueUrl)")
    .option('--json', 'print the summary as JSON');
  for (const [flags, description] of AWS_TARGET_FLAGS) command.option(flags, description);
  return command.action(async (options: BackfillCommandOptions) => {
    if (options.since !== undefined && options.until !== undefined && options.since >= options.until) {
      throw new UsageError('--since must be before --until');
    }
    if (options.dryRun !== true && (options.continuationQueueUrl ?? process.env.LOGBATCH_CONTINUATION_QUEUE_URL ?? '').trim() === '') {
      throw new UsageError("backfill queues objects on the splitter's own queue: pass --continuation-queue-url or set LOGBATCH_CONTINUATION_QUEUE_URL");
    }
    const { awsTargetContainer } = await import('./aws-target.js');
    // It reads the table (what is processed already) and sends to the splitter's own queue; a dry run sends nothing.
    const uses = options.dryRun === true ? (['tableName'] as const) : (['tableName', 'continuationQueueUrl'] as const);
    const backfill = awsTargetContainer(options, uses).get<BackfillObjects>(TOKENS.BackfillObjects);
    const summary = await backfill.execute({
      bucket: options.bucket,
      prefix: options.prefix,
      since: options.since,
      until: options.until,
      ratePerSecond: options.rate,
      dryRun: options.dryRun,
      reprocess: options.reprocess,
    });
    process.stdout.write(options.json === true ? `${JSON.stringify(summary)}\n` : renderBackfillSummary(options, summary));
  });
}

/** Reprocessed objects the human summary names one by one; `--json` lists them all. */
const REPROCESSED_SHOWN = 20;

export function renderBackfillSummary(options: Pick<BackfillCommandOptions, 'bucket' | 'prefix' | 'reprocess'>, summary: BackfillSummary): string {
  const rows: Array<[string, number]> = [
    ['objects listed', summary.listed],
    [summary.dryRun ? 'would be queued' : 'queued for splitting', summary.queued],
  ];
  if (options.reprocess === true) {
    rows.push([summary.dryRun ? 'would be reprocessed' : 'reprocessed (new batch)', summary.reprocessed]);
    rows.push(['skipped, still processing', summary.skippedDone]);
  } else rows.push(['skipped as done', summary.skippedDone]);
  if (summary.skippedOutsideRange > 0) rows.push(['outside --since/--until', summary.skippedOutsideRange]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const heading = `backfill s3://${options.bucket}/${options.prefix ?? ''}${summary.dryRun ? ' (dry run: nothing queued)' : ''}`;
  const lines = [heading, ...rows.map(([label, count]) => `  ${label.padEnd(width)}  ${count}`)];
  const reprocessed = summary.reprocessedBatches ?? [];
  if (reprocessed.length > 0) {
    lines.push(`reprocess ${summary.reprocessId}: new batches (the old ones stay; logbatch status <batch> follows one)`);
    for (const object of reprocessed.slice(0, REPROCESSED_SHOWN)) lines.push(`  ${object.key}  ${object.previousBatchId} -> ${object.batchId}`);
    if (reprocessed.length > REPROCESSED_SHOWN) lines.push(`  ... and ${reprocessed.length - REPROCESSED_SHOWN} more (--json lists them all)`);
  }
  return `${lines.join('\n')}\n`;
}

function timeOption(flag: string) {
  return (value: string): Date => {
    // A date, or a date and time with a zone: a time without one would depend on this machine's zone.
    if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value) || Number.isNaN(Date.parse(value))) {
      throw new UsageError(`${flag}: expected an ISO 8601 date (2026-11-01) or time with a zone (2026-11-01T09:00Z), got "${value}"`);
    }
    return new Date(value);
  };
}

function rateOption(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(value.trim());
  const rate = match === null ? Number.NaN : Number(match[1]);
  if (!(rate > 0) || rate > 10_000) throw new UsageError(`--rate: expected objects per second, more than 0 and at most 10000 (10 or 10/s), got "${value}"`);
  return rate;
}
