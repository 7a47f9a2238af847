import { expect } from 'chai';
import { runExitCode } from '../../../src/cli/run.command.js';
import type { BatchSummary } from '../../../src/local/run-summary.js';

const batch = (status: string) => ({ status }) as BatchSummary;

describe('runExitCode', () => {
  it('is 0 only when every batch completed, with or without unparsed lines', () => {
    expect(runExitCode({ batches: [batch('COMPLETED'), batch('COMPLETED_WITH_ERRORS')] }, 0, false)).to.equal(0);
    expect(runExitCode({ batches: [] }, 0, false)).to.equal(0);
  });

  it('is 1 for a batch that failed or is not final (replaced by a concurrent --reprocess, or left part-way)', () => {
    for (const status of ['FAILED', 'SPLIT', 'SPLITTING']) {
      expect(runExitCode({ batches: [batch('COMPLETED'), batch(status)] }, 0, false), status).to.equal(1);
    }
  });

  it('is 1 when a path was skipped or the run was interrupted', () => {
    expect(runExitCode({ batches: [batch('COMPLETED')] }, 1, false)).to.equal(1);
    expect(runExitCode({ batches: [batch('COMPLETED')] }, 0, true)).to.equal(1);
  });
});
