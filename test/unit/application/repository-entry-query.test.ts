import { expect } from 'chai';
import { InMemoryLogRepository } from '../../../src/adapters/memory/in-memory-log-repository.js';
import { InvalidQueryError, QueryEntries } from '../../../src/application/query-entries.use-case.js';
import { RepositoryEntryQuery } from '../../../src/application/repository-entry-query.js';
import { entryFactory, newBatchFactory } from '../../helpers/factories.js';

describe('RepositoryEntryQuery cursors', () => {
  let query: QueryEntries;
  let batchA: string;
  let batchB: string;

  before(async () => {
    const repository = new InMemoryLogRepository();
    const [a, b] = [newBatchFactory(), newBatchFactory()];
    [batchA, batchB] = [a.batchId, b.batchId];
    for (const batch of [a, b]) {
      await repository.createBatch(batch);
      await repository.putEntries(Array.from({ length: 2_500 }, (_, index) => entryFactory({ batchId: batch.batchId, lineNumber: index + 1 })));
    }
    query = new QueryEntries(new RepositoryEntryQuery(repository));
  });

  it('goes on where the page ended, for the query that printed it', async () => {
    const first = await query.find({ batch: batchA, limit: 1_500 });
    const second = await query.find({ batch: batchA, limit: 1_500, cursor: first.cursor });

    expect(first.items.map((entry) => entry.lineNumber)).to.deep.equal(Array.from({ length: 1_500 }, (_, index) => index + 1));
    expect(second.items.map((entry) => entry.lineNumber)).to.deep.equal(Array.from({ length: 1_000 }, (_, index) => index + 1_501));
    expect(second.cursor).to.equal(undefined);
  });

  it('refuses a cursor printed for another batch or another kind of query, as a usage error', async () => {
    const { cursor } = await query.find({ batch: batchA, limit: 1_500 });

    const otherBatch = await query.find({ batch: batchB, limit: 10, cursor }).catch((error: unknown) => error);
    const otherKind = await query.find({ severity: 'warn', since: '2026-11-26T00:00:00Z', until: '2026-11-27T00:00:00Z', limit: 10, cursor }).catch((error: unknown) => error);

    expect(otherBatch).to.be.instanceOf(InvalidQueryError).and.have.property('message').that.matches(/--cursor .*another query/);
    expect(otherKind).to.be.instanceOf(InvalidQueryError).and.have.property('message').that.matches(/--cursor .*another query/);
  });
});

describe('QueryEntries filters', () => {
  const query = new QueryEntries(new RepositoryEntryQuery(new InMemoryLogRepository()));

  it('reads an instant without a zone as UTC, whatever the zone of the machine', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(query.filterOf({ since: '2026-01-01T00:30:00', until: '2026-01-01 01:00' })).to.deep.include({ since: '2026-01-01T00:30:00.000Z', until: '2026-01-01T01:00:00.000Z' });
      expect(query.filterOf({ since: '2026-01-01T00:30:00+01:00', until: '2026-01-02' })).to.deep.include({ since: '2025-12-31T23:30:00.000Z', until: '2026-01-02T00:00:00.000Z' });
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
