import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { LogBatchError } from '../domain/errors.js';
import { EXIT_USAGE, UsageError } from './usage-error.js';

/**
 * Each subcommand's module, loaded only when that subcommand runs: `run` on the memory backend then never loads the
 * AWS SDK clients, fauxqs or SQLite (about 40 MB of resident memory and a third of a second of start-up). The
 * bundle (scripts/build-cli.mjs) splits each of these imports into a chunk of its own.
 */
const COMMANDS: ReadonlyArray<readonly [names: readonly string[], load: () => Promise<Command[]>]> = [
  [['run'], async () => [(await import('./run.command.js')).runCommand()]],
  [['query'], async () => [(await import('./query.command.js')).queryCommand()]],
  [
    ['status', 'batches', 'dlq'],
    async () => {
      const operator = await import('./operator.commands.js');
      return [operator.statusCommand(), operator.batchesCommand(), operator.dlqCommand()];
    },
  ],
  [['backfill'], async () => [(await import('./backfill.command.js')).backfillCommand()]],
  [['emulator'], async () => [(await import('./emulator.command.js')).emulatorCommand()]],
  [['ui'], async () => [(await import('./ui.command.js')).uiCommand()]],
];

/**
 * Builds the `logbatch` command; subcommands live in `*.command.ts`. Given the subcommand the arguments name, only its
 * module is loaded; otherwise (help, an unknown name) all of them, so help lists every command.
 */
export async function buildProgram(subcommand?: string): Promise<Command> {
  const program = new Command('logbatch')
    .description('Every line of a log file, exactly once, into a store people can query.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const named = COMMANDS.filter(([names]) => subcommand !== undefined && names.includes(subcommand));
  const loaded = await Promise.all((named.length > 0 ? named : COMMANDS).map(([, load]) => load()));
  const commands = loaded.flat().filter((command) => named.length === 0 || command.name() === subcommand);
  for (const command of commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
    program.addCommand(command);
  }
  return program;
}

/**
 * The status a shell reports for a command killed by SIGPIPE (128 + 13), as `seq 1 1000000 | head -1` gives for seq:
 * the reader of the output went away before the command was done. Node ignores SIGPIPE, so logbatch exits with it.
 */
const EXIT_BROKEN_PIPE = 128 + 13;

/** `--out` names a pipe whose reader went away (`--out /dev/stdout | head`): the same as stdout's reader going away. */
function isBrokenOutputPipe(error: unknown): boolean {
  return error instanceof LogBatchError && error.code === 'OUTPUT_WRITE_FAILED' && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

/**
 * Every command writes to stdout; when its reader goes away (`| head -1`) nothing more can be shown, so logbatch stops
 * at once and quietly, as other Unix tools do, instead of dying of an unhandled 'error' event with a stack trace.
 */
function exitWhenStdoutCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') process.stderr.write(`logbatch: stdout: ${error.message}\n`);
    process.exit(error.code === 'EPIPE' ? EXIT_BROKEN_PIPE : 1);
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = await buildProgram(argv[2]);
    await program.parseAsync(argv as string[]);
    const code = program.commands
      .flatMap((command) => [command, ...command.commands])
      .map((command) => command.getOptionValue('exitCode') as number | undefined)
      .find((value) => value !== undefined);
    return code ?? 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; everything else commander rejects is a usage error.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (isBrokenOutputPipe(error)) return EXIT_BROKEN_PIPE;
    if (error instanceof UsageError) {
      process.stderr.write(`logbatch: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const message = error instanceof LogBatchError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
    process.stderr.write(`logbatch: ${message}\n`);
    if (process.env.LOGBATCH_DEBUG !== undefined && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

exitWhenStdoutCloses();
process.exitCode = await main(process.argv);
