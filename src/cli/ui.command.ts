import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { Command, Option } from 'commander';
import { DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MAX_CHUNK_LINES, MAX_MESSAGE_BYTES } from '../domain/chunk.js';
import { FORMAT_NAMES } from '../domain/parsing/formats.js';
import type { LocalUiBackend, UiBackend } from '../ui/ui-backend.js';
import { AWS_TARGET_FLAGS, type AwsTargetOptions } from './aws-target-flags.js';
import { integerOption } from './numeric-options.js';
import { renderSummary } from './render-summary.js';
import { openStoreForCli, storeOption, storeOrStack } from './store-option.js';
import { EXIT_OK, UsageError } from './usage-error.js';
import { STDIN_NAME, spoolStdin, withStdinNamed } from './stdin-spool.js';

export const DEFAULT_UI_PORT = 4780;

interface UiCommandOptions extends AwsTargetOptions {
  readonly store?: string;
  readonly port: number;
  readonly host: string;
  readonly open?: boolean;
  readonly format: string;
  readonly maxChunkBytes?: number;
  readonly maxChunkLines?: number;
  readonly concurrency?: number;
}

/** `logbatch ui [FILE...]`: the web page over a run in progress, a store, or the deployed stack. */
export function uiCommand(): Command {
  const command = new Command('ui')
    .description('serve a web page to watch batches fill and read their entries (runs FILEs first, if given)')
    .argument('[file...]', 'log files to run through the pipeline while the page shows them (in memory, or into --store); - for standard input')
    .addOption(storeOption())
    .option('--port <n>', `port to listen on (0: any free port)`, integerOption('--port', { min: 0, max: 65_535 }), DEFAULT_UI_PORT)
    .option('--host <host>', 'address to listen on; other than loopback requires an access token (LOGBATCH_UI_TOKEN, or one is generated)', '127.0.0.1')
    .option('--open', 'open the page in the default browser')
    .addOption(new Option('--format <format>', 'with FILEs: log format, or auto').default('auto').choices(['auto', ...FORMAT_NAMES]))
    .option(
      '--max-chunk-bytes <n>',
      `with FILEs: byte budget of one chunk message (default: ${DEFAULT_MAX_CHUNK_BYTES})`,
      integerOption('--max-chunk-bytes', { min: 1024, max: MAX_MESSAGE_BYTES }),
    )
    .option('--max-chunk-lines <n>', `with FILEs: lines per chunk at most (default: ${DEFAULT_MAX_CHUNK_LINES})`, integerOption('--max-chunk-lines'))
    .option('--concurrency <n>', 'with FILEs: worker invocations in flight (default: 2)', integerOption('--concurrency', { max: 64 }));
  for (const [flags, description] of AWS_TARGET_FLAGS) command.option(flags, description);
  return command.action(async (files: string[], options: UiCommandOptions, self: Command) => {
    self.setOptionValue('exitCode', await serve(files, options, self.getOptionValueSource('store') === 'env'));
  });
}

