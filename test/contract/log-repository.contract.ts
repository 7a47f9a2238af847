import { expect } from 'chai';
import type { LogRepository } from '../../src/application/ports/log-repository.port.js';
import { BatchStatus, type ChunkStats, decideCompletion } from '../../src/domain/batch.js';
import { BatchNotFoundError } from '../../src/domain/errors.js';
import type { LogEntry } from '../../src/domain/log-entry.js';
import { entryFactory, newBatchFactory } from '../helpers/factories.js';

export interface LogRepositoryFixture {
  /** A fresh, empty repository. */
  readonly repository: LogRepository;
  cleanup?(): Promise<void>;
}

const stats = (lines: number, unparsed = 0): ChunkStats => ({ lines, entries: lines, unparsed, blank: 0, continuation: 0, truncated: 0, filtered: 0, redacted: 0 });

/** What every LogRepository adapter must do; swapping storage is safe exactly when an adapter passes this. */
export function describeLogRepositoryContract(adapterName: string, makeFixture: () => Promise<LogRepositoryFixture>): void {
  describe(`LogRepository contract: ${adapterName}`, () => {
    let fixture: LogRepositoryFixture;
    let repository: LogRepository;

    beforeEach(async () => {
      fixture = await makeFixture();
      repository = fixture.repository;
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    describe('createBatch', () => {
      it('creates a batch once; a duplicate finds the existing one', async () => {
        const init = newBatchFactory();

        const first = await repository.createBatch(init);
        await repository.finishSplitting(init.batchId, { totalLines: 10, totalChunks: 2, format: 'json' });
        const second = await repository.createBatch({ ...init, createdAt: new Date(Date.now() + 1000).toISOString() });

        expect(first.created).to.equal(true);
        expect(first.batch.status).to.equal(BatchStatus.SPLITTING);
        expect(second.created).to.equal(false);
        expect(second.batch.status).to.equal(BatchStatus.SPLIT);
        expect(second.batch.createdAt).to.equal(init.createdAt);
      });
    });

    describe('finishSplitting and failBatch', () => {
      it('records totals and format on SPLIT', async () => {
        const init = newBatchFactory();
        await repository.createBatch(init);

        await repository.finishSplitting(init.batchId, { totalLines: 1234, totalChunks: 3, format: 'combined' });
        const batch = await repository.getBatch(init.batchId);

        expect(batch).to.deep.include({ status: BatchStatus.SPLIT, totalLines: 1234, totalChunks: 3, format: 'combined' });
        expect(batch?.source).to.deep.equal(init.source);
      });

      it('marks a batch FAILED with its code and reason', async () => {
        const init = newBatchFactory();
        await repository.createBatch(init);

        await repository.failBatch(init.batchId, 'CORRUPT_GZIP', 'corrupt gzip near compressed byte 4096', { totalLines: 7, totalChunks: 1, format: 'text' });
        const batch = await repository.getBatch(init.batchId);

        expect(batch).to.deep.include({ status: BatchStatus.FAILED, failureCode: 'CORRUPT_GZIP', totalLines: 7, totalChunks: 1 });
        expect(batch?.reason).to.equal('corrupt gzip near compressed byte 4096');
      });

      it('lets a batch failed with a retryable code be split again, but not one failed for good', async () => {
        const retryable = newBatchFactory();
        const permanent = newBatchFactory();
        await repository.createBatch(retryable);
        await repository.createBatch(permanent);
        await repository.failBatch(retryable.batchId, 'QUEUE_UNAVAILABLE', 'SendMessageBatch throttled');
        await repository.failBatch(permanent.batchId, 'BINARY_CONTENT', 'binary');

        await repository.finishSplitting(retryable.batchId, { totalLines: 5, totalChunks: 1, format: 'text' });
        await repository.finishSplitting(permanent.batchId, { totalLines: 5, totalChunks: 1, format: 'text' });
        const recovered = await repository.getBatch(retryable.batchId);

        expect(recovered).to.deep.include({ status: BatchStatus.SPLIT, totalLines: 5 });
        expect(recovered?.failureCode).to.equal(undefined);
        expect(recovered?.reason).to.equal(undefined);
        expect((await repository.getBatch(permanent.batchId))?.status).to.equal(BatchStatus.FAILED);
      });

      it('saves a split checkpoint', async () => {
        const init = newBatchFactory();
        await repository.createBatch(init);

        await repository.saveCheckpoint(init.batchId, { byteOffset: 1048576, nextLineNumber: 5001, nextChunkIndex: 4 });

        expect((await repository.getBatch(init.batchId))?.checkpoint).to.deep.equal({ byteOffset: 1048576, nextLineNumber: 5001, nextChunkIndex: 4 });
      });
    });

    describe('recordChunkProcessed', () => {
      it('counts a chunk once however often it is recorded', async () => {
        const init = newBatchFactory();
        await repository.createBatch(init);

        const first = await repository.recordChunkProcessed(init.batchId, 0, stats(100, 3));
        const again = await repository.recordChunkProcessed(init.batchId, 0, stats(100, 3));
        await repository.recordChunkProcessed(init.batchId, 1, stats(50));
        const batch = await repository.getBatch(init.batchId);

        expect(first.applied).to.equal(true);
        expect(again.applied).to.equal(false);
        expect(batch?.processedChunks).to.equal(2);
        expect(batch?.stats).to.deep.equal({ lines: 150, entries: 150, unparsed: 3, blank: 0, continuation: 0, truncated: 0, filtered: 0, redacted: 0 });
      });

      it('adds filtered lines and redacted entries to the batch and reads them back', async () => {
        const init = newBatchFactory();
        await repository.createBatch(init);

        await repository.recordChunkProcessed(init.batchId, 0, { ...stats(10), entries: 6, filtered: 4, redacted: 2 });
        await repository.recordChunkProcessed(init.batchId, 1, { ...stats(5), entries: 4, filtered: 1, redacted: 1 });
        const batch = await repository.getBatch(init.batchId);
        const listed = (await repository.listBatches()).find((each) => each.batchId === init.batchId);

        expect(batch?.stats).to.include({ lines: 15, entries: 10, filtered: 5, redacted: 3 });
        expect(listed?.stats).to.include({ filtered: 5, redacted: 3 });
      });

      it('throws BatchNotFoundError for an unknown batch', async () => {
        const error = await repository.recordChunkProcessed('no-such-batch', 0, stats(1)).catch((caught: unknown) => caught);

        expect(error).to.be.instanceOf(BatchNotFoundError);
      });

      it('clears a dead-lettered chunk once it is processed (after a redrive)', async () => {
        const init = newBatchFactory();
        await repository.createBatch(init);
        await repository.finishSplitting(init.batchId, { totalLines: 20, totalChunks: 2, format: 'text' });
        await repository.recordChunkProcessed(init.batchId, 0, stats(10));

        const dead = await repository.recordChunkDeadLettered(init.batchId, 1, 'always fails');
        const deadAgain = await repository.recordChunkDeadLettered(init.batchId, 1, 'always fails');
        const { batch } = await repository.recordChunkProcessed(init.batchId, 1, stats(10));

        expect(dead?.deadLetteredChunks).to.deep.equal([1]);
        expect(deadAgain?.deadLetteredChunks).to.deep.equal([1]);
        expect(batch.deadLetteredChunks).to.deep.equal([]);
        expect(batch.processedChunks).to.equal(2);
      });
    });

    describe('completeBatch', () => {
      it('applies a completion decision exactly once when two callers race', async () => {
        const init = newBatchFactory();
        await repository.createBatch(init);
        await repository.finishSplitting(init.batchId, { totalLines: 10, totalChunks: 1, format: 'json' });
        const { batch } = await repository.recordChunkProcessed(init.batchId, 0, stats(10, 1));
        const decision = decideCompletion(batch);

        const results = await Promise.all([repository.completeBatch(batch, decision!), repository.completeBatch(batch, decision!)]);
        const completed = await repository.getBatch(init.batchId);

        expect(results.filter(Boolean)).to.have.length(1);
        expect(completed?.status).to.equal(BatchStatus.COMPLETED_WITH_ERRORS);
        expect(completed?.completedAt).to.be.a('string');
      });

      it('does not apply a decision made on a stale snapshot', async () => {
        const init = newBatchFactory();
        await repository.createBatch(init);
        await repository.finishSplitting(init.batchId, { totalLines: 20, totalChunks: 2, format: 'json' });
        const { batch: stale } = await repository.recordChunkProcessed(init.batchId, 0, stats(10));
        await repository.recordChunkProcessed(init.batchId, 1, stats(10));

        const applied = await repository.completeBatch(stale, { status: BatchStatus.COMPLETED });

        expect(applied).to.equal(false);
        expect((await repository.getBatch(init.batchId))?.status).to.equal(BatchStatus.SPLIT);
      });

      it('moves a batch failed by dead-lettered chunks to COMPLETED once they are processed', async () => {
        const init = newBatchFactory();
        await repository.createBatch(init);
        await repository.finishSplitting(init.batchId, { totalLines: 10, totalChunks: 1, format: 'json' });
        const dead = await repository.recordChunkDeadLettered(init.batchId, 0, 'boom');
        await repository.completeBatch(dead!, decideCompletion(dead!)!);
        const failed = await repository.getBatch(init.batchId);

        const { batch } = await repository.recordChunkProcessed(init.batchId, 0, stats(10));
        await repository.completeBatch(batch, decideCompletion(batch)!);
        const completed = await repository.getBatch(init.batchId);

        expect(failed).to.deep.include({ status: BatchStatus.FAILED, failureCode: 'DEAD_LETTERED_CHUNKS' });
        expect(completed?.status).to.equal(BatchStatus.COMPLETED);
      });
    });

    describe('getBatch and listBatches', () => {
      it('returns undefined for an unknown batch and lists the newest first', async () => {
        const older = newBatchFactory({ createdAt: '2026-11-01T00:00:00.000Z' });
        const newer = newBatchFactory({ createdAt: '2026-11-02T00:00:00.000Z' });
        await repository.createBatch(older);
        await repository.createBatch(newer);

        const listed = await repository.listBatches({ limit: 10 });

        expect(await repository.getBatch('does-not-exist')).to.equal(undefined);
        expect(listed.map((batch) => batch.batchId)).to.deep.equal([newer.batchId, older.batchId]);
      });
    });

    describe('putEntries and listEntries', () => {
      it('stores each (batchId, lineNumber) once and reads entries back exactly, in line order, by page', async () => {
        const init = newBatchFactory();
        await repository.createBatch(init);
        const entries: LogEntry[] = [3, 1, 2, 1500, 10].map((lineNumber) =>
          entryFactory({
            batchId: init.batchId,
            lineNumber,
            attributes: { 'http.request.method': 'GET', nested: { list: [1, 'two', null, true] }, 'ünï.cödé': 'żółć 🚀' },
          }),
        );
        const unparsed = entryFactory({ batchId: init.batchId, lineNumber: 11, parseError: 'invalid JSON', format: 'json', truncated: true, originalLength: 300000 });

        await repository.putEntries([...entries, unparsed]);
        await repository.putEntries(entries);
        const pages: LogEntry[][] = [];
        let cursor: string | undefined;
        do {
          const page = await repository.listEntries(init.batchId, { limit: 4, cursor });
          pages.push([...page.items]);
          cursor = page.cursor;
        } while (cursor !== undefined);
        const all = pages.flat();

        expect(all.map((entry) => entry.lineNumber)).to.deep.equal([1, 2, 3, 10, 11, 1500]);
        expect(pages[0]).to.have.length(4);
        expect(all.find((entry) => entry.lineNumber === 2)).to.deep.equal(entries[2]);
        expect(all.find((entry) => entry.lineNumber === 11)).to.deep.equal(unparsed);
      });

      it('keeps entries of different batches apart', async () => {
        const a = newBatchFactory();
        const b = newBatchFactory();
        await repository.createBatch(a);
        await repository.createBatch(b);

        await repository.putEntries([entryFactory({ batchId: a.batchId, lineNumber: 1 }), entryFactory({ batchId: b.batchId, lineNumber: 1 })]);

        expect((await repository.listEntries(a.batchId)).items.map((entry) => entry.batchId)).to.deep.equal([a.batchId]);
      });
    });

    describe('raw', () => {
      const raw = '{"level":"error",\n "msg":"boom", "ünï":"żółć 🚀", "html":"<b>&amp;</b>"}';

      it('reads back raw as written and as rewritten (keepsRaw), or never returns it where the store keeps none', async () => {
        const init = newBatchFactory();
        await repository.createBatch(init);
        const withRaw = entryFactory({ batchId: init.batchId, lineNumber: 1, severityText: 'ERROR', severityNumber: 17, body: 'boom', raw });
        const rawDropped = entryFactory({ batchId: init.batchId, lineNumber: 2, body: 'first', raw: `${raw} (first write)` });
        const rawAdded = entryFactory({ batchId: init.batchId, lineNumber: 3, body: 'added' });
        const { raw: _dropped, ...rawDroppedRewrite } = rawDropped;
        const rawAddedRewrite = { ...rawAdded, raw: `${raw} (rewrite)` };

        await repository.putEntries([withRaw, rawDropped, rawAdded]);
        await repository.putEntries([rawDroppedRewrite, rawAddedRewrite]);
        const { items } = await repository.listEntries(init.batchId);
        const severe = await repository.listSevereEntries({ from: '2026-11-26T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' });

        if (repository.keepsRaw === false) {
          expect(items.filter((entry) => 'raw' in entry)).to.deep.equal([]);
          return;
        }
        expect(items).to.deep.equal([withRaw, rawDroppedRewrite, rawAddedRewrite]);
        expect(severe.items).to.deep.equal([withRaw]);
      });
    });

    describe('listSevereEntries', () => {
      it('returns entries at WARN and above within the time range, oldest first', async () => {
        const init = newBatchFactory();
        await repository.createBatch(init);
        await repository.putEntries([
          entryFactory({ batchId: init.batchId, lineNumber: 1, timestamp: '2026-11-26T10:00:00.000Z', severityText: 'ERROR', severityNumber: 17 }),
          entryFactory({ batchId: init.batchId, lineNumber: 2, timestamp: '2026-11-26T09:00:00.000Z', severityText: 'WARN', severityNumber: 13 }),
          entryFactory({ batchId: init.batchId, lineNumber: 3, timestamp: '2026-11-26T09:30:00.000Z', severityText: 'INFO', severityNumber: 9 }),
          entryFactory({ batchId: init.batchId, lineNumber: 4, timestamp: '2026-11-27T09:30:00.000Z', severityText: 'FATAL', severityNumber: 21 }),
        ]);

        const page = await repository.listSevereEntries({ from: '2026-11-26T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' });

        expect(page.items.map((entry) => entry.lineNumber)).to.deep.equal([2, 1]);
      });
    });
  });
}
