import { Command, InvalidArgumentError } from 'commander';
import type { EntryQuery } from '../application/ports/entry-query.port.js';
import type { LogRepository } from '../application/ports/log-repository.port.js';
import { InvalidQueryError, type QueryRequest, QueryEntries } from '../application/query-entries.use-case.js';
import type { Batch } from '../domain/batch.js';
import { LogBatchError } from '../domain/errors.js';
import { exportedEntry, type LogEntry } from '../domain/log-entry.js';
import { TOKENS } from '../di/tokens.js';
import { AWS_TARGET_FLAGS, type AwsTargetOptions } from './aws-target-flags.js';
import { integerOption } from './numeric-options.js';
import { renderTable } from './render-table.js';
import { openStoreForCli, shellWord, storeOption } from './store-option.js';
import { UsageError } from './usage-error.js';

interface QueryCommandOptions extends AwsTargetOptions {
  readonly store?: string;
  readonly batch?: string;
  readonly severity?: string;
  readonly since?: string;
  readonly until?: string;
  readonly grep?: string;
  readonly where: string[];
  readonly unparsed?: boolean;
  readonly fromLine?: number;
  readonly limit?: number;
  readonly cursor?: string;
  readonly json?: boolean;
  readonly count?: boolean;
  readonly scan?: boolean;
}

interface QueryBackend {
  readonly entries: EntryQuery;
  readonly repository: LogRepository;
  /** Client-side filtering reads more than it shows: say how much. */
  readonly reportsItemsRead: boolean;
  close(): void;
}

/** `logbatch query`: stored entries by batch, severity, time, text and attributes, on the store, the emulator or AWS. */
export function queryCommand(): Command {
  const command = new Command('query')
    .description('show stored entries: line order within a batch, time order otherwise')
    .addOption(storeOption())
    .option('--batch <id>', 'entries of one batch, in line order')
    .option('--severity <level>', 'minimum level: trace, debug, info, warn, error or fatal')
    .option('--since <time>', 'from this ISO 8601 instant or age (15m, 2h, 7d), inclusive')
    .option('--until <time>', 'before this ISO 8601 instant or age, exclusive')
    .option('--grep <text>', 'the body contains this text (case-sensitive)')
    .option('--where <key=value>', 'an attribute equals a value, e.g. http.response.status_code=500 (repeatable)', (value: string, previous: string[]) => [...previous, value], [])
    .option('--unparsed', 'only lines that did not parse (shows what the parser said in --json)')
    .option('--from-line <n>', 'from this line number on', integerOption('--from-line'))
    .option('--limit <n>', 'entries per page (default 100)', pageLimit)
    .option('--cursor <cursor>', 'the next page, as printed by the previous one')
    .option('--json', 'one entry per line, the same shape as run --out')
    .option('--count', 'the number of matches and the counts by severity')
    .option('--scan', 'on DynamoDB, allow a query that reads the whole table');
  for (const [flags, description] of AWS_TARGET_FLAGS) command.option(flags, description);
  return command.action(async (options: QueryCommandOptions) => {
    const request: QueryRequest = {
      batch: options.batch,
      severity: options.severity,
      since: options.since,
      until: options.until,
      grep: options.grep,
      where: options.where,
      unparsed: options.unparsed,
      fromLine: options.fromLine,
      limit: options.limit,
      cursor: options.cursor,
      scan: options.scan,
    };
    const useCase = new QueryEntries({ find: unopened, count: unopened });
    // Bad flags are refused before anything is opened.
    asUsage(() => useCase.filterOf(request));
    const backend = await openBackend(options);
    try {
      const query = new QueryEntries(backend.entries);
      if (options.count === true) {
        const counts = await asUsageAsync(() => query.count(request));
        // Filtered lines are never stored, so only the batch record knows them; redacted entries likewise.
        const batch = options.batch === undefined ? undefined : await backend.repository.getBatch(options.batch);
        const batchCounts = batch === undefined ? {} : { filtered: batch.stats.filtered, redacted: batch.stats.redacted };
        if (options.json === true) print(JSON.stringify({ ...counts, ...batchCounts }));
        else {
          const lines = [`${counts.total} matching entr${counts.total === 1 ? 'y' : 'ies'}`];
          for (const name of ['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'UNSPECIFIED']) {
            if (counts.bySeverity[name] !== undefined) lines.push(`  ${name.padEnd(11)} ${counts.bySeverity[name]}`);
          }
          if (batch !== undefined) {
            lines.push(`batch: ${batch.stats.filtered} line(s) filtered (not stored), ${batch.stats.redacted} entr${batch.stats.redacted === 1 ? 'y' : 'ies'} redacted`);
          }
          if (backend.reportsItemsRead && counts.itemsRead !== undefined) lines.push(`(${counts.itemsRead} items read)`);
          print(lines.join('\n'));
        }
        return;
      }
      const page = await asUsageAsync(() => query.find(request));
      if (options.json === true) {
        if (page.items.length > 0) process.stdout.write(`${page.items.map((entry) => JSON.stringify(exportedEntry(entry))).join('\n')}\n`);
      } else {
        print(await renderEntries(page.items, backend.repository));
      }
      const notes: string[] = [];
      if (backend.reportsItemsRead && page.itemsRead !== undefined) notes.push(`${page.items.length} shown of ${page.itemsRead} items read`);
      if (page.cursor !== undefined) notes.push(`more: ${nextPageCommand({ ...options, since: page.filter.since, until: page.filter.until }, page.cursor)}`);
      // With --json the entries own stdout; notes go to stderr so the output stays one entry per line.
      if (notes.length > 0) (options.json === true ? process.stderr : process.stdout).write(`${notes.join('\n')}\n`);
    } finally {
      backend.close();
    }
  });
}

async function unopened(): Promise<never> {
  throw new Error('no backend');
}

function pageLimit(value: string): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1 || parsed > 10_000) throw new InvalidArgumentError('--limit must be an integer between 1 and 10000');
  return parsed;
}

