import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { seededRandom } from '../../bench/generate.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { logFile } from '../helpers/memory-pipeline.js';

interface Summary {
  totals: Record<string, number>;
  batches: { batchId: string; source: string; status: string; totalLines: number; entries: number; continuation: number }[];
}
type StoredEntry = Record<string, unknown> & { batchId: string; lineNumber: number };

/** A few thousand JSON lines with blank lines and malformed JSON sprinkled in, deterministic. */
function jsonLines(count: number, seed: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const roll = random();
    if (roll < 0.03) return '';
    if (roll < 0.05) return `{"time":"2026-11-26T09:00:00Z","level":"info","msg":"truncated ${index + 1}"`;
    return JSON.stringify({
      time: new Date(Date.UTC(2026, 10, 26, 9) + index * 1000).toISOString(),
      level: roll < 0.2 ? 'error' : roll < 0.4 ? 'warn' : 'info',
      msg: `request ${index + 1}`,
      'http.response.status_code': roll < 0.2 ? 500 : 200,
    });
  });
}

/** An application's text log with Java stack traces (multi-line events) between ordinary lines. */
function javaTextLines(events: number): string[] {
  const lines: string[] = [];
  for (let index = 0; index < events; index++) {
    const time = `2026-11-26 09:${String(Math.floor(index / 60) % 60).padStart(2, '0')}:${String(index % 60).padStart(2, '0')},123`;
    if (index % 7 === 3) {
      lines.push(
        `${time} ERROR [http-nio-8080-exec-${index % 4}] c.e.orders.OrderService - order ${index} failed`,
        'java.lang.IllegalStateException: inventory service returned 503',
        '\tat com.example.orders.InventoryClient.reserve(InventoryClient.java:88)',
        '\tat com.example.orders.OrderService.place(OrderService.java:41)',
        'Caused by: java.net.SocketTimeoutException: Read timed out',
        '\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:168)',
        '\t... 12 more',
      );
    } else {
      lines.push(`${time} INFO  [main] c.e.orders.OrderService - order ${index} placed`);
    }
    if (index % 25 === 24) lines.push('');
  }
  return lines;
}

async function readEntries(file: string): Promise<StoredEntry[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as StoredEntry);
}

function parseSummary(result: CliResult, backend: string): Summary {
  expect(result.code, `${backend} exit code; stderr: ${result.stderr}`).to.equal(0);
  return JSON.parse(result.stdout) as Summary;
}

/** Entries per source file, in line order, keyed by each backend's own batch ids. */
function entriesBySource(summary: Summary, entries: readonly StoredEntry[]): Map<string, StoredEntry[]> {
  const byBatch = new Map(summary.batches.map((batch) => [batch.batchId, path.basename(batch.source)]));
  const bySource = new Map<string, StoredEntry[]>();
  for (const entry of entries) {
    const source = byBatch.get(entry.batchId) ?? `unknown batch ${entry.batchId}`;
    bySource.set(source, [...(bySource.get(source) ?? []), entry]);
  }
  for (const list of bySource.values()) list.sort((a, b) => a.lineNumber - b.lineNumber);
  return bySource;
}

/** An entry as both backends must agree on it: everything but when it was observed and the backend's batch id. */
function comparable(entry: StoredEntry): Record<string, unknown> {
  const { observedTimestamp: _observed, batchId: _batchId, ...rest } = entry;
  return rest;
}

