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

  it('refuses a tampered cursor whose position could not have been printed, as a usage error', async () => {
    const cursorOf = (position: unknown) => Buffer.from(JSON.stringify(position)).toString('base64url');
    const k = `batch:${batchA}`;
    const tampered = [
      { b: 0, s: -3, k },
      { b: 0, s: 1.5, k },
      { b: 0, s: 1_000, k },
      { b: 0, s: '2', k },
      { b: -1, s: 0, k },
      { b: 5, s: 0, k },
      { b: 0, s: 0, p: 7, k },
      { b: 0, s: 0, k: 3 },
      [0, 0],
      null,
    ];

    for (const position of tampered) {
      const refused = await query.find({ batch: batchA, limit: 10, cursor: cursorOf(position) }).catch((error: unknown) => error);

      expect(refused, JSON.stringify(position)).to.be.instanceOf(InvalidQueryError).and.have.property('message', '--cursor is not a cursor this command printed');
    }
  });

  it('still takes a position it could have printed, that starts a page or is within one', async () => {
    const cursorOf = (position: unknown) => Buffer.from(JSON.stringify(position)).toString('base64url');

    const within = await query.find({ batch: batchA, limit: 2, cursor: cursorOf({ b: 0, s: 999, k: `batch:${batchA}` }) });
    const unbound = await query.find({ batch: batchA, limit: 2, cursor: cursorOf({ b: 0, p: '1000', s: 0 }) });

    expect(within.items.map((entry) => entry.lineNumber)).to.deep.equal([1_000, 1_001]);
    expect(unbound.items.map((entry) => entry.lineNumber)).to.deep.equal([1_001, 1_002]);
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

  it('refuses a date or time that does not exist, as a usage error, instead of rolling it over', () => {
    const impossible = ['2026-02-30T00:00:00Z', '2026-02-29', '2026-04-31 12:00', '2026-01-01T24:00:00Z', '2026-01-01T23:60Z', '2026-03-01T10:00:61+01:00'];

    for (const text of impossible) {
      expect(() => query.filterOf({ since: text }), text).to.throw(InvalidQueryError, `--since ${JSON.stringify(text)}: give an ISO 8601 instant`);
    }
    expect(() => query.filterOf({ until: '2026-13-45' })).to.throw(InvalidQueryError, '--until "2026-13-45": give an ISO 8601 instant');
  });

  it('reads dates that exist, in any zone, leap days included', () => {
    expect(query.filterOf({ since: '2024-02-29', until: '2026-03-01T00:30:59.999+01:00' })).to.deep.include({ since: '2024-02-29T00:00:00.000Z', until: '2026-02-28T23:30:59.999Z' });
    expect(query.filterOf({ since: '2026-12-31T23:59:59-0230' })).to.deep.include({ since: '2027-01-01T02:29:59.000Z' });
    expect(query.filterOf({ until: '0001-01-01T00:00:00Z' })).to.deep.include({ until: '0001-01-01T00:00:00.000Z' });
  });

  it('refuses an age reaching back before the year 0000 (or past what a date holds) as a usage error', () => {
    const fixed = new QueryEntries(new RepositoryEntryQuery(new InMemoryLogRepository()), () => new Date('2026-11-26T09:00:00.000Z'));

    for (const [flag, age] of [['--until', '99999999999d'], ['--since', '999999999999999w'], ['--since', '200000w']] as const) {
      const request = flag === '--since' ? { since: age } : { until: age };
      expect(() => fixed.filterOf(request), age).to.throw(InvalidQueryError, `${flag} "${age}": an age reaching back before the year 0000`);
    }
    expect(fixed.filterOf({ since: '100000w', until: '7d' })).to.deep.include({ since: '0110-05-15T09:00:00.000Z', until: '2026-11-19T09:00:00.000Z' });
  });

  it('refuses more than 100 --where conditions with a usage error (SQLite failed on an expression that deep)', () => {
    const where = (count: number) => Array.from({ length: count }, (_, index) => `k${index}=v`);

    expect(query.filterOf({ where: where(100) }).where).to.have.length(100);
    expect(() => query.filterOf({ where: where(101) })).to.throw(InvalidQueryError, '--where: at most 100 conditions (101 given)');
  });

  it('refuses a since at or after until, ages and instants alike', () => {
    const fixed = new QueryEntries(new RepositoryEntryQuery(new InMemoryLogRepository()), () => new Date('2026-11-26T09:00:00.000Z'));

    for (const [since, until] of [['7d', '100000w'], ['2h', '2h'], ['2026-01-02', '2026-01-01T23:59:59Z']]) {
      expect(() => fixed.filterOf({ since, until }), `${since} ${until}`).to.throw(InvalidQueryError, '--since must be before --until');
    }
  });
});
