import { expect } from 'chai';
import { type Batch, BatchStatus, decideCompletion, deriveBatchId, EMPTY_CHUNK_STATS, newBatch } from '../../../src/domain/batch.js';

const batchWith = (overrides: Partial<Batch>): Batch => ({
  ...newBatch({ batchId: 'b', source: { bucket: 'x', key: 'k', etag: 'e' }, createdAt: '2026-11-26T00:00:00.000Z' }),
  ...overrides,
});

describe('decideCompletion', () => {
  it('waits while splitting or while chunks are outstanding', () => {
    expect(decideCompletion(batchWith({ status: BatchStatus.SPLITTING, totalChunks: 1, processedChunks: 1 }))).to.equal(undefined);
    expect(decideCompletion(batchWith({ status: BatchStatus.SPLIT, totalChunks: 3, processedChunks: 2 }))).to.equal(undefined);
  });

  it('completes with or without errors once every chunk is processed', () => {
    const clean = decideCompletion(batchWith({ status: BatchStatus.SPLIT, totalChunks: 2, processedChunks: 2 }));
    const withErrors = decideCompletion(
      batchWith({ status: BatchStatus.SPLIT, totalChunks: 2, processedChunks: 2, stats: { ...EMPTY_CHUNK_STATS, unparsed: 1 } }),
    );

    expect(clean).to.deep.equal({ status: BatchStatus.COMPLETED });
    expect(withErrors).to.deep.equal({ status: BatchStatus.COMPLETED_WITH_ERRORS });
  });

  it('fails a batch whose missing chunks are all dead-lettered, naming them', () => {
    const decision = decideCompletion(batchWith({ status: BatchStatus.SPLIT, totalChunks: 3, processedChunks: 1, deadLetteredChunks: [0, 2] }));

    expect(decision).to.deep.include({ status: BatchStatus.FAILED, failureCode: 'DEAD_LETTERED_CHUNKS' });
    expect(decision?.reason).to.equal('2 chunk(s) dead-lettered: 0, 2');
  });

  it('names what is left once a redrive settles part of a failed batch, and nothing changes when it already does', () => {
    const failed = { status: BatchStatus.FAILED, failureCode: 'DEAD_LETTERED_CHUNKS' as const, totalChunks: 3, processedChunks: 2, deadLetteredChunks: [2] };

    expect(decideCompletion(batchWith({ ...failed, reason: '2 chunk(s) dead-lettered: 0, 2' }))).to.deep.equal({
      status: BatchStatus.FAILED,
      failureCode: 'DEAD_LETTERED_CHUNKS',
      reason: '1 chunk(s) dead-lettered: 2',
    });
    expect(decideCompletion(batchWith({ ...failed, reason: '1 chunk(s) dead-lettered: 2' }))).to.equal(undefined);
  });

  it('names the first 20 dead-lettered chunks and counts the rest', () => {
    const chunks = Array.from({ length: 500 }, (_, index) => index);
    const decision = decideCompletion(batchWith({ status: BatchStatus.SPLIT, totalChunks: 500, processedChunks: 0, deadLetteredChunks: chunks }));

    expect(decision?.reason).to.equal(`500 chunk(s) dead-lettered: ${chunks.slice(0, 20).join(', ')}, … (480 more)`);
  });

  it('never completes a batch whose split failed', () => {
    expect(decideCompletion(batchWith({ status: BatchStatus.FAILED, failureCode: 'CORRUPT_GZIP', totalChunks: 1, processedChunks: 1 }))).to.equal(undefined);
  });
});

describe('deriveBatchId', () => {
  it('is stable for one object version and differs across versions', () => {
    const source = { bucket: 'b', key: 'k', etag: '1' };

    expect(deriveBatchId(source)).to.equal(deriveBatchId({ ...source }));
    expect(deriveBatchId(source)).to.not.equal(deriveBatchId({ ...source, etag: '2' }));
  });
});
