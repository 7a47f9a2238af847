import { expect } from 'chai';
import { renderStoreNotes, type StoreRunResult } from '../../../src/cli/run-store.js';

describe('renderStoreNotes', () => {
  it('shows control characters of a file name escaped, so an already-processed note cannot drive the terminal', () => {
    const result = {
      summary: {
        store: '/tmp/s.db',
        alreadyProcessed: [{ source: '/srv/evil\u001b[2J\u001b]0;TITLE\u0007.log', batchId: 'b1', status: 'COMPLETED' }],
      },
      next: 'logbatch query --store /tmp/s.db',
    } as unknown as StoreRunResult;

    const printed = renderStoreNotes(result, '/srv');

    expect(printed).to.equal(
      'evil\\x1b[2J\\x1b]0;TITLE\\x07.log: already processed (batch b1, COMPLETED); --reprocess runs it again\n' +
        'stored in /tmp/s.db; to see it: logbatch query --store /tmp/s.db\n',
    );
  });
});
