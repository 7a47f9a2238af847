import { Command, InvalidArgumentError } from 'commander';
import type { EntryQuery } from '../application/ports/entry-query.port.js';
import type { LogRepository } from '../application/ports/log-repository.port.js';
import { InvalidQueryError, type QueryRequest, QueryEntries } from '../application/query-entries.use-case.js';
import type { Batch } from '../domain/batch.js';
import { LogBatchError } from '../domain/errors.js';
import { exportedEntry, type LogEntry } from '../domain/log-entry.js';
import { TOKENS } from '../di/tokens.js';
import { AWS_TARGET_FLAGS, type AwsTargetOptions, NO_TARGET_MESSAGE, namesAwsTarget } from './aws-target-flags.js';
import { integerOption } from './numeric-options.js';
import { renderTable } from './render-table.js';
import { openStoreForCli, storeOption, storeOrStack } from './store-option.js';
import { cutEnd, cutStart, displayWidth, padEndTo, terminalColumns, terminalShellWord, terminalText } from './terminal-text.js';
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
  /** What holds the batches, for messages: `store` or `table`. */
  readonly holder: 'store' | 'table';
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
    .option('--severity <level>', 'minimum level: trace, debug, info, warn (warning), error, fatal, or a number from 1 to 24 (as run --min-severity)')
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
  return command.action(async (given: QueryCommandOptions, self: Command) => {
    const options = storeOrStack(given, self.getOptionValueSource('store'));
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
      // A batch that is not there is a mistake, as `status` says, not a batch without entries.
      const batch = options.batch === undefined ? undefined : await backend.repository.getBatch(options.batch);
      if (options.batch !== undefined && batch === undefined) throw new UsageError(`no batch ${terminalText(options.batch)} in this ${backend.holder}`);
      const query = new QueryEntries(backend.entries);
      if (options.count === true) {
        const counts = await asUsageAsync(() => query.count(request));
        // Filtered lines are never stored, so only the batch record knows them; redacted entries likewise.
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
  if (options.store !== undefined && options.store !== '') {
    // query only reads the store: read-only, also one this user cannot write, left as it is.
    const opened = await openStoreForCli(options.store, { readOnly: true });
    const { SqliteEntryQuery } = await import('../adapters/sqlite/sqlite-entry-query.js');
    return { entries: new SqliteEntryQuery(opened.store), repository: opened.logRepository, holder: 'store', reportsItemsRead: false, close: opened.close };
  }
  if (!namesAwsTarget(options)) throw new UsageError(NO_TARGET_MESSAGE);
  const { awsTargetContainer } = await import('./aws-target.js');
  const { RepositoryEntryQuery } = await import('../application/repository-entry-query.js');
  const repository = awsTargetContainer(options).get<LogRepository>(TOKENS.LogRepository);
  return { entries: new RepositoryEntryQuery(repository), repository, holder: 'table', reportsItemsRead: true, close: () => undefined };
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
  const lines = entries.map((entry): EntryLine => {
    const key = batches.get(entry.batchId)?.source.key ?? entry.batchId;
    const source = key.startsWith(cwd) ? key.slice(cwd.length) : key;
    return { time: entry.timestamp ?? '-', severity: entry.severityText ?? '-', source: `${source}:${entry.lineNumber}`, body: entry.body };
  });
  return renderEntryTable(lines, terminalColumns());
}

/** One entry as `query` shows it, before escaping. */
export interface EntryLine {
  readonly time: string;
  readonly severity: string;
  /** `file:line`. */
  readonly source: string;
  readonly body: string;
}

/** With fewer columns than this left for the body, each entry takes two lines instead of a table row. */
const MIN_BODY_COLUMNS = 20;
const HEADER = ['time', 'severity', 'source:line', 'body'] as const;

/**
 * The entries as a table, every cell escaped ({@link terminalText}) and a body's line breaks shown as ` ⏎ `. On a
 * terminal `width` columns wide, bodies are cut with `…` so no line is wider than it; when that would leave the body
 * fewer than {@link MIN_BODY_COLUMNS}, each entry is shown as `time  severity  source:line` over its indented body
 * instead. Without `width` (a pipe, a file) nothing is cut.
 */
export function renderEntryTable(entries: readonly EntryLine[], width: number | undefined): string {
  const rows = entries.map((entry) => [entry.time, entry.severity, entry.source, entry.body.replace(/\r?\n/g, ' ⏎ ')].map(terminalText));
  if (width === undefined) return renderTable(HEADER, rows);
  const columnWidth = (index: number) => Math.max(displayWidth(HEADER[index]), ...rows.map((row) => displayWidth(row[index])));
  const room = width - [0, 1, 2].reduce((sum, index) => sum + columnWidth(index) + 2, 0);
  // The body's width, as far as the choice needs it: measuring a long body whole would be wasted.
  const bodyNeeds = Math.max(displayWidth(HEADER[3]), ...rows.map((row) => displayWidth(cutEnd(row[3], MIN_BODY_COLUMNS))));
  if (room >= bodyNeeds) return renderTable(HEADER, rows.map(([time, severity, source, body]) => [time, severity, source, cutEnd(body, room)]));
  const timeWidth = Math.max(...rows.map((row) => displayWidth(row[0])));
  const severityWidth = Math.max(...rows.map((row) => displayWidth(row[1])));
  return rows
    .flatMap(([time, severity, source, body]) => {
      const prefix = `${padEndTo(time, timeWidth)}  ${padEndTo(severity, severityWidth)}  `;
      const room = width - displayWidth(prefix);
      // The source keeps its end, the line number, when it must be cut.
      const heading = room >= 4 ? `${prefix}${cutStart(source, room)}` : cutEnd(`${prefix}${source}`, width);
      return [heading, `  ${cutEnd(body, width - 2)}`.trimEnd()];
    })
    .join('\n');
}

function nextPageCommand(options: QueryCommandOptions, cursor: string): string {
  const words = ['logbatch', 'query'];
  const add = (flag: string, value: string | undefined) => {
    if (value !== undefined) words.push(flag, terminalShellWord(value));
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
