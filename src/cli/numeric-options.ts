import { InvalidArgumentError } from 'commander';

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
