import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { InMemoryEntryHistogram } from '../../../src/adapters/memory/in-memory-entry-histogram.js';
import { InMemoryLogRepository } from '../../../src/adapters/memory/in-memory-log-repository.js';
import { SqliteEntryHistogram } from '../../../src/adapters/sqlite/sqlite-entry-histogram.js';
import { SqliteLogRepository } from '../../../src/adapters/sqlite/sqlite-log-repository.js';
import { SqliteStore } from '../../../src/adapters/sqlite/sqlite-store.js';
import { BatchHistogram, type Histogram } from '../../../src/application/batch-histogram.use-case.js';
import type { EntryHistogram } from '../../../src/application/ports/entry-histogram.port.js';
import type { LogRepository } from '../../../src/application/ports/log-repository.port.js';
import { RepositoryEntryHistogram } from '../../../src/application/repository-entry-histogram.js';
import type { LogEntry } from '../../../src/domain/log-entry.js';

/** A small deterministic generator (mulberry32), so a failure names the same data every time. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEVERITIES = [undefined, 5, 9, 9, 9, 13, 17, 21];

/** `count` entries of one batch over `spanMs` from `startMs`, mostly in time order, some without a timestamp. */
function entriesOf(batchId: string, count: number, startMs: number, spanMs: number, seed: number): LogEntry[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, index) => {
    const severityNumber = SEVERITIES[Math.floor(next() * SEVERITIES.length)];
    const timestamp = next() < 0.03 ? undefined : new Date(startMs + Math.floor(((index + next() * 40) / count) * spanMs)).toISOString();
    return {
      batchId,
      lineNumber: index + 1,
      ...(timestamp === undefined ? {} : { timestamp }),
      observedTimestamp: '2026-12-01T00:00:00.000Z',
      ...(severityNumber === undefined ? {} : { severityNumber }),
      body: `line ${index + 1}`,
      attributes: {},
      format: 'text',
    } as LogEntry;
  });
}

const START = Date.parse('2026-11-26T09:17:23.456Z');
const HOUR = 3_600_000;

/** Writes the batches in chunks, then redelivers some chunks as they were and some with rewritten entries. */
async function fill(repository: LogRepository): Promise<Array<{ batchId: string; entries: LogEntry[] }>> {
  const batches = [
    { batchId: 'long', entries: entriesOf('long', 3_000, START, 7 * HOUR, 1) },
    { batchId: 'other', entries: entriesOf('other', 1_500, START - 2 * HOUR, 30 * HOUR, 2) },
    { batchId: 'short', entries: entriesOf('short', 400, START, 10 * 60_000, 3) },
  ];
  for (const { batchId } of batches) {
    await repository.createBatch({ batchId, source: { bucket: 'local', key: `/${batchId}.log`, etag: batchId }, createdAt: '2026-12-01T00:00:00.000Z' });
  }
  // Chunks of the batches interleaved, as workers deliver them.
  for (let offset = 0; offset < 3_000; offset += 250) {
    for (const { entries } of batches) if (offset < entries.length) await repository.putEntries(entries.slice(offset, offset + 250));
  }
  // Redelivery: chunks written again as they were, and entries rewritten with another severity or minute.
  await repository.putEntries(batches[0].entries.slice(500, 750));
  await repository.putEntries(batches[1].entries.slice(0, 250));
  const rewritten = batches[0].entries.slice(1_000, 1_100).map((entry, index) => ({
    ...entry,
    severityNumber: 17,
    ...(index % 3 === 0 ? { timestamp: new Date(START + 5 * HOUR + index * 1_000).toISOString() } : {}),
  }));
  await repository.putEntries(rewritten);
  // The first entry moves later: the batch's time range must shrink with it.
  const first = batches[0].entries.reduce((earliest, entry) => (entry.timestamp !== undefined && entry.timestamp < (earliest.timestamp ?? '~') ? entry : earliest));
  await repository.putEntries([{ ...first, timestamp: new Date(START + HOUR).toISOString() }]);
  return batches;
}

/** The backend's histogram without its rollup: what counting the entries gives. */
function withoutRollup(histogram: EntryHistogram): EntryHistogram {
  return { timeRange: (batchId) => histogram.timeRange(batchId), countByBucket: (batchId, boundaries) => histogram.countByBucket(batchId, boundaries) };
}

async function expectRollupMatchesScan(repository: LogRepository, histogram: EntryHistogram): Promise<Histogram[]> {
  const batches = await fill(repository);
  const results: Histogram[] = [];
  for (const { batchId } of batches) {
    for (const buckets of [1, 7, 30, 60, 500]) {
      const fromRollup = await new BatchHistogram(repository, histogram).of(batchId, { buckets });
      const fromEntries = await new BatchHistogram(repository, new RepositoryEntryHistogram(repository)).of(batchId, { buckets });
      const onIndexes = await new BatchHistogram(repository, withoutRollup(histogram)).of(batchId, { buckets });
      expect(fromRollup, `${batchId}, ${buckets} buckets`).to.deep.equal(fromEntries);
      expect(onIndexes, `${batchId}, ${buckets} buckets, counted on the backend's entries`).to.deep.equal(fromEntries);
      results.push(fromRollup);
    }
  }
  return results;
}

describe('BatchHistogram', () => {
  describe('of', () => {
    it('gives from the memory repository rollup what counting the entries gives, after redelivered and rewritten entries', async () => {
      const repository = new InMemoryLogRepository();

      const results = await expectRollupMatchesScan(repository, new InMemoryEntryHistogram(repository));

      const withTimestamp = (await repository.listEntries('long', { limit: 10_000 })).items.filter((entry) => entry.timestamp !== undefined).length;
      expect(results.filter((result) => result.batchId === 'long').map((result) => result.total)).to.deep.equal([1, 7, 30, 60, 500].map(() => withTimestamp));
    });

    it('gives from the SQLite store rollup what counting the entries gives, after redelivered and rewritten entries', async () => {
      const directory = await mkdtemp(path.join(tmpdir(), 'logbatch-histogram-'));
      const store = SqliteStore.open(path.join(directory, 'store.db'));
      try {
        const repository = new SqliteLogRepository(store);

        const results = await expectRollupMatchesScan(repository, new SqliteEntryHistogram(store));

        expect(results.some((result) => result.bucketMs >= 60_000)).to.equal(true);
        expect(results.some((result) => result.bucketMs < 60_000)).to.equal(true);
      } finally {
        store.close();
        await rm(directory, { recursive: true, force: true });
      }
    });
  });
});

