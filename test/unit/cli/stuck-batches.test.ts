import { expect } from 'chai';
import { DEFAULT_STUCK_AFTER_MINUTES, stuckForMs } from '../../../src/cli/operator.commands.js';

describe('logbatch batches', () => {
  describe('stuckForMs', () => {
    const now = new Date('2026-12-03T12:00:00.000Z');
    const hour = 3_600_000;

    it('flags a SPLITTING or SPLIT batch without progress for longer than the threshold, with how long', () => {
      for (const status of ['SPLITTING', 'SPLIT'] as const) {
        expect(stuckForMs({ status, updatedAt: '2026-12-03T09:00:00.000Z' }, now, hour), status).to.equal(3 * hour);
      }
    });

    it('does not flag a batch that progressed within the threshold', () => {
      expect(stuckForMs({ status: 'SPLIT', updatedAt: '2026-12-03T11:30:00.000Z' }, now, hour)).to.equal(undefined);
    });

    it('never flags a final batch, however old', () => {
      for (const status of ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'] as const) {
        expect(stuckForMs({ status, updatedAt: '2026-01-01T00:00:00.000Z' }, now, hour), status).to.equal(undefined);
      }
    });

    it('defaults to an hour', () => {
      expect(DEFAULT_STUCK_AFTER_MINUTES).to.equal(60);
    });
  });
});
