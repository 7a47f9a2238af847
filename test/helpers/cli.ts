import { spawn } from 'node:child_process';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(PROJECT_ROOT, 'bin/logbatch.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `logbatch` command as a user would, in its own process; kills it (code null) after 50 s by default, before the CLI tests' 60 s mocha timeout, so a hang fails with its output. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; env?: Readonly<Record<string, string>> } = {},
): Promise<CliResult> {
  return runProcess([process.execPath, BIN, ...args], { cwd: options.cwd, timeoutMs: options.timeoutMs, env: { ...process.env, FORCE_COLOR: '0', ...options.env } });
}

/** `bin/logbatch.js`, for tests that build their own command line (a shell script, `setpriv` in front). */
export const LOGBATCH_BIN = BIN;

/**
 * Runs `command[0]` with the rest as its arguments and collects its output; kills it (code null) after 50 s by default.
 * `env` is the whole environment (default: this process's with `FORCE_COLOR=0`). `describeSpawnError` turns a failure to
 * start it (a missing program) into the error to reject with.
 */
export function runProcess(
  command: readonly string[],
  options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; describeSpawnError?: (error: Error) => Error } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd: options.cwd ?? PROJECT_ROOT, env: options.env ?? { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 50_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(options.describeSpawnError?.(error) ?? error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
