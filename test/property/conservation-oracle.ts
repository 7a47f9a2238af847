import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BatchStatus } from '../../src/domain/batch.js';
import type { LogEntry } from '../../src/domain/log-entry.js';
import type { ProcessChunk } from '../../src/application/process-chunk.use-case.js';
import type { SplitLogObject } from '../../src/application/split-log-object.use-case.js';
import { JsonlFileLogRepository } from '../../src/adapters/local/jsonl-file-log-repository.js';
import { LOCAL_BUCKET, LocalFileObjectStore } from '../../src/adapters/local/local-file-object-store.js';
import { InMemoryChunkQueue } from '../../src/adapters/memory/in-memory-chunk-queue.js';
import { InMemorySplitContinuations } from '../../src/adapters/memory/in-memory-split-continuations.js';
import { deriveBatchId } from '../../src/domain/batch.js';
import { adaptersModule } from '../../src/di/adapters.module.js';
import { createContainer } from '../../src/di/container.js';
import { TOKENS } from '../../src/di/tokens.js';
import { createSplitterHandler } from '../../src/handlers/splitter.js';
import { createWorkerHandler } from '../../src/handlers/worker.js';
import { LocalRuntime } from '../../src/local/local-runtime.js';
import { runLocalPipeline } from '../../src/local/run-pipeline.js';
import { summarizeBatch } from '../../src/local/run-summary.js';
import { describeLogFile, type GeneratedLogFile, readableString } from '../helpers/log-file-arbitrary.js';

/**
 * The oracle of the conservation property (documented in conservation.test.ts) and the memory backend's runner,
 * shared by the property and by tools that hunt for distinct counterexamples.
 */

/** What a backend reports and stores for one file. */
export interface ObservedRun {
  readonly batch:
    | {
        readonly status: string;
        readonly reason?: string;
        readonly totalLines?: number;
        readonly entries: number;
        readonly blank: number;
        readonly continuation: number;
        readonly truncated: number;
        readonly unparsed: number;
      }
    | undefined;
  /** Every stored entry of the batch, as stored (duplicates kept). */
  readonly entries: readonly LogEntry[];
  readonly errors?: readonly string[];
}

const COMPLETED: readonly string[] = [BatchStatus.COMPLETED, BatchStatus.COMPLETED_WITH_ERRORS];
const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');
/** A blank line: empty, or only spaces, tabs, vertical tabs and form feeds (counted, never stored). */
const isBlank = (text: string) => /^[ \t\u000b\f]*$/.test(text);

