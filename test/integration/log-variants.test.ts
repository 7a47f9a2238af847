import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runCli } from '../helpers/cli.js';
import { deriveBatchId } from '../../src/domain/batch.js';
import { BUCKET, createMemoryPipeline, logFile } from '../helpers/memory-pipeline.js';

/** Container output: an application's JSON lines interleaved with its libraries' plain lines, and blank ones. */
function mixedContainerLog(count: number): { lines: string[]; blank: number; json: number } {
  const lines: string[] = [];
  let blank = 0;
  let json = 0;
  for (let index = 0; index < count; index++) {
    if (index % 50 === 49) {
      lines.push(['', '   ', '\t', ' \t '][index % 4]);
      blank++;
    } else if (index % 2 === 0) {
      lines.push(JSON.stringify({ time: '2026-11-20T08:00:00.012Z', level: index % 7 === 0 ? 'warn' : 'info', msg: `request ${index}`, requestId: `r-${index}`, durationMs: index % 300 }));
      json++;
    } else {
      lines.push(`2026-11-20T08:00:00.013Z INFO [worker-${index % 8}] flushed ${index} rows`);
    }
  }
  return { lines, blank, json };
}

describe('Real-world variants through the memory pipeline', () => {
  it('parses a mixed JSON/text file line by line: nothing unparsed, no continuation, blanks counted', async () => {
    const { lines, blank, json } = mixedContainerLog(20_000);
    const pipeline = createMemoryPipeline();

    const { batches, entries } = await pipeline.run({ 'container.log': logFile(lines) });

    expect(batches[0]).to.deep.include({ status: 'COMPLETED', format: 'json+text', totalLines: 20_000 });
    expect(batches[0].stats).to.deep.include({ unparsed: 0, continuation: 0, blank, entries: 20_000 - blank });
    const jsonEntries = entries[0].filter((entry) => entry.format === 'json');
    expect(jsonEntries).to.have.length(json);
    expect(jsonEntries.every((entry) => typeof entry.attributes.requestId === 'string' && typeof entry.attributes.durationMs === 'number')).to.equal(true);
    expect(entries[0].filter((entry) => entry.format === 'text').every((entry) => entry.severityText === 'INFO')).to.equal(true);
  });

  it('ends a stack trace at a whitespace-only line instead of joining it', async () => {
    const lines = ['2026-11-20 08:00:00 ERROR failed', '    at com.example.Main.run(Main.java:10)', '   ', '    at com.example.Other.run(Other.java:3)'];
    const pipeline = createMemoryPipeline();

    const { batches, entries } = await pipeline.run({ 'app.log': logFile(lines) });

    expect(batches[0].stats).to.deep.include({ entries: 2, blank: 1, continuation: 1 });
    expect(entries[0].map((entry) => entry.lineNumber)).to.deep.equal([1, 4]);
  });

  it("takes the year of year-less syslog and text timestamps from the object's time, not the time it is read", async () => {
    const pipeline = createMemoryPipeline();
    const writtenMidYear = { lastModified: '2025-06-01T00:00:00.000Z' };
    const uploads = [
      pipeline.objectStore.put(BUCKET, 'old-syslog.log', '<13>Mar 10 08:00:00 host app[1]: backfilled\n', writtenMidYear),
      pipeline.objectStore.put(BUCKET, 'old-text.log', 'Mar 10 08:00:00 backfilled text line\n', writtenMidYear),
      pipeline.objectStore.put(BUCKET, 'new-year.log', '<13>Dec 31 23:59:59 host app[1]: last of the year\n', { lastModified: '2026-01-01T00:05:00.000Z' }),
    ];

    await pipeline.runtime.run(uploads);

    const timestamps = await Promise.all(
      uploads.map(async (upload) => (await pipeline.repository.listEntries(deriveBatchId(upload))).items[0].timestamp),
    );
    expect(timestamps).to.deep.equal(['2025-03-10T08:00:00.000Z', '2025-03-10T08:00:00.000Z', '2025-12-31T23:59:59.000Z']);
  });

  it('counts a file of blank and whitespace-only lines as 4 lines, 4 blank, 0 entries (CLI)', async function () {
    this.timeout(60_000); // the command runs in its own process (see test/helpers/cli.ts)
    const directory = await mkdtemp(path.join(tmpdir(), 'logbatch-blank-'));
    const file = path.join(directory, 'blank.log');
    await writeFile(file, '\n\n   \n\t\n');

    const result = await runCli(['run', file, '--json', '--no-progress']);

    expect(result.code, result.stderr).to.equal(0);
    const summary = JSON.parse(result.stdout) as { totals: { lines: number; blank: number; entries: number } };
    expect(summary.totals).to.deep.include({ lines: 4, blank: 4, entries: 0 });
  });
});
