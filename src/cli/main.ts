import 'reflect-metadata';
import { Command, CommanderError, Help, type Option } from 'commander';
// Inlined by the bundle (scripts/build-cli.mjs), read by tsx from the sources: the version either way.
import packageJson from '../../package.json' with { type: 'json' };
import { ConfigurationError, LogBatchError } from '../domain/errors.js';
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
    .version(packageJson.version, '-V, --version', 'print the version');
  const named = COMMANDS.filter(([names]) => subcommand !== undefined && names.includes(subcommand));
  const loaded = await Promise.all((named.length > 0 ? named : COMMANDS).map(([, load]) => load()));
  const commands = loaded.flat().filter((command) => named.length === 0 || command.name() === subcommand);
  for (const command of commands) program.addCommand(command);
  configure(program);
  return program;
}

/**
 * Every command, at every level (commander copies no settings to a command added with `addCommand`): commander's
 * parse errors are usage errors, thrown for {@link main} to turn into exit 2, and written as the CLI's own are,
 * one line on stderr; an option's help names its variable once; `help` takes a command's path (`help dlq list`,
 * see {@link helpArguments}).
 */
function configure(command: Command): void {
  command
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(usageLine(text)) })
    .configureHelp({ optionDescription });
  if (command.commands.length > 0) command.helpCommand('help [command...]', 'display help for command');
  for (const sub of command.commands) configure(sub);
}

/**
 * An option's help, without commander's `(env: LOGBATCH_STORE)` when its description names the variable already
 * (`SQLite store file (default: LOGBATCH_STORE)`): said once.
 */
function optionDescription(this: Help, option: Option): string {
  const named = option.envVar !== undefined && option.description.includes(option.envVar);
  return Help.prototype.optionDescription.call(this, named ? (Object.create(option, { envVar: { value: undefined } }) as Option) : option);
}

/**
 * Commander's error (`error: unknown command 'rn'` over `(Did you mean run?)`) as the CLI's own usage errors read:
 * `logbatch: unknown command 'rn' (Did you mean run?)`.
 */
function usageLine(text: string): string {
  const lines = text
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return `logbatch: ${lines.join(' ')}\n`;
}

const findCommand = (command: Command, name: string): Command | undefined =>
  command.commands.find((sub) => sub.name() === name || sub.aliases().includes(name));

/**
 * The arguments to parse for `help` given a command's path, at any level (`help dlq list`, `dlq help list`), which
 * commander reads only one name deep: that command's `--help`. A name that is no command is parsed as a command,
 * for commander's error with its suggestion; a name under a command without subcommands is an error here.
 * Other arguments are returned as they are.
 */
function helpArguments(program: Command, args: readonly string[]): string[] {
  let command = program;
  for (const [index, word] of args.entries()) {
    if (word === 'help' && command.commands.length > 0) {
      const path = args.slice(0, index);
      const names = args.slice(index + 1).filter((name) => !name.startsWith('-'));
      if (names.length === 0) return [...args];
      let target = command;
      for (const name of names) {
        const sub = findCommand(target, name);
        if (sub === undefined) {
          if (target.commands.length > 0) return [...path, name];
          const shown = [...path, name].join(' ');
          target.error(`error: unknown command '${shown}': ${path.join(' ')} has no subcommands`, { code: 'commander.unknownCommand' });
        }
        target = sub!;
        path.push(name);
      }
      return [...path, '--help'];
    }
    const sub = findCommand(command, word);
    if (sub === undefined) break;
    command = sub;
  }
  return [...args];
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
    await program.parseAsync(helpArguments(program, argv.slice(2)), { from: 'user' });
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
    // A flag or variable of the wrong form (the operator commands' resources, redaction settings): also a usage error.
    if (error instanceof UsageError || error instanceof ConfigurationError) {
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