describe('logbatch run --backend emulator', function () {
  // Each emulator run starts its own fauxqs and DynamoDB Local: a few seconds, more on a busy machine.
  this.timeout(240_000);
  let directory: string;
  let files: { name: string; lines: string[] }[];
  let emulator: Summary;
  let memory: Summary;
  let emulatorEntries: StoredEntry[];
  let memoryEntries: StoredEntry[];

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-emulator-backend-'));
    files = [
      { name: 'plain.jsonl', lines: jsonLines(3000, 11) },
      { name: 'crlf-bom-gzip.log.gz', lines: jsonLines(1500, 12) },
      { name: 'no-final-newline.jsonl', lines: jsonLines(400, 13) },
      { name: 'orders.log', lines: javaTextLines(300) },
    ];
    await writeFile(path.join(directory, files[0].name), logFile(files[0].lines));
    await writeFile(path.join(directory, files[1].name), logFile(files[1].lines, { gzip: true, crlf: true, bom: true }));
    await writeFile(path.join(directory, files[2].name), logFile(files[2].lines, { finalNewline: false }));
    await writeFile(path.join(directory, files[3].name), logFile(files[3].lines, { crlf: true }));
    const paths = files.map((file) => path.join(directory, file.name));
    // A small chunk budget, so every file spans several chunks (and SendMessageBatch calls).
    const common = ['run', ...paths, '--json', '--max-chunk-bytes', '32768', '--no-progress'];

    const [emulatorRun, memoryRun] = await Promise.all([
      runCli([...common, '--backend', 'emulator', '--out', path.join(directory, 'emulator.jsonl')], { timeoutMs: 200_000 }),
      runCli([...common, '--backend', 'memory', '--out', path.join(directory, 'memory.jsonl')], { timeoutMs: 200_000 }),
    ]);
    emulator = parseSummary(emulatorRun, 'emulator');
    memory = parseSummary(memoryRun, 'memory');
    emulatorEntries = await readEntries(path.join(directory, 'emulator.jsonl'));
    memoryEntries = await readEntries(path.join(directory, 'memory.jsonl'));
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reports exactly the same totals as the memory backend for plain, gzip, CRLF, BOM and multi-line files', () => {
    const physicalLines = files.reduce((sum, file) => sum + file.lines.length, 0);

    expect(emulator.totals).to.deep.equal(memory.totals);
    expect(emulator.totals.files).to.equal(files.length);
    expect(emulator.totals.lines).to.equal(physicalLines);
    expect(emulator.totals.unparsed, 'malformed JSON lines are counted').to.be.greaterThan(0);
    expect(emulator.totals.continuation, 'stack trace lines join their event').to.be.greaterThan(0);
    expect(emulator.totals.chunks).to.be.greaterThan(files.length);
    expect(emulator.totals.deadLettered).to.equal(0);
    expect(emulator.batches.map((batch) => [path.basename(batch.source), batch.totalLines, batch.entries, batch.status])).to.deep.equal(
      memory.batches.map((batch) => [path.basename(batch.source), batch.totalLines, batch.entries, batch.status]),
    );
  });

  it('writes to --out every entry read back from DynamoDB, with exact line numbers', () => {
    const emulatorBySource = entriesBySource(emulator, emulatorEntries);
    const memoryBySource = entriesBySource(memory, memoryEntries);

    expect(emulatorEntries).to.have.length(emulator.totals.entries);
    expect([...emulatorBySource.keys()].sort()).to.deep.equal(files.map((file) => file.name).sort());
    for (const file of files) {
      const fromEmulator = emulatorBySource.get(file.name) ?? [];
      const fromMemory = memoryBySource.get(file.name) ?? [];
      expect(fromEmulator.map((entry) => entry.lineNumber), `${file.name} line numbers`).to.deep.equal(fromMemory.map((entry) => entry.lineNumber));
      expect(new Set(fromEmulator.map((entry) => entry.lineNumber)).size, `${file.name} no duplicates`).to.equal(fromEmulator.length);
      // Blank lines and stack-trace continuation lines have no entry of their own; every other line has one.
      const expectedFirstLines = file.name === 'orders.log' ? undefined : file.lines.flatMap((line, index) => (line === '' ? [] : [index + 1]));
      if (expectedFirstLines !== undefined) expect(fromEmulator.map((entry) => entry.lineNumber), `${file.name} vs the file`).to.deep.equal(expectedFirstLines);
    }
  });

  it('stores the same entry content as the memory backend, observed time aside', () => {
    const emulatorBySource = entriesBySource(emulator, emulatorEntries);
    const memoryBySource = entriesBySource(memory, memoryEntries);
    const stackTraceEntry = (emulatorBySource.get('orders.log') ?? []).find((entry) => String(entry.body).includes('IllegalStateException'));

    for (const file of files) {
      const fromEmulator = emulatorBySource.get(file.name) ?? [];
      const fromMemory = memoryBySource.get(file.name) ?? [];
      // A sample spread over the file: first, last and every 97th entry.
      const sample = [...new Set([0, fromEmulator.length - 1, ...fromEmulator.map((_, index) => index).filter((index) => index % 97 === 0)])];
      for (const index of sample) {
        expect(comparable(fromEmulator[index]), `${file.name} entry #${index}`).to.deep.equal(comparable(fromMemory[index]));
      }
    }
    expect(stackTraceEntry?.body, 'a stack trace is one entry').to.include('\tat com.example.orders.InventoryClient.reserve');
    expect(stackTraceEntry?.body).to.include('... 12 more');
  });
});
