import { expect } from 'chai';
import { renderBackfillSummary } from '../../../src/cli/backfill.command.js';

describe('logbatch backfill', () => {
  describe('renderBackfillSummary', () => {
    it('says what was skipped as done without --reprocess', () => {
      const text = renderBackfillSummary({ bucket: 'logs', prefix: 'app/' }, { listed: 5, queued: 2, reprocessed: 0, skippedDone: 3, skippedOutsideRange: 0, dryRun: false });

      expect(text).to.equal(['backfill s3://logs/app/', '  objects listed        5', '  queued for splitting  2', '  skipped as done       3', ''].join('\n'));
    });

    it('with --reprocess, counts the reprocessed objects and names their old and new batches, the first 20 of them', () => {
      const reprocessedBatches = Array.from({ length: 22 }, (_, index) => ({ key: `app/${index}.log`, previousBatchId: `old${index}`, batchId: `new${index}` }));

      const text = renderBackfillSummary(
        { bucket: 'logs', reprocess: true },
        { listed: 24, queued: 1, reprocessed: 22, skippedDone: 1, skippedOutsideRange: 0, dryRun: false, reprocessId: 'r-1', reprocessedBatches },
      );

      const lines = text.trimEnd().split('\n');
      expect(lines.slice(0, 6)).to.deep.equal([
        'backfill s3://logs/',
        '  objects listed             24',
        '  queued for splitting       1',
        '  reprocessed (new batch)    22',
        '  skipped, still processing  1',
        'reprocess r-1: new batches (the old ones stay; logbatch status <batch> follows one)',
      ]);
      expect(lines[6]).to.equal('  app/0.log  old0 -> new0');
      expect(lines).to.have.length(6 + 20 + 1);
      expect(lines.at(-1)).to.equal('  ... and 2 more (--json lists them all)');
    });
  });
});
