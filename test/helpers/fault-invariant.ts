import { expect } from 'chai';
import fc from 'fast-check';
import type { LogRepository } from '../../src/application/ports/log-repository.port.js';
import type { DeadLetteredMessage } from '../../src/application/ports/queue-consumer.port.js';
import { type Batch, BatchStatus } from '../../src/domain/batch.js';
import { type ChunkMessage, decodeChunk, peekChunkIdentity } from '../../src/domain/chunk.js';
import type { LogEntry } from '../../src/domain/log-entry.js';
import { seededRandom } from '../../bench/generate.js';
import type { Fault } from './faults.js';
import { BUCKET, createMemoryPipeline } from './memory-pipeline.js';

/** What a schedule's file looks like: its length, where poison lines sit, and the seed of everything else. */
/** Every port call of the handlers a schedule may crash or throttle. */
export const FAULT_SITES = [
  'repo.createBatch',
  'repo.saveCheckpoint',
  'repo.finishSplitting',
  'repo.putEntries',
  'repo.recordChunkProcessed',
  'repo.completeBatch',
  'repo.getBatch',
  'repo.recordChunkDeadLettered',
  'queue.deadLetter',
  'queue.sendBatch',
  'continuations.handOver',
] as const;

/** One fault: the `call`-th call (1..maxCall) of a site crashes before or after it, or is throttled. */
export function faultArbitrary(maxCall: number): fc.Arbitrary<Fault> {
  return fc.record({
    method: fc.constantFrom(...FAULT_SITES),
    call: fc.integer({ min: 1, max: maxCall }),
    kind: fc.constantFrom('crash-before', 'crash-after', 'throttle'),
  });
}

export interface ScheduledFile {
  readonly seed: number;
  readonly lines: number;
  readonly poisonLines: readonly number[];
}

/** The lines of a schedule's file: JSON lines, a few blank and unparsable ones, and the poison lines. */
export function scheduledFileLines(file: ScheduledFile): string[] {
  const random = seededRandom(file.seed);
  return Array.from({ length: file.lines }, (_, index) => {
    const lineNumber = index + 1;
    if (file.poisonLines.includes(lineNumber)) return `POISON line ${lineNumber}`;
    const roll = random();
    if (roll < 0.05) return '';
    if (roll < 0.1) return `not json ${lineNumber}`;
    return JSON.stringify({ time: '2026-11-26T09:00:00.000Z', level: roll < 0.3 ? 'error' : 'info', msg: `line ${lineNumber}` });
  });
}

/** Wraps a repository so that writing the entries of a chunk holding a poison line always fails. */
export function poisonedRepository<T extends LogRepository>(repository: T): T {
  return Object.assign(Object.create(repository) as T, {
    putEntries: async (entries: Parameters<T['putEntries']>[0]) => {
      if (entries.some((entry) => entry.body.startsWith('POISON'))) throw new Error('poison chunk: always fails');
      return repository.putEntries(entries);
    },
  });
}

/** The chunks a fault-free split makes of the file (which line lands in which chunk), on in-memory adapters. */
export async function referenceChunks(content: Buffer, maxChunkLines: number): Promise<ChunkMessage[]> {
  const pipeline = createMemoryPipeline({ settings: { maxChunkLines, format: 'json' } });
  pipeline.objectStore.put(BUCKET, 'app.log', content);
  await pipeline.splitLogObject.execute({ bucket: BUCKET, key: 'app.log' });
  const chunks: ChunkMessage[] = [];
  for (let received = await pipeline.queue.receive(10); received.length > 0; received = await pipeline.queue.receive(10)) {
    chunks.push(...received.map((message) => decodeChunk(message.body)));
  }
  return chunks;
}

export interface FaultRunOutcome {
  /** The file's lines, as written. */
  readonly lines: readonly string[];
  /** Its chunks from {@link referenceChunks}. */
  readonly reference: readonly ChunkMessage[];
  /** The batch as stored once the run is over and the DLQ has been listed (which reconciles). */
  readonly batch: Batch;
  /** Every stored entry of the batch, in line order. */
  readonly entries: readonly LogEntry[];
  readonly deadLetters: readonly DeadLetteredMessage[];
  /** Nothing left visible or in flight on the chunk queue. */
  readonly queueDrained: boolean;
  readonly splitterErrors: readonly string[];
}

/**
 * The exactly-once invariant after a fault schedule: every line not in a poison chunk stored exactly once with its
 * own content; batch counters exact (each processed chunk counted once); poison chunks — and only they — in the
 * DLQ and marked in the batch; the status follows; the queue drained.
 */
export function assertExactlyOnce(outcome: FaultRunOutcome): void {
  const { lines, reference, batch, entries, deadLetters } = outcome;
  const poisonChunks = reference
    .filter((chunk) => chunk.lines.some((line) => line?.startsWith('POISON') === true))
    .map((chunk) => chunk.chunk)
    .sort((a, b) => a - b);
  const poisonLineNumbers = new Set(
    reference.filter((chunk) => poisonChunks.includes(chunk.chunk)).flatMap((chunk) => chunk.lines.map((_, index) => chunk.firstLine + index)),
  );

  // Every line not in a poison chunk is stored exactly once, with its own content.
  const expectedLines = lines.flatMap((text, index) => (text === '' || poisonLineNumbers.has(index + 1) ? [] : [{ lineNumber: index + 1, text }]));
  expect(
    entries.map((entry) => entry.lineNumber),
    'stored line numbers',
  ).to.deep.equal(expectedLines.map((line) => line.lineNumber));
  for (const [index, entry] of entries.entries()) {
    const text = expectedLines[index].text;
    expect(entry.parseError === undefined ? JSON.parse(text).msg : text, `line ${entry.lineNumber}`).to.equal(entry.body);
  }
  // Counters are exact: processed chunks count once each.
  const processed = reference.filter((chunk) => !poisonChunks.includes(chunk.chunk));
  const expectedUnparsed = processed.flatMap((chunk) => chunk.lines).filter((line) => line?.startsWith('not json') === true).length;
  expect(batch.totalLines, 'totalLines').to.equal(lines.length);
  expect(batch.totalChunks, 'totalChunks').to.equal(reference.length);
  expect(batch.processedChunks, 'processedChunks').to.equal(processed.length);
  expect(batch.stats.lines, 'lines counted').to.equal(processed.reduce((sum, chunk) => sum + chunk.lines.length, 0));
  expect(batch.stats.entries, 'entries counted').to.equal(expectedLines.length);
  expect(batch.stats.unparsed, 'unparsed counted').to.equal(expectedUnparsed);
  // Poison chunks, and only they, are in the DLQ and marked in the batch; the status says so.
  const deadChunks = [...new Set(deadLetters.map((message) => peekChunkIdentity(message.body).chunk))].sort((a, b) => a! - b!);
  expect(deadChunks, 'dead-lettered chunks').to.deep.equal(poisonChunks);
  expect([...batch.deadLetteredChunks].sort((a, b) => a - b), 'batch marks').to.deep.equal(poisonChunks);
  const expectedStatus =
    poisonChunks.length > 0 ? BatchStatus.FAILED : expectedUnparsed > 0 ? BatchStatus.COMPLETED_WITH_ERRORS : BatchStatus.COMPLETED;
  expect(batch.status, `status (splitter errors: ${outcome.splitterErrors.join('; ')})`).to.equal(expectedStatus);
  expect(outcome.queueDrained, 'queue drained').to.equal(true);
}