/** The oracle: every problem found, empty when the run conserved the file. */
export function conservationProblems(file: GeneratedLogFile, run: ObservedRun): string[] {
  const problems: string[] = [];
  const { batch, entries } = run;
  if (batch === undefined) return ['no batch record'];
  if (file.expect.kind === 'binary') {
    if (batch.status !== BatchStatus.FAILED || !/binary/i.test(batch.reason ?? '')) {
      problems.push(`expected FAILED as binary (NUL at content byte ${file.expect.nulOffset}), got ${batch.status} ${batch.reason ?? ''}`);
    }
    return problems;
  }
  if (!COMPLETED.includes(batch.status)) problems.push(`batch ${batch.status}${batch.reason === undefined ? '' : `: ${batch.reason}`}`);

  const keys = new Map<string, number>();
  for (const entry of entries) keys.set(`${entry.batchId}#${entry.lineNumber}`, (keys.get(`${entry.batchId}#${entry.lineNumber}`) ?? 0) + 1);
  for (const [key, count] of keys) if (count > 1) problems.push(`entry ${key} stored ${count} times`);
  const stored = [...new Map(entries.map((entry) => [entry.lineNumber, entry])).values()].sort((a, b) => a.lineNumber - b.lineNumber);

  if (batch.entries !== stored.length) problems.push(`counter entries = ${batch.entries}, stored entries = ${stored.length}`);
  const totalLines = batch.totalLines;
  if (totalLines === undefined) problems.push('totalLines unknown');
  else if (batch.entries + batch.blank + batch.continuation !== totalLines) {
    problems.push(`entries ${batch.entries} + blank ${batch.blank} + continuation ${batch.continuation} ≠ totalLines ${totalLines}`);
  }
  const truncatedStored = stored.filter((entry) => entry.truncated === true).length;
  if (batch.truncated !== truncatedStored) problems.push(`counter truncated = ${batch.truncated}, stored truncated entries = ${truncatedStored}`);
  const unparsedStored = stored.filter((entry) => entry.parseError !== undefined).length;
  if (batch.unparsed !== unparsedStored) problems.push(`counter unparsed = ${batch.unparsed}, stored entries with a parseError = ${unparsedStored}`);

  const maxEventBytes = file.settings.maxEventBytes;
  /**
   * Content rule 5 for one entry against the candidate full texts and parser bodies. `truncatedMessages`: bodies a
   * parser may make of a cut event besides a prefix of its text (the pieces of Docker records the cut left whole).
   */
  const checkContent = (entry: LogEntry, fulls: readonly string[], messages: readonly string[], label: string, truncatedMessages: readonly string[] = []) => {
    if (entry.truncated === true) {
      const full = truncatedMessages.includes(entry.body) ? fulls[0] : fulls.find((text) => text.startsWith(entry.body));
      if (full === undefined) problems.push(`${label}: truncated body ${readableString(entry.body, 200)} is no prefix of ${readableString(fulls[0], 200)}`);
      else if (entry.originalLength !== utf8Bytes(full)) problems.push(`${label}: originalLength ${entry.originalLength} ≠ ${utf8Bytes(full)} bytes`);
      if (utf8Bytes(entry.body) > maxEventBytes) problems.push(`${label}: truncated body is ${utf8Bytes(entry.body)} bytes > maxEventBytes ${maxEventBytes}`);
    } else if (!fulls.includes(entry.body) && !messages.includes(entry.body)) {
      problems.push(`${label}: body ${readableString(entry.body, 300)} is neither the text ${readableString(fulls[0], 300)}${messages.length > 0 ? ` nor ${messages.map((m) => readableString(m, 100)).join(' / ')}` : ''}`);
    }
  };

  if (file.expect.kind === 'cloudtrail') {
    const records = file.expect.records;
    if (totalLines !== undefined && totalLines !== records.length) problems.push(`totalLines ${totalLines} ≠ ${records.length} records`);
    if (batch.blank !== 0 || batch.continuation !== 0) problems.push(`blank ${batch.blank} / continuation ${batch.continuation} in a CloudTrail file`);
    const numbers = stored.map((entry) => entry.lineNumber);
    const expected = records.map((_, index) => index + 1);
    if (JSON.stringify(numbers) !== JSON.stringify(expected)) problems.push(`record line numbers ${JSON.stringify(numbers)} ≠ ${JSON.stringify(expected)}`);
    for (const entry of stored) {
      const record = records[entry.lineNumber - 1];
      if (record !== undefined) checkContent(entry, [record.compact], [record.body], `record ${entry.lineNumber}`);
    }
    return problems;
  }

  const lines = file.expect.lines;
  if (totalLines !== undefined && totalLines !== lines.length) problems.push(`totalLines ${totalLines} ≠ ${lines.length} physical lines`);
  const blank = lines.filter((line) => isBlank(line.text)).length;
  if (batch.blank !== blank) problems.push(`counter blank = ${batch.blank}, file has ${blank} blank line(s)`);
  const owner = new Array<number | undefined>(lines.length + 1);
  let continuation = 0;
  for (const entry of stored) {
    const first = entry.lineNumber;
    const last = first + (entry.lineCount ?? 1) - 1;
    continuation += last - first;
    if (first < 1 || last > lines.length) {
      problems.push(`entry ${first} covers lines ${first}..${last}, outside 1..${lines.length}`);
      continue;
    }
    for (let line = first; line <= last; line++) {
      if (owner[line] !== undefined) problems.push(`line ${line} is in entries ${owner[line]} and ${first}`);
      else if (isBlank(lines[line - 1].text)) problems.push(`blank line ${line} is inside entry ${first}`);
      owner[line] = first;
    }
    const span = lines.slice(first - 1, last);
    const withoutBom = span.map((line) => line.text).join('\n');
    const withBom = span.map((line) => (line.memberBom === true ? `\uFEFF${line.text}` : line.text)).join('\n');
    // Docker partial records joined into one event: the body is their logs concatenated (of every record, or of the
    // records a cut left whole).
    const texts = span.map((line) => line.text);
    const docker = span.length > 1 ? dockerLogs(texts) : undefined;
    checkContent(
      entry,
      withBom === withoutBom ? [withoutBom] : [withoutBom, withBom],
      span.length === 1 ? span[0].messages : docker === undefined ? [] : [joinedLog(docker)],
      `line ${first}`,
      docker === undefined ? [] : docker.map((_, count) => joinedLog(docker.slice(0, count + 1))),
    );
  }
  if (batch.continuation !== continuation) problems.push(`counter continuation = ${batch.continuation}, stored spans cover ${continuation}`);
  const missing = lines.flatMap((line, index) => (!isBlank(line.text) && owner[index + 1] === undefined ? [index + 1] : []));
  for (const line of missing.slice(0, 5)) problems.push(`line ${line} ${readableString(lines[line - 1].text, 200)} is in no entry`);
  if (missing.length > 5) problems.push(`... and ${missing.length - 5} more lines in no entry`);
  return problems;
}

