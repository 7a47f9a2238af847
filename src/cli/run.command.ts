import { access, constants, stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { findNonUtf8Name, LOCAL_BUCKET, LocalFileObjectStore, type UnlistedEntry } from '../adapters/local/local-file-object-store.js';
import { DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MAX_CHUNK_LINES, MAX_MESSAGE_BYTES } from '../domain/chunk.js';
import { ObjectNotFoundError } from '../domain/errors.js';
import { FORMAT_NAMES } from '../domain/parsing/formats.js';
import { type FormatRule, parseFormatRules } from '../domain/parsing/key-rules.js';
import { compileEventFilter, type EventFilterSettings } from '../domain/filtering/event-filter.js';
import type { RedactionSettings } from '../domain/redaction/redactor.js';
import { loadRedactionConfig } from '../config/config.js';
import { inspectRunInputs, OutputIsInputError, runLocalPipeline, type RunInputs } from '../local/run-pipeline.js';
import { DEFAULT_MEMORY_BUDGET_MB } from '../local/memory-governor.js';
import type { RunSummary } from '../local/run-summary.js';
import { integerOption, memoryBudgetFromEnvironment } from './numeric-options.js';
import { type RunProgressDisplay, runProgressDisplay } from './progress-bar.js';
import { renderSummary } from './render-summary.js';
import { storeOption } from './store-option.js';
import { EXIT_BATCH_FAILED, EXIT_OK, UsageError } from './usage-error.js';
import { STDIN_NAME, type StdinSpool, spoolStdin, stdinProgressLine, withStdinNamed } from './stdin-spool.js';

/** Below this a chunk's envelope leaves too little room for lines. */
const MIN_CHUNK_BYTES = 1024;

export interface RunCommandOptions {
  readonly format: string;
  readonly formatRule?: string[];
  readonly json?: boolean;
  readonly out?: string;
  readonly maxChunkBytes?: number;
  readonly maxChunkLines?: number;
  readonly backend: 'memory' | 'emulator';
  readonly concurrency?: number;
  readonly progress?: boolean;
  readonly store?: string;
  readonly reprocess?: boolean;
  readonly include?: string[];
  readonly exclude?: string[];
  readonly minSeverity?: string;
  /** The `--redact` lists, or false for `--no-redact`. */
  readonly redact?: string[] | false;
  readonly redactReplacement?: 'mask' | 'hmac';
}

/** `logbatch run <file...>`: the whole pipeline on local files, with a summary. */
export function runCommand(): Command {
  return new Command('run')
    .description('split, parse and store log files through the real handlers, and print a summary')
    .argument('<file...>', 'log files (plain or gzip, any line endings), directories (every file under them), or - for standard input')
    .addOption(new Option('--format <format>', 'log format, or auto to detect per file').default('auto').choices(['auto', ...FORMAT_NAMES]))
    .option('--format-rule <glob=format>', 'under --format auto: files whose path matches the glob (relative to the working directory unless it starts with / or **) are of this format (repeatable, first match wins; ** spans folders)', collectRules, [])
    .option('--json', 'print one JSON object with totals, batches, timing and request counts')
    .option('--out <file>', 'write every stored entry to this file as JSON Lines')
    .option(
      '--max-chunk-bytes <n>',
      `byte budget of one chunk message, ${MIN_CHUNK_BYTES} to ${MAX_MESSAGE_BYTES} (default: ${DEFAULT_MAX_CHUNK_BYTES})`,
      integerOption('--max-chunk-bytes', { min: MIN_CHUNK_BYTES, max: MAX_MESSAGE_BYTES }),
    )
    .option('--max-chunk-lines <n>', `lines per chunk at most, 1 = one message per line (default: ${DEFAULT_MAX_CHUNK_LINES})`, integerOption('--max-chunk-lines'))
    .addOption(new Option('--backend <backend>', 'where the pipeline runs').default('memory').choices(['memory', 'emulator']))
    .option(
      '--concurrency <n>',
      `worker invocations in flight, at most 64 (default: ${DEFAULT_CONCURRENCY.memory} on the memory backend, ${DEFAULT_CONCURRENCY.emulator} on the emulator)`,
      integerOption('--concurrency', { max: 64 }),
    )
    .option('--no-progress', 'no progress bar, even on a terminal')
    .addOption(storeOption())
    .option('--reprocess', 'with --store: run files the store already holds again, replacing their batches')
    .option('--include <regex>', 'keep only events whose raw text (every line of a multi-line event, before parsing) matches; repeatable, any match keeps', collectRules, [])
    .option('--exclude <regex>', 'drop events whose raw text (every line of a multi-line event, before parsing) matches; repeatable; wins over --include', collectRules, [])
    .option('--min-severity <level>', 'drop entries whose parsed severity is below trace|debug|info|warn|error|fatal (entries without a severity, and unparsed lines, are kept)')
    .option('--redact <list>', 'redaction detectors: defaults, names (email, credit-card, ip, ipv4, ipv6, ssn, ...), -name to switch one off, name=REGEX for a rule (default: defaults; repeatable)', collectRules)
    .option('--no-redact', 'store secrets as they are (no redaction at all)')
    .addOption(new Option('--redact-replacement <how>', 'mask: [REDACTED:kind]; hmac: a keyed hash with the key from LOGBATCH_REDACT_KEY').choices(['mask', 'hmac']))
    .action(async (files: string[], options: RunCommandOptions, command: Command) => {
      command.setOptionValue('exitCode', await executeRun(files, storeAsGiven(options, command.getOptionValueSource('store'))));
    });
}

/**
 * Worker invocations in flight when `--concurrency` is not given: the local runtime's default, and the emulator
 * pipeline's (`LocalRuntime`, `runEmulatorPipeline`).
 */
const DEFAULT_CONCURRENCY = { memory: 2, emulator: 4 } as const;

/**
 * `--store` as the user meant it. LOGBATCH_STORE is a default: `--out` or `--backend emulator` on the command line
 * wins over it (only when both are on the command line are they a conflict), and an empty one is no store.
 */
export function storeAsGiven(options: RunCommandOptions, source: string | undefined): RunCommandOptions {
  const fromEnvironment = source === 'env';
  if (options.store === '' || (fromEnvironment && (options.out !== undefined || options.backend === 'emulator'))) return { ...options, store: undefined };
  return options;
}

export async function executeRun(given: string[], options: RunCommandOptions): Promise<number> {
  if (given.filter((file) => file === STDIN_NAME).length > 1) throw new UsageError(`${STDIN_NAME} is given more than once: standard input can be read once`);
  if (!given.includes(STDIN_NAME)) return executeRunOn(given, options);
  // Standard input runs as a copy in a file; the summary names it `-`.
  const line = options.progress !== false && process.stderr.isTTY === true ? stdinProgressLine(process.stderr) : undefined;
  let spool: StdinSpool;
  try {
    spool = await spoolStdin(process.stdin, line?.onBytes);
  } finally {
    line?.done();
  }
  try {
    return await executeRunOn(
      given.map((file) => (file === STDIN_NAME ? spool.file : file)),
      options,
      (text) => text.split(spool.file).join(STDIN_NAME),
    );
  } finally {
    spool.remove();
  }
}

async function executeRunOn(paths: string[], options: RunCommandOptions, renameSpool: (text: string) => string = (text) => text): Promise<number> {
  // The store's own files are never logs: skipped in a folder the store lies in, refused when named.
  const storeFiles = options.store === undefined ? new Set<string>() : new Set(['', '-wal', '-shm', '-journal'].map((suffix) => path.resolve(`${options.store}${suffix}`)));
  const named = paths.find((given) => storeFiles.has(path.resolve(given)));
  if (named !== undefined) throw new UsageError(`--store ${options.store}: ${named} is the store's own file, not a log to run; choose another store file`);
  const { files, skipped } = await expandDirectories(paths, storeFiles);
  for (const file of files) await assertReadableFile(file);
  if (options.out !== undefined) await assertWritableTarget(options.out);
  if (options.store !== undefined && options.out !== undefined) throw new UsageError('--store and --out: choose one (query --json prints what --out would)');
  if (options.store !== undefined && options.backend === 'emulator') throw new UsageError('--store keeps a memory-backend run; the emulator backend stores in DynamoDB Local');
  if (options.reprocess === true && options.store === undefined) {
    throw new UsageError('--reprocess replaces the batches a --store holds; a run without a store runs every file anyway');
  }
  // Each file once, and never one of them as --out: checked before the pipeline opens --out for writing.
  const inputs = await distinctInputs(files, options.out);
  const settings = {
    format: options.format,
    ...(options.formatRule === undefined || options.formatRule.length === 0 ? {} : { formatRules: parseRulesOption(options.formatRule, options.backend) }),
    ...(options.maxChunkBytes === undefined ? {} : { maxChunkBytes: options.maxChunkBytes }),
    ...(options.maxChunkLines === undefined ? {} : { maxChunkLines: options.maxChunkLines }),
    filters: filtersOption(options),
    redaction: redactionOption(options),
  };
  const memoryBudgetMb = memoryBudgetFromEnvironment(process.env, DEFAULT_MEMORY_BUDGET_MB);
  for (const entry of skipped) process.stderr.write(`logbatch: ${describeSkipped(entry)}\n`);
  const bar = options.progress !== false && process.stderr.isTTY === true ? runProgressDisplay(process.stderr) : undefined;
  let summary: RunSummary;
  let storeNotes: string | undefined;
  let interrupted = false;
  const interruption = stopOnInterrupt((signal) => interruptedMessage(signal, options), bar);
  try {
    if (options.backend === 'emulator') {
      const { runEmulatorPipeline } = await import('../local/run-emulator-pipeline.js');
      summary = await runEmulatorPipeline({ files: inputs.files, settings, outPath: options.out, workerConcurrency: options.concurrency, onProgress: bar?.emulator });
    } else if (options.store !== undefined) {
      const { runIntoStore, renderStoreNotes } = await import('./run-store.js');
      const result = await runIntoStore(options.store, {
        files,
        settings,
        workerConcurrency: options.concurrency,
        onProgress: bar?.memory,
        reprocess: options.reprocess,
        memoryBudgetMb,
        onWaiting: (source, batch) => {
          bar?.close();
          process.stderr.write(`${renameSpool(path.relative(process.cwd(), source) || source)}: batch ${batch.batchId} is ${batch.status} (${batch.processedChunks} chunks processed); not final: waiting in case another run is writing it (up to 10 s without progress)\n`);
        },
      });
      summary = result.summary;
      storeNotes = renameSpool(renderStoreNotes(result));
      if (result.summary.alreadyProcessed.some((batch) => batch.interrupted !== undefined)) interrupted = true;
    } else {
      summary = await runLocalPipeline({ files: inputs.files, settings, outPath: options.out, workerConcurrency: options.concurrency, onProgress: bar?.memory, memoryBudgetMb });
    }
  } catch (error) {
    await interruption.ending();
    // --out checked writable, then made unwritable before the run opened it: still the same usage error. (A write
    // that fails later, a full disk or a closed pipe, is not a usage error and stays as it is.)
    const openFailure = options.out === undefined ? undefined : openFailureOf(error, options.out);
    if (openFailure !== undefined) throw new UsageError(`--out ${options.out}: cannot write this file (${openFailure.code})`);
    throw error;
  } finally {
    bar?.close();
    interruption.dispose();
  }
  // Interrupted as the run finished: the process is ending; print nothing more.
  await interruption.ending();
  summary = { ...withStdinNamed(summary, renameSpool), duplicateInputs: inputs.duplicates };
  process.stdout.write(
    options.json === true ? `${JSON.stringify({ ...summary, skippedInputs: skipped }, null, 2)}\n` : renderSummary(summary) + (storeNotes ?? ''),
  );
  if (skipped.length > 0) {
    // Again after the summary, where it is seen: the lines above may have scrolled away during a long run.
    process.stderr.write(`logbatch: ${skipped.length === 1 ? '1 path was' : `${skipped.length} paths were`} skipped (see above): not every file was run\n`);
  }
  return runExitCode(summary, skipped.length, interrupted);
}

/**
 * 0 only when every file of the run is in a batch that completed (with or without unparsed lines); 1 when a batch
 * FAILED, or is not final (`SPLITTING`, `SPLIT`: another run replaced it with `--reprocess` while this one ran, or it
 * was left part-way), or a path was skipped, or the run was interrupted.
 */
export function runExitCode(summary: Pick<RunSummary, 'batches'>, skippedPaths: number, interrupted: boolean): number {
  const allCompleted = summary.batches.every((batch) => batch.status === 'COMPLETED' || batch.status === 'COMPLETED_WITH_ERRORS');
  return interrupted || skippedPaths > 0 || !allCompleted ? EXIT_BATCH_FAILED : EXIT_OK;
}

/**
 * A directory stands for the regular files under it, recursively and in path order, listed through the local object
 * store as a backfill lists a bucket; a file stands for itself. A file or folder under a directory whose name is not
 * UTF-8 cannot be run (no path Node.js takes can name it): it is returned in `skipped`, and the rest is run. A folder
 * under it that cannot be read is a usage error, as a file under it that cannot be read is.
 */
async function expandDirectories(paths: readonly string[], exclude: ReadonlySet<string>): Promise<{ files: string[]; skipped: UnlistedEntry[] }> {
  const files: string[] = [];
  const skipped: UnlistedEntry[] = [];
  const store = new LocalFileObjectStore({ onUnlisted: (entry) => skipped.push(entry) });
  for (const given of paths) {
    const info = await stat(given).catch(() => undefined);
    if (info?.isDirectory() !== true) {
      files.push(given);
      continue;
    }
    const listed: string[] = [];
    const skippedBefore = skipped.length;
    try {
      for await (const object of store.list(LOCAL_BUCKET, { prefix: given })) if (!exclude.has(path.resolve(object.key))) listed.push(object.key);
    } catch (error) {
      throw unreadableUnder(error) ?? error;
    }
    if (listed.length === 0 && skipped.length === skippedBefore) throw new UsageError(`${given}: no files in this directory`);
    files.push(...listed);
  }
  if (files.length === 0) {
    throw new UsageError(`nothing to run: ${skipped.map((entry) => describeSkipped(entry)).join('; ')}`);
  }
  return { files, skipped };
}

/** A listing's failure as the usage error a file that cannot be read is, naming the folder or file; undefined for other failures. */
function unreadableUnder(error: unknown): UsageError | undefined {
  if (error instanceof ObjectNotFoundError) {
    const cause = error.cause as NodeJS.ErrnoException | undefined;
    return cause?.path === undefined ? undefined : new UsageError(`${cause.path}: cannot be read (${cause.code})`);
  }
  const failure = error as NodeJS.ErrnoException;
  return failure.path === undefined || failure.code === undefined ? undefined : new UsageError(`${failure.path}: this folder cannot be read (${failure.code})`);
}

function describeSkipped(entry: UnlistedEntry): string {
  return entry.kind === 'folder'
    ? `skipped the folder ${entry.path}/ and everything in it: ${entry.reason}; rename it to process it`
    : `skipped ${entry.path}: ${entry.reason}; rename it to process it`;
}

/**
 * A run knows a file's version by its size and times, and reads it by position (a continuation starts mid-file): a
 * pipe (`cmd | logbatch run /dev/stdin`, a FIFO) or a socket has neither, and each is named as such, with `-` (standard
 * input, copied to a file first: see `spoolStdin`) as the way to run it. `logbatch run /dev/stdin < file` is the file
 * itself, and runs.
 */
async function assertReadableFile(file: string): Promise<void> {
  try {
    const info = await stat(file);
    if (info.isFIFO()) throw new UsageError(`${file} is a pipe: logbatch reads files, not pipes; give - to read standard input (logbatch run - < ${file}), or save it to a file first`);
    if (info.isSocket()) throw new UsageError(`${file} is a socket: logbatch reads files, not sockets; give - to read standard input, or save it to a file first`);
    if (!info.isFile()) throw new UsageError(`${file} is not a file`);
    await access(file, constants.R_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // The shell passed bytes that are not UTF-8, which Node.js decoded (lossily) into a name nothing has.
      const realName = await findNonUtf8Name(file);
      if (realName !== undefined) throw new UsageError(`${realName}: its name is not UTF-8 (Node.js reads command-line arguments as UTF-8, so it cannot name this file); rename it to process it`);
    }
    throw new UsageError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot be read (${code ?? (error as Error).message})`);
  }
}

async function distinctInputs(files: readonly string[], out: string | undefined): Promise<RunInputs> {
  try {
    return await inspectRunInputs(files, out);
  } catch (error) {
    if (error instanceof OutputIsInputError) throw new UsageError(`--out ${out} is the input file ${error.inputPath}; choose another output file`);
    throw error;
  }
}

/** `--out` can be created, or overwritten, by this user: checked before anything runs, so a mistake costs nothing. */
async function assertWritableTarget(file: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory() === true) throw new UsageError(`--out ${file} is a directory`);
  const directory = path.dirname(path.resolve(file));
  try {
    const folder = await stat(directory);
    if (!folder.isDirectory()) throw new UsageError(`--out ${file}: ${directory} is not a directory`);
    await access(directory, constants.W_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`--out ${file}: no directory ${directory}`);
    if (code === 'ENOTDIR') throw new UsageError(`--out ${file}: a part of ${directory} is not a directory`);
    throw new UsageError(`--out ${file}: cannot write in ${directory} (${code})`);
  }
  if (info === undefined) return;
  try {
    await access(file, constants.W_OK);
  } catch (error) {
    throw new UsageError(`--out ${file}: cannot write this file (${(error as NodeJS.ErrnoException).code})`);
  }
}

/** The failure to open `file` (by any spelling of its path) that `error` is or was caused by, if it is one. */
function openFailureOf(error: unknown, file: string): NodeJS.ErrnoException | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const failure = current as NodeJS.ErrnoException;
    if (failure.syscall === 'open' && typeof failure.path === 'string' && path.resolve(failure.path) === path.resolve(file)) return failure;
  }
  return undefined;
}

/** The exit status of a process that a signal ended, as a shell reports it (`$?`): 128 + the signal's number. */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + osConstants.signals[signal];
}

/**
 * Ends the process because of `signal`, as the signal itself would have, once nothing else handles it: the shell
 * reports 130 (SIGINT) or 143 (SIGTERM), and a shell loop or script running logbatch stops at Ctrl-C too (it would
 * go on to the next command after a plain `exit 130`). Dying of the signal also skips the 'exit' handlers, so
 * DynamoDB Local's guard stops the JVM as it does whenever this process dies (its stdin closes).
 */
function dieOf(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 0) process.exit(signalExitCode(signal));
  process.kill(process.pid, signal);
  // The signal is delivered at once; should it not be, end all the same.
  setTimeout(() => process.exit(signalExitCode(signal)), 500);
}

/**
 * Until `dispose()`, SIGINT and SIGTERM end the run: the progress line is erased and the cursor shown again, one
 * line on stderr says what was left behind, and the process ends of the signal. What the pipeline wrote stays as
 * far as it got, as when the process is killed: SQLite transactions are atomic, so a `--store` run leaves batches
 * that are not final, which a later run reports as not finished and `--reprocess` runs again.
 */
function stopOnInterrupt(
  message: (signal: NodeJS.Signals) => string,
  progress: RunProgressDisplay | undefined,
): { dispose(): void; ending(): Promise<void> } {
  let caught: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (caught !== undefined) return;
    caught = signal;
    progress?.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    // On a terminal the line discipline echoed `^C` where the cursor was: the message replaces it.
    const erase = process.stderr.isTTY === true ? '\r\x1b[K' : '';
    // In the write's callback, so the line is out before the process ends; and in any case soon.
    setTimeout(() => dieOf(signal), 1000);
    process.stderr.write(`${erase}logbatch: ${message(signal)}\n`, () => dieOf(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    dispose() {
      if (caught !== undefined) return;
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
    // Never settles once a signal was caught: the process ends before the run could print anything more.
    ending: () => (caught === undefined ? Promise.resolve() : new Promise<void>(() => undefined)),
  };
}

/** The line an interrupted run leaves on stderr: what there is of it, and for a store what to do next. */
function interruptedMessage(signal: NodeJS.Signals, options: Pick<RunCommandOptions, 'backend' | 'out' | 'store'>): string {
  const stopped = `interrupted (${signal}) before the run finished`;
  if (options.backend === 'emulator') return `${stopped}; the emulators stopped with it, keeping nothing`;
  if (options.store !== undefined) return `${stopped}; ${options.store} keeps its batches as far as they got, reported as not finished: --reprocess runs them again`;
  if (options.out !== undefined) return `${stopped}; ${options.out} holds only the entries written until then`;
  return stopped;
}

function collectRules(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function filtersOption(options: RunCommandOptions): EventFilterSettings {
  const filters: EventFilterSettings = {
    include: options.include ?? [],
    exclude: options.exclude ?? [],
    ...(options.minSeverity === undefined ? {} : { minSeverity: options.minSeverity }),
  };
  try {
    compileEventFilter(filters);
  } catch (error) {
    throw new UsageError(`--include/--exclude/--min-severity: ${(error as Error).message}`);
  }
  return filters;
}

/**
 * `--redact`, `--no-redact`, `--redact-replacement` over `LOGBATCH_REDACT` and `LOGBATCH_REDACT_REPLACEMENT`, checked
 * as the worker's configuration is (a bad value is a usage error naming the flag, or the variable); the HMAC key only
 * from the environment (`LOGBATCH_REDACT_KEY`), never the command line.
 */
function redactionOption(options: RunCommandOptions): RedactionSettings {
  return loadRedactionConfig(process.env, {
    overrides: {
      ...(options.redact === undefined
        ? {}
        : { LOGBATCH_REDACT: options.redact === false ? { value: 'none', from: '--no-redact' } : { value: options.redact.join(','), from: '--redact' } }),
      ...(options.redactReplacement === undefined ? {} : { LOGBATCH_REDACT_REPLACEMENT: { value: options.redactReplacement, from: '--redact-replacement' } }),
    },
  });
}

/** The `--format-rule` values as rules; a bad one is a usage error naming it. */
function parseRulesOption(values: readonly string[], backend: RunCommandOptions['backend']): FormatRule[] {
  let rules: FormatRule[];
  try {
    rules = parseFormatRules(values);
  } catch (error) {
    throw new UsageError(`--format-rule: ${(error as Error).message}`);
  }
  return localPathRules(rules, backend, process.cwd());
}

/**
 * Rules as the paths are typed: a memory run's object keys are the files' absolute paths, an emulator run's
 * `uploads/<n>` and the absolute path (see `emulatorObjectKey`), so a glob that starts with neither `/` nor `**` is
 * made relative to the working directory (`run nginx --format-rule 'nginx/**=combined'`), and on the emulator an
 * absolute one is put after the upload prefix. `**` globs match wherever the files are.
 */
export function localPathRules(rules: readonly FormatRule[], backend: RunCommandOptions['backend'], cwd: string): FormatRule[] {
  const prefix = backend === 'emulator' ? String.raw`uploads/[0-9]+` : '';
  const base = escapeRegExp(`${cwd.replace(/\/+$/, '')}/`);
  return rules.map((rule) => {
    if (rule.glob.startsWith('**')) return rule;
    const rest = rule.matcher.source.replace(/^\^/, '');
    return { ...rule, matcher: new RegExp(`^${prefix}${rule.glob.startsWith('/') ? '' : base}${rest}`) };
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
