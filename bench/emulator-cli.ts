/**
 * Prints the emulated-AWS benchmark table (see `bench/emulator.ts`).
 *
 *   node --import tsx bench/emulator-cli.ts [lines...] [--per-line <lines>] [--json]
 *
 * Defaults: 1,000,000 lines packed, and 10,000 lines with one message per line for comparison.
 * `--per-line 0` skips the comparison.
 */
import 'reflect-metadata';
import os from 'node:os';
import { benchEmulator, renderEmulatorBenchTable } from './emulator.js';

const args = process.argv.slice(2);
let perLine = 10_000;
let json = false;
const sizes: number[] = [];
for (let index = 0; index < args.length; index++) {
  if (args[index] === '--per-line') perLine = Number(args[++index]);
  else if (args[index] === '--json') json = true;
  else sizes.push(Number(args[index]));
}
const lines = sizes.length > 0 ? sizes : [1_000_000];
if ([...lines, perLine].some((size) => !Number.isInteger(size) || size < 0)) {
  process.stderr.write('usage: node --import tsx bench/emulator-cli.ts [lines...] [--per-line <lines>] [--json]\n');
  process.exit(2);
}

process.stderr.write(`node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}; ${new Date().toISOString()}\n`);
const rows = await benchEmulator(lines, { perLine: perLine > 0 ? [perLine] : [] });
process.stdout.write(json ? `${JSON.stringify(rows, null, 2)}\n` : `${renderEmulatorBenchTable(rows)}\n`);