async function openBackend(options: QueryCommandOptions): Promise<QueryBackend> {
  if (options.store !== undefined) {
    const opened = await openStoreForCli(options.store, { mustExist: true });
    const { SqliteEntryQuery } = await import('../adapters/sqlite/sqlite-entry-query.js');
    return { entries: new SqliteEntryQuery(opened.store), repository: opened.logRepository, reportsItemsRead: false, close: opened.close };
  }
  const { awsTargetContainer } = await import('./aws-target.js');
  const { RepositoryEntryQuery } = await import('../application/repository-entry-query.js');
  const repository = awsTargetContainer(options).get<LogRepository>(TOKENS.LogRepository);
  return { entries: new RepositoryEntryQuery(repository), repository, reportsItemsRead: true, close: () => undefined };
}

function asUsage<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw toUsage(error);
  }
}

async function asUsageAsync<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toUsage(error);
  }
}

function toUsage(error: unknown): unknown {
  if (error instanceof InvalidQueryError) return new UsageError(error.message);
  if (error instanceof LogBatchError && error.code === 'SCAN_REFUSED') return new UsageError(error.message);
  return error;
}

/** time, severity, source:line, body; bodies cut with … to the terminal's width (never when piped). */
async function renderEntries(entries: readonly LogEntry[], repository: LogRepository): Promise<string> {
  if (entries.length === 0) return 'no matching entries';
  const batches = new Map<string, Batch | undefined>();
  for (const entry of entries) if (!batches.has(entry.batchId)) batches.set(entry.batchId, await repository.getBatch(entry.batchId));
  const cwd = `${process.cwd()}/`;
  const rows = entries.map((entry) => {
    const key = batches.get(entry.batchId)?.source.key ?? entry.batchId;
    const source = key.startsWith(cwd) ? key.slice(cwd.length) : key;
    return [entry.timestamp ?? '-', entry.severityText ?? '-', `${source}:${entry.lineNumber}`, entry.body.replace(/\r?\n/g, ' ⏎ ')];
  });
  const columns = process.stdout.isTTY === true ? process.stdout.columns : undefined;
  if (columns !== undefined) {
    const fixed = [0, 1, 2].reduce((width, index) => width + Math.max(...rows.map((row) => row[index].length), 8) + 2, 0);
    const room = Math.max(20, columns - fixed);
    for (const row of rows) if ([...row[3]].length > room) row[3] = `${[...row[3]].slice(0, room - 1).join('')}…`;
  }
  return renderTable(['time', 'severity', 'source:line', 'body'], rows);
}

function nextPageCommand(options: QueryCommandOptions, cursor: string): string {
  const words = ['logbatch', 'query'];
  const add = (flag: string, value: string | undefined) => {
    if (value !== undefined) words.push(flag, shellWord(value));
  };
  add('--store', options.store);
  add('--batch', options.batch);
  add('--severity', options.severity);
  add('--since', options.since);
  add('--until', options.until);
  add('--grep', options.grep);
  for (const condition of options.where) add('--where', condition);
  if (options.unparsed === true) words.push('--unparsed');
  add('--from-line', options.fromLine === undefined ? undefined : String(options.fromLine));
  add('--limit', options.limit === undefined ? undefined : String(options.limit));
  if (options.json === true) words.push('--json');
  if (options.scan === true) words.push('--scan');
  add('--cursor', cursor);
  return words.join(' ');
}

const print = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};
