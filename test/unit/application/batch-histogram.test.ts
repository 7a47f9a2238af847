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

/** One batch of entries at the given instants, every one an ERROR, written to the repository. */
async function batchAt(repository: LogRepository, batchId: string, timestamps: readonly string[]): Promise<void> {
  await repository.createBatch({ batchId, source: { bucket: 'local', key: `/${batchId}.log`, etag: batchId }, createdAt: '2026-12-01T00:00:00.000Z' });
  await repository.putEntries(
    timestamps.map((timestamp, index) => ({
      batchId,
      lineNumber: index + 1,
      timestamp,
      observedTimestamp: '2026-12-01T00:00:00.000Z',
      severityNumber: 17,
      body: `line ${index + 1}`,
      attributes: {},
      format: 'json',
    })),
  );
}

/** Every way each backend counts: its rollup, its own entry count without the rollup, and a walk over the entries. */
function countingWays(repository: LogRepository, histogram: EntryHistogram): Array<[string, EntryHistogram]> {
  return [
    ['rollup', histogram],
    ['entries on the backend', withoutRollup(histogram)],
    ['walk over entry pages', new RepositoryEntryHistogram(repository)],
  ];
}

/** Runs `check` on the memory repository and on a SQLite store. */
async function onEveryBackend(check: (backend: string, repository: LogRepository, histogram: EntryHistogram) => Promise<void>): Promise<void> {
  const memory = new InMemoryLogRepository();
  await check('memory', memory, new InMemoryEntryHistogram(memory));
  const directory = await mkdtemp(path.join(tmpdir(), 'logbatch-histogram-'));
  const store = SqliteStore.open(path.join(directory, 'store.db'));
  try {
    await check('sqlite', new SqliteLogRepository(store), new SqliteEntryHistogram(store));
  } finally {
    store.close();
    await rm(directory, { recursive: true, force: true });
  }
}

describe('BatchHistogram', () => {
  describe('of', () => {
    it('counts entries up to the last instant of year 9999, whose bucket edges lie in year 10000', async () => {
      const batches: Record<string, string[]> = {
        sentinel: ['2026-03-01T00:00:00.000Z', '9999-12-31T23:59:59.000Z'],
        june: ['2026-03-01T00:00:00.000Z', '9999-06-01T00:00:00.000Z'],
        lastSecond: ['9999-12-31T23:59:58.000Z', '9999-12-31T23:59:59.500Z', '9999-12-31T23:59:59.999Z'],
        lastHour: ['9999-12-31T23:01:00.000Z', '9999-12-31T23:59:59.999Z'],
      };

      await onEveryBackend(async (backend, repository, histogram) => {
        for (const [batchId, timestamps] of Object.entries(batches)) await batchAt(repository, batchId, timestamps);
        for (const [way, counting] of countingWays(repository, histogram)) {
          for (const [batchId, timestamps] of Object.entries(batches)) {
            for (const buckets of [1, 7, 60, 500]) {
              const result = await new BatchHistogram(repository, counting).of(batchId, { buckets });

              const context = `${backend}, ${way}, ${batchId}, ${buckets} buckets`;
              expect(result.total, context).to.equal(timestamps.length);
              expect(result.counts[1].reduce((a, b) => a + b, 0), context).to.equal(timestamps.length);
              expect(result.starts.length, context).to.be.within(1, buckets);
            }
          }
        }
      });
    });

    it('never answers more buckets than asked, whatever the span, and still counts every entry', async () => {
      const DAY = 24 * HOUR;
      const spans = [8 * DAY, 7 * 7 * DAY + 1, 60 * 7 * DAY + 3 * DAY, 500 * 7 * DAY + 1, 3_000 * DAY, 400 * 365 * DAY];

      await onEveryBackend(async (backend, repository, histogram) => {
        for (const [index, spanMs] of spans.entries()) {
          const first = START + index * 12_345_678;
          await batchAt(repository, `span${index}`, [first, first + Math.floor(spanMs / 3), first + spanMs].map((ms) => new Date(ms).toISOString()));
        }
        for (const [way, counting] of countingWays(repository, histogram)) {
          for (const [index] of spans.entries()) {
            for (const buckets of [1, 2, 3, 7, 60, 500]) {
              const result = await new BatchHistogram(repository, counting).of(`span${index}`, { buckets });

              const context = `${backend}, ${way}, span ${index}, ${buckets} buckets`;
              expect(result.starts.length, context).to.be.within(1, buckets);
              expect(result.total, context).to.equal(3);
              expect(result.counts.every((row) => row.length === result.starts.length), context).to.equal(true);
            }
          }
        }
      });
    });

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

describe('EntryHistogram', () => {
  describe('countByBucket', () => {
    it('takes an edge past year 9999 as toISOString writes it (+010000-…) as later than every stored time', async () => {
      const timestamps = ['2026-03-01T00:00:00.000Z', '9999-06-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'];
      const boundaries = ['2026-01-01T00:00:00.000Z', '9999-01-01T00:00:00.000Z', new Date(Date.UTC(10_000, 5, 1)).toISOString()];

      await onEveryBackend(async (backend, repository, histogram) => {
        await batchAt(repository, 'edges', timestamps);
        for (const [way, counting] of countingWays(repository, histogram)) {
          const { counts } = await counting.countByBucket('edges', boundaries);

          expect(counts[1], `${backend}, ${way}`).to.deep.equal([1, 2]);
        }
      });
    });
  });
});
