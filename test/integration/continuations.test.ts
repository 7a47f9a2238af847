import { expect } from 'chai';
import { createMemoryPipeline, logFile } from '../helpers/memory-pipeline.js';

const lines = Array.from({ length: 6000 }, (_, index) =>
  index % 17 === 0 ? '' : JSON.stringify({ time: '2026-11-26T09:00:00.000Z', level: index % 9 === 0 ? 'warn' : 'info', msg: `event ${index + 1}` }),
);

describe('LocalRuntime with a splitter time limit', () => {
  for (const variant of [{ crlf: true }, { gzip: true, bom: true }]) {
    it(`hands a long split over to continuations and stores the same entries and counters (${JSON.stringify(variant)})`, async () => {
      const content = logFile(lines, variant);
      const uninterrupted = createMemoryPipeline({ settings: { maxChunkBytes: 8192 } });
      // The whole invocation is inside the margin: the splitter hands over at the first chunk boundary each time.
      const limited = createMemoryPipeline({ settings: { maxChunkBytes: 8192 }, splitterTimeoutMs: 60_000, handOverMarginMs: 60_000 });

      const expected = await uninterrupted.run({ 'app.log': content });
      const actual = await limited.run({ 'app.log': content });

      expect(actual.report.splitterInvocations).to.be.at.least(6);
      expect(actual.report.splitterErrors).to.deep.equal([]);
      expect(actual.batches[0]).to.deep.include({
        status: expected.batches[0].status,
        totalLines: 6000,
        totalChunks: expected.batches[0].totalChunks,
        stats: expected.batches[0].stats,
      });
      const strip = (entries: typeof actual.entries[0]) => entries.map(({ observedTimestamp: _observed, ...entry }) => entry);
      expect(strip(actual.entries[0])).to.deep.equal(strip(expected.entries[0]));
    });
  }
});