/** The `log` of each line when every line is a Docker json-file record (`log` first, a string `stream`), else undefined. */
function dockerLogs(texts: readonly string[]): string[] | undefined {
  const logs: string[] = [];
  for (const text of texts) {
    if (!text.startsWith('{"log":"')) return undefined;
    let record: { log?: unknown; stream?: unknown };
    try {
      record = JSON.parse(text) as { log?: unknown; stream?: unknown };
    } catch {
      return undefined;
    }
    if (typeof record.log !== 'string' || typeof record.stream !== 'string') return undefined;
    logs.push(record.log);
  }
  return logs;
}

/** Docker records' logs as one line: concatenated, without the one line end Docker appends. */
const joinedLog = (logs: readonly string[]): string => logs.join('').replace(/\r?\n$/, '');

export function assertConserved(file: GeneratedLogFile, run: ObservedRun, backend: string): void {
  const problems = conservationProblems(file, run);
  if (problems.length === 0) return;
  const shown = problems.length > 12 ? [...problems.slice(0, 12), `... ${problems.length - 12} more`] : problems;
  const errors = run.errors !== undefined && run.errors.length > 0 ? `\nruntime errors: ${run.errors.slice(0, 3).join(' | ')}` : '';
  throw new Error(`${backend}: the file was not conserved:\n- ${shown.join('\n- ')}${errors}\n${describeLogFile(file)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Backends

/**
 * The memory backend with the JSON Lines repository. Without hand-overs: `runLocalPipeline` with an out path, which
 * is `logbatch run FILE --out entries.jsonl`. With them: the same adapters (the file as the object store, the
 * in-memory queue with SQS semantics, `JsonlFileLogRepository`, in-memory continuations) composed the same way, with
 * a splitter that is always out of time — `runLocalPipeline` only plays a time limit, and a limit hands over only
 * once three quarters of it have passed, never at every boundary.
 */
export async function runOnMemory(file: GeneratedLogFile, directory: string): Promise<ObservedRun> {
  const filePath = path.join(directory, file.name);
  const outPath = `${filePath}.out.jsonl`;
  await writeFile(filePath, file.bytes);
  try {
    const { batch, errors } = file.handOver
      ? await runAlwaysHandingOver(filePath, outPath, file)
      : { batch: (await runLocalPipeline({ files: [filePath], settings: file.settings, outPath })).batches[0], errors: [] };
    const text = await readFile(outPath, 'utf8');
    const entries = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogEntry);
    return { batch, entries, errors };
  } finally {
    await rm(filePath, { force: true });
    await rm(outPath, { force: true });
  }
}

/** `runLocalPipeline`'s composition, with a splitter that hands over at every chunk boundary. */
async function runAlwaysHandingOver(filePath: string, outPath: string, file: GeneratedLogFile) {
  const objectStore = new LocalFileObjectStore();
  const queue = new InMemoryChunkQueue({ capacity: 64 });
  const repository = new JsonlFileLogRepository(outPath);
  const continuations = new InMemorySplitContinuations();
  const container = createContainer({
    adapters: adaptersModule({ objectStore, chunkQueue: queue, logRepository: repository, continuations }),
    settings: file.settings,
  });
  const runtime = new LocalRuntime({
    splitter: createSplitterHandler(() => ({ splitLogObject: container.get<SplitLogObject>(TOKENS.SplitLogObject), handOverMarginMs: 1000 })),
    worker: createWorkerHandler(() => ({ processChunk: container.get<ProcessChunk>(TOKENS.ProcessChunk) })),
    queue,
    continuations,
    splitterContext: () => ({ getRemainingTimeInMillis: () => 0 }),
  });
  const upload = await objectStore.head(LOCAL_BUCKET, filePath);
  const report = await runtime.run([upload]);
  await repository.close();
  const batch = await repository.getBatch(deriveBatchId(upload));
  return { batch: batch === undefined ? undefined : summarizeBatch(batch, filePath), errors: [...report.splitterErrors, ...report.workerErrors] };
}

/** The fields of an entry that come from the file (not the run's ids and clocks). */
export function fromFile(entry: LogEntry): Record<string, unknown> {
  const { batchId: _batchId, observedTimestamp: _observed, ...rest } = entry;
  return Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
}


/**
 * The fields where two entries of the same line differ, each side shown briefly; empty when they agree. A cut entry's
 * body may be cut at different lengths (the room left in a chunk depends on the message envelope, which names the
 * object's key): two cut bodies agree when one is a prefix of the other, and their parse results are not compared.
 */
export function entryDifferences(actual: LogEntry, expected: LogEntry | undefined): string[] {
  if (expected === undefined) return ['no such entry on the memory backend'];
  const left = fromFile(actual);
  const right = fromFile(expected);
  const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
  const show = (value: unknown) => {
    if (value === undefined) return 'absent';
    if (typeof value === 'string') return readableString(value, 300);
    const json = canonicalJson(value);
    return json.length > 300 ? `${json.slice(0, 300)}…(${json.length - 300} more characters)` : json;
  };
  const cut = actual.truncated === true && expected.truncated === true;
  const differences: string[] = [];
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
    if (same(left[key], right[key])) continue;
    if (cut && key === 'body') {
      if (actual.body.startsWith(expected.body) || expected.body.startsWith(actual.body)) continue;
      let common = 0;
      while (common < actual.body.length && actual.body[common] === expected.body[common]) common++;
      differences.push(`body (cut): ${actual.body.length} vs ${expected.body.length} characters, first difference at ${common}: ${show(actual.body.slice(common, common + 40))} ≠ ${show(expected.body.slice(common, common + 40))}`);
    } else if (cut && key !== 'lineNumber' && key !== 'truncated' && key !== 'originalLength' && key !== 'lineCount') {
      continue;
    } else if (key === 'attributes' && typeof left[key] === 'object' && typeof right[key] === 'object') {
      const a = left[key] as Record<string, unknown>;
      const b = right[key] as Record<string, unknown>;
      for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (!same(a[name], b[name])) differences.push(`attributes[${JSON.stringify(name)}]: ${show(a[name])} ≠ ${show(b[name])}`);
      }
    } else differences.push(`${key}: ${show(left[key])} ≠ ${show(right[key])}`);
  }
  return differences;
}

/** JSON with object keys sorted (a DynamoDB map keeps no key order); iterative, so thousands of levels are fine. */
function canonicalJson(value: unknown): string {
  let out = '';
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item instanceof Punctuation) {
      out += item.text;
    } else if (Array.isArray(item)) {
      const parts: unknown[] = [new Punctuation('[')];
      item.forEach((element, index) => parts.push(...(index > 0 ? [new Punctuation(',')] : []), element));
      parts.push(new Punctuation(']'));
      for (let index = parts.length - 1; index >= 0; index--) stack.push(parts[index]);
    } else if (typeof item === 'object' && item !== null) {
      const record = item as Record<string, unknown>;
      const parts: unknown[] = [new Punctuation('{')];
      Object.keys(record)
        .sort()
        .forEach((key, index) => parts.push(new Punctuation(`${index > 0 ? ',' : ''}${JSON.stringify(key)}:`), record[key]));
      parts.push(new Punctuation('}'));
      for (let index = parts.length - 1; index >= 0; index--) stack.push(parts[index]);
    } else {
      out += item === undefined ? 'undefined' : JSON.stringify(item);
    }
  }
  return out;
}

class Punctuation {
  constructor(readonly text: string) {}
}
