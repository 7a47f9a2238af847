/**
 * One benchmark scenario in its own process, so its peak memory is its own. Prints one JSON line:
 * `{ scenario, lines, bytes, seconds, peakRssMb, requests? }`.
 *
 *   node --import tsx bench/scenario.ts <floor|pipeline|per-line> <file> [--out <path>]
 */
import 'reflect-metadata';
import { createReadStream, statSync } from 'node:fs';
import { LineSplitter, type RawLine } from '../src/domain/line-splitter.js';
import { LINE_PARSERS } from '../src/domain/parsing/formats.js';
import { runLocalPipeline } from '../src/local/run-pipeline.js';

const [scenario, file, ...rest] = process.argv.slice(2);
const outIndex = rest.indexOf('--out');
const outPath = outIndex === -1 ? undefined : rest[outIndex + 1];

/** The floor: read, split and parse the same file with the same parser, and nothing else. */
async function floor(path: string): Promise<number> {
  const splitter = new LineSplitter();
  const parse = LINE_PARSERS.json;
  const context = { observedAt: new Date() };
  let lines = 0;
  let parsed = 0;
  const out: RawLine[] = [];
  for await (const buffer of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    splitter.push(buffer as Buffer, out);
    for (const line of out) {
      lines++;
      if (line.text !== '' && parse(line.text, context).ok) parsed++;
    }
    out.length = 0;
  }
  splitter.end(out);
  lines += out.length;
  if (parsed === 0 && lines > 10) throw new Error('floor parsed nothing: wrong input?');
  return lines;
}

const started = performance.now();
let lines: number;
let requests: Record<string, number> | undefined;
let status: string | undefined;
if (scenario === 'floor') {
  lines = await floor(file);
} else {
  const summary = await runLocalPipeline({
    files: [file],
    settings: scenario === 'per-line' ? { maxChunkLines: 1, format: 'json' } : { format: 'json' },
    outPath,
  });
  lines = summary.totals.lines;
  requests = summary.requests;
  status = summary.batches[0]?.status;
}
const seconds = (performance.now() - started) / 1000;
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`${JSON.stringify({ scenario, lines, bytes: statSync(file).size, seconds, peakRssMb, status, requests })}\n`);