async function serve(files: string[], given: UiCommandOptions, storeFromEnvironment = false): Promise<number> {
  // An empty store is no store; LOGBATCH_STORE is a default, and AWS target flags on the command line win over it
  // (only a --store on the command line is in conflict with them), as `run`'s --out does.
  const awsFlagGiven = given.table !== undefined || given.queueUrl !== undefined || given.dlqUrl !== undefined || given.endpointUrl !== undefined;
  const options = storeOrStack(given, storeFromEnvironment ? 'env' : 'cli');
  const [{ startUiServer, isLoopbackHost, isWildcardHost }, { loadClientAssets }, backends] = await Promise.all([
    import('../ui/ui-server.js'),
    import('../ui/client-assets.js'),
    import('../ui/ui-backend.js'),
  ]);
  if (files.filter((file) => file === STDIN_NAME).length > 1) throw new UsageError(`${STDIN_NAME} is given more than once: standard input can be read once`);
  for (const file of files) {
    if (file === STDIN_NAME) continue;
    // As `logbatch run` says it: the pipeline reads files, not streams.
    const info = await stat(file).catch(() => undefined);
    if (info === undefined) throw new UsageError(`${file}: no such file`);
    if (info.isFIFO()) throw new UsageError(`${file} is a pipe: logbatch reads files, not pipes; give - to read standard input (logbatch ui - < ${file}), or save it to a file first`);
    if (info.isSocket()) throw new UsageError(`${file} is a socket: logbatch reads files, not sockets; give - to read standard input, or save it to a file first`);
    if (!info.isFile()) throw new UsageError(`${file} is not a file`);
  }
  let spoolName = (text: string) => text;
  if (files.includes(STDIN_NAME)) {
    // Standard input is copied to its end before the page is served (see `spoolStdin`); the copy goes when this ends.
    const spool = await spoolStdin();
    files = files.map((file) => (file === STDIN_NAME ? spool.file : file));
    spoolName = (text) => text.split(spool.file).join(STDIN_NAME);
  }
  if (files.length > 0 && options.store === undefined && awsFlagGiven) {
    throw new UsageError('FILEs run in memory or into --store; to watch the deployed stack, run logbatch ui without FILEs');
  }
  const loopback = isLoopbackHost(options.host);
  const configuredToken = process.env.LOGBATCH_UI_TOKEN === undefined || process.env.LOGBATCH_UI_TOKEN === '' ? undefined : process.env.LOGBATCH_UI_TOKEN;
  const token = configuredToken ?? (loopback ? undefined : randomBytes(24).toString('base64url'));

  let backend: UiBackend;
  if (options.store !== undefined) {
    backend = await backends.storeUiBackend(await openStoreForCli(options.store, files.length === 0 ? { readOnly: true } : {}));
  } else if (files.length > 0) {
    backend = backends.memoryUiBackend();
  } else if (options.table !== undefined || (process.env.LOGBATCH_TABLE_NAME ?? '') !== '') {
    backend = await backends.awsUiBackend(options);
  } else {
    throw new UsageError('nothing to show: give FILEs to run, --store PATH (or LOGBATCH_STORE), or the AWS target flags (--table ...)');
  }

  const assets = await loadClientAssets();
  let server: Awaited<ReturnType<typeof startUiServer>>;
  try {
    server = await startUiServer({ backend, assets, host: options.host, port: options.port, token });
  } catch (error) {
    backend.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${options.port} on ${options.host} is in use: choose another with --port`);
    if (code === 'EACCES') throw new UsageError(`port ${options.port} on ${options.host} needs privileges: choose one above 1023 with --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`--host ${options.host} is not an address of this machine`);
    throw error;
  }
  // Listening from before the URL is out: Ctrl-C as soon as it shows is handled as any later one.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (caught: NodeJS.Signals) => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      resolve(caught);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  // LOGBATCH_UI_TOKEN may hold any text (`+`, `&`, `#`, `%`): encoded, the URL carries it whole.
  const url = token === undefined ? server.url : `${server.url}?token=${encodeURIComponent(token)}`;
  process.stdout.write(`logbatch ui: ${url}\n`);
  if (isWildcardHost(options.host)) process.stdout.write(`listening on every interface (--host ${options.host}): the URL above is this machine's network address\n`);
  process.stdout.write(`serving ${backend.description}${token !== undefined && configuredToken === undefined ? ' (access token generated for this run: keep the URL private)' : ''}; Ctrl-C stops\n`);
  if (options.open === true) openBrowser(url);

  let running: Promise<void> | undefined;
  if (files.length > 0) running = runFiles(files, options, backend as LocalUiBackend, server.url, spoolName);

  const signal = await stopped;
  await server.close();
  // The line discipline echoed `^C` where the cursor was, at the start of a line: the message replaces it.
  const erase = process.stdout.isTTY === true ? '\r\x1b[K' : '';
  if (backend.isLive()) {
    // A run still in flight holds the event loop: end here, of the signal, as the run would have without this
    // handler (the shell reports 130 or 143); the store's transactions are atomic, so it keeps what was committed.
    const kept = options.store === undefined ? '' : `: ${options.store} keeps its batches as far as they got (logbatch run --store ... --reprocess runs them again)`;
    await new Promise<void>((resolve) => process.stdout.write(`${erase}logbatch ui: stopped (${signal}); the run was interrupted${kept}\n`, () => resolve()));
    process.kill(process.pid, signal);
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.exit(128 + osConstants.signals[signal]);
  }
  backend.close();
  process.stdout.write(`${erase}logbatch ui: stopped (${signal})\n`);
  await running;
  return EXIT_OK;
}

async function runFiles(files: readonly string[], options: UiCommandOptions, backend: LocalUiBackend, url: string, named: (text: string) => string): Promise<void> {
  const settings = {
    format: options.format,
    ...(options.maxChunkBytes === undefined ? {} : { maxChunkBytes: options.maxChunkBytes }),
    ...(options.maxChunkLines === undefined ? {} : { maxChunkLines: options.maxChunkLines }),
  };
  backend.setLive(true);
  try {
    if (options.store !== undefined) {
      const { runIntoStore, renderStoreNotes } = await import('./run-store.js');
      const result = await runIntoStore(options.store, { files, settings, workerConcurrency: options.concurrency });
      process.stdout.write(renderSummary(withStdinNamed(result.summary, named)) + named(renderStoreNotes(result)));
    } else {
      const { runLocalPipeline } = await import('../local/run-pipeline.js');
      const summary = await runLocalPipeline({ files, settings, workerConcurrency: options.concurrency, store: backend.adapters });
      process.stdout.write(renderSummary(withStdinNamed(summary, named)));
    }
    process.stdout.write(`run finished; still serving ${url}\n`);
  } catch (error) {
    process.stderr.write(`logbatch ui: the run failed: ${error instanceof Error ? error.message : String(error)}\n`);
  } finally {
    backend.setLive(false);
  }
}

function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => process.stderr.write(`logbatch ui: could not open a browser; open ${url}\n`));
    child.unref();
  } catch {
    process.stderr.write(`logbatch ui: could not open a browser; open ${url}\n`);
  }
}
