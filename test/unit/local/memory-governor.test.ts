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
  const clock = () => {
    const state = { ms: 0 };
    return { state, now: () => state.ms };
  };

  it('collects when RSS is over the budget, and only then', () => {
    const process = fakeProcess(100 * MB);
    const time = clock();
    const governor = startMemoryGovernor({ budgetBytes: 160 * MB, rss: process.rss, collect: process.collect, now: time.now, intervalMs: 60_000 })!;
    try {
      process.state.garbage = 50 * MB;
      governor.check();
      expect(process.state.collections).to.equal(0);
      process.state.garbage = 70 * MB;
      governor.check();
      expect(process.state.collections).to.equal(1);
      expect(governor.collections).to.equal(1);
      time.state.ms += 300;
      governor.check();
      // The collection freed the garbage: the budget stays where it was.
      expect(governor.budgetBytes).to.equal(160 * MB);
      process.state.garbage = 70 * MB;
      governor.check();
      expect(process.state.collections).to.equal(2);
    } finally {
      governor.stop();
    }
  });

  it('judges a collection once RSS has had time to settle, not at once', () => {
    // RSS comes down only a while after the collection, as V8 unmaps freed pages in the background.
    const state = { resident: 200 * MB, collections: 0 };
    const time = clock();
    const governor = startMemoryGovernor({
      budgetBytes: 160 * MB,
      rss: () => state.resident,
      collect: () => state.collections++,
      now: time.now,
      settleMs: 250,
      intervalMs: 60_000,
    })!;
    try {
      governor.check();
      expect(state.collections).to.equal(1);
      time.state.ms += 50;
      governor.check();
      // Still over, but too early to tell: neither a second collection nor a new budget.
      expect(state.collections).to.equal(1);
      expect(governor.budgetBytes).to.equal(160 * MB);
      state.resident = 120 * MB;
      time.state.ms += 250;
      governor.check();
      expect(governor.budgetBytes).to.equal(160 * MB);
    } finally {
      governor.stop();
    }
  });

  it('moves the budget up when a collection cannot bring RSS down, instead of collecting on every check', () => {
    const process = fakeProcess(200 * MB);
    const time = clock();
    const governor = startMemoryGovernor({ budgetBytes: 160 * MB, slackBytes: 48 * MB, rss: process.rss, collect: process.collect, now: time.now, intervalMs: 60_000 })!;
    try {
      governor.check();
      expect(process.state.collections).to.equal(1);
      time.state.ms += 300;
      governor.check();
      expect(governor.budgetBytes).to.equal(248 * MB);
      for (let i = 0; i < 10; i++) {
        time.state.ms += 300;
        governor.check();
      }
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
    const governor = startMemoryGovernor({ budgetBytes: 160 * MB, rss: process.rss, collect: process.collect, intervalMs: 5, settleMs: 0 })!;
    // Waits for the timer however loaded the machine is (up to 5 s), rather than for a fixed time.
    for (let waited = 0; process.state.collections === 0 && waited < 5000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    governor.stop();
    expect(process.state.collections).to.equal(1);
    process.state.garbage = 100 * MB;
    await new Promise((resolve) => setTimeout(resolve, 50));
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
