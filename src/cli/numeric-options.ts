import { InvalidArgumentError } from 'commander';
import { UsageError } from './usage-error.js';

/**
 * A commander argument parser for a flag that takes a whole number, so every numeric flag of every command
 * validates, and words its error, the same way: decimal digits only (no `1e3`, `0x10`, `2.5` or empty value),
 * between `min` (default 1) and `max`. A bad value is a usage error: one line on stderr, exit 2.
 */
export function integerOption(flag: string, bounds: { readonly min?: number; readonly max?: number } = {}): (value: string) => number {
  const min = bounds.min ?? 1;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  const expected =
    max === Number.MAX_SAFE_INTEGER ? (min === 1 ? 'a positive integer' : `an integer of at least ${min}`) : `an integer between ${min} and ${max}`;
  return (value: string): number => {
    const parsed = /^\s*\+?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`${flag} must be ${expected}`);
    return parsed;
  };
}

/**
 * `LOGBATCH_MEMORY_BUDGET_MB` (`logbatch run`'s memory budget): unset or empty is `defaultMb`, `0` is no bound
 * (undefined), anything else whole megabytes, read as the Lambda configuration reads its whole numbers: decimal
 * digits, blanks around them ignored; no `1e3`, `0x10`, `1.5`, sign, or blank value (which `Number` would take for
 * 0, no bound). A bad value is a usage error naming the variable.
 */
export function memoryBudgetFromEnvironment(env: Readonly<Record<string, string | undefined>>, defaultMb: number): number | undefined {
  const given = env.LOGBATCH_MEMORY_BUDGET_MB;
  if (given === undefined || given === '') return defaultMb;
  const megabytes = /^\s*\d+\s*$/.test(given) ? Number(given) : Number.NaN;
  if (!Number.isSafeInteger(megabytes)) {
    // Shown as typed unless blanks would hide it.
    const shown = /^\S(.*\S)?$/.test(given) ? given : JSON.stringify(given);
    throw new UsageError(`LOGBATCH_MEMORY_BUDGET_MB must be a whole number of MB (0: no bound), not ${shown}`);
  }
  return megabytes === 0 ? undefined : megabytes;
}
