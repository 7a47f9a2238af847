import { expect } from 'chai';
import { startMemoryGovernor } from '../../../src/local/memory-governor.js';

const MB = 1024 * 1024;

/** A process whose RSS is `live` plus garbage that a collection frees. */
function fakeProcess(live: number, garbage = 0) {
  const state = { live, garbage, collections: 0 };
  return {
    state,
    rss: () => state.live + state.garbage,
    collect: () => {
      state.collections++;
      state.garbage = 0;
    },
  };
}

describe('memory governor', () => {
  it('collects when RSS is over the budget, and only then', () => {
    const process = fakeProcess(100 * MB);
    const governor = startMemoryGovernor({ budgetBytes: 160 * MB, rss: process.rss, collect: process.collect, intervalMs: 60_000 })!;
    try {
      process.state.garbage = 50 * MB;
      governor.check();
      expect(process.state.collections).to.equal(0);
      process.state.garbage = 70 * MB;
      governor.check();
      expect(process.state.collections).to.equal(1);
      expect(governor.collections).to.equal(1);
      // The collection freed the garbage: the budget stays where it was.
      expect(governor.budgetBytes).to.equal(160 * MB);
      governor.check();
      expect(process.state.collections).to.equal(1);
    } finally {
      governor.stop();
    }
  });

  it('moves the budget up when a collection cannot bring RSS down, instead of collecting on every check', () => {
    const process = fakeProcess(200 * MB);
    const governor = startMemoryGovernor({ budgetBytes: 160 * MB, slackBytes: 48 * MB, rss: process.rss, collect: process.collect, intervalMs: 60_000 })!;
    try {
      governor.check();
      expect(process.state.collections).to.equal(1);
      expect(governor.budgetBytes).to.equal(248 * MB);
      for (let i = 0; i < 10; i++) governor.check();
      expect(process.state.collections).to.equal(1);
      process.state.garbage = 60 * MB;
      governor.check();
      expect(process.state.collections).to.equal(2);
    } finally {
      governor.stop();
    }
  });

  it('checks on its own timer until stopped', async () => {
    const process = fakeProcess(100 * MB, 100 * MB);
    const governor = startMemoryGovernor({ budgetBytes: 160 * MB, rss: process.rss, collect: process.collect, intervalMs: 5 })!;
    await new Promise((resolve) => setTimeout(resolve, 40));
    governor.stop();
    expect(process.state.collections).to.equal(1);
    process.state.garbage = 100 * MB;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(process.state.collections).to.equal(1);
  });

  it('gets V8’s own full collection when none is given', () => {
    const governor = startMemoryGovernor({ budgetBytes: 1, intervalMs: 60_000 });
    expect(governor).to.not.equal(undefined);
    try {
      governor!.check();
      expect(governor!.collections).to.equal(1);
    } finally {
      governor!.stop();
    }
  });
});
