import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { JsonlFileWriteError } from '../../../src/adapters/local/jsonl-file-log-repository.js';
import type { LogEntry } from '../../../src/domain/log-entry.js';
import type { BatchSummary } from '../../../src/local/run-summary.js';
import { writeEntries } from '../../../src/local/run-emulator-pipeline.js';
import { entryFactory } from '../../helpers/factories.js';

/** A store holding `count` entries of one batch, read in pages of `pageSize` as DynamoDB's `listEntries` pages them. */
function pagedStore(batchId: string, count: number, pageSize: number, failAtPage?: number) {
  const entries: LogEntry[] = Array.from({ length: count }, (_, index) => entryFactory({ batchId, lineNumber: index + 1, body: `line ${index + 1}` }));
  return {
    async listEntries(id: string, options: { limit?: number; cursor?: string }) {
      const start = options.cursor === undefined ? 0 : Number(options.cursor);
      if (failAtPage !== undefined && start / pageSize === failAtPage) throw new Error('DynamoDB went away');
      const items = id === batchId ? entries.slice(start, start + pageSize) : [];
      const next = start + pageSize;
      return { items, cursor: id === batchId && next < entries.length ? String(next) : undefined };
    },
  };
}

const batch = (batchId: string) => ({ batchId }) as BatchSummary;

describe('writeEntries (--out on the emulator backend)', () => {
  let directory: string;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-emulator-out-'));
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes every entry of every page once, in line order', async () => {
    const outPath = path.join(directory, 'entries.jsonl');

    await writeEntries(outPath, [batch('b1'), batch('other')], pagedStore('b1', 2_500, 1_000));

    const lines = (await readFile(outPath, 'utf8')).split('\n');
    expect(lines.pop()).to.equal('');
    expect(lines.map((line) => (JSON.parse(line) as LogEntry).lineNumber)).to.deep.equal(Array.from({ length: 2_500 }, (_, index) => index + 1));
  });

  it('rejects with a JsonlFileWriteError naming the file and the cause when the disk is full', async function () {
    // /dev/full fails every write with ENOSPC, as a full disk does.
    if (!existsSync('/dev/full')) this.skip();

    const failure = await writeEntries('/dev/full', [batch('b1')], pagedStore('b1', 3_000, 1_000)).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).to.be.instanceOf(JsonlFileWriteError);
    expect((failure as JsonlFileWriteError).message).to.equal('/dev/full: ENOSPC: no space left on device, write');
    expect(((failure as JsonlFileWriteError).cause as NodeJS.ErrnoException).code).to.equal('ENOSPC');
  });

  it('passes a failure to read the store on as it is, not as a write failure', async () => {
    const outPath = path.join(directory, 'partial.jsonl');

    const failure = await writeEntries(outPath, [batch('b1')], pagedStore('b1', 3_000, 1_000, 1)).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).to.be.instanceOf(Error).and.not.to.be.instanceOf(JsonlFileWriteError);
    expect((failure as Error).message).to.equal('DynamoDB went away');
  });
});
