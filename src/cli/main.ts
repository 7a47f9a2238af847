import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { LogBatchError } from '../domain/errors.js';
import { backfillCommand } from './backfill.command.js';
import { emulatorCommand } from './emulator.command.js';
import { batchesCommand, dlqCommand, statusCommand } from './operator.commands.js';
import { queryCommand } from './query.command.js';
import { runCommand } from './run.command.js';
import { uiCommand } from './ui.command.js';
import { EXIT_USAGE, UsageError } from './usage-error.js';

/** Builds the `logbatch` command; subcommands live in `*.command.ts`. */
export function buildProgram(): Command {
  const program = new Command('logbatch')
    .description('Every line of a log file, exactly once, into a store people can query.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const command of [runCommand(), queryCommand(), statusCommand(), batchesCommand(), dlqCommand(), backfillCommand(), emulatorCommand(), uiCommand()]) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
    program.addCommand(command);
  }
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
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

process.exitCode = await main(process.argv);
