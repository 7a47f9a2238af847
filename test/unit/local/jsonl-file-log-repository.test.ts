import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { JsonlFileLogRepository } from '../../../src/adapters/local/jsonl-file-log-repository.js';
import type { AttributeValue, LogEntry } from '../../../src/domain/log-entry.js';
import { entryFactory } from '../../helpers/factories.js';

/** An array nested `depth` levels deep, built without recursion: `JSON.stringify` overflows the stack on it. */
function nestedArray(depth: number): AttributeValue {
  let value: AttributeValue = [];
  for (let level = 1; level < depth; level++) value = [value];
  return value;
}

describe('JsonlFileLogRepository', () => {
  let directory: string;
  let filePath: string;
  let repository: JsonlFileLogRepository;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-jsonl-repo-'));
    filePath = path.join(directory, 'entries.jsonl');
    repository = new JsonlFileLogRepository(filePath);
  });

  afterEach(async () => {
    await repository.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function writtenLines(): Promise<LogEntry[]> {
    await repository.flush();
    return (await readFile(filePath, 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogEntry);
  }

  describe('putEntries', () => {
    it('stores an entry that JSON.stringify cannot serialise as unparsed, and every neighbour, when its attributes are 10,000 levels deep', async () => {
      const batchId = 'b-deep';
      const deep = entryFactory({ batchId, lineNumber: 2, body: 'deep', attributes: { a: nestedArray(10_000) } });
      const entries = [entryFactory({ batchId, lineNumber: 1 }), deep, entryFactory({ batchId, lineNumber: 3 })];

      const result = await repository.putEntries(entries);
      const lines = await writtenLines();

      expect(result).to.deep.equal({ storedUnparsed: 1 });
      expect(lines.map((entry) => entry.lineNumber)).to.deep.equal([1, 2, 3]);
      expect(lines[0]).to.deep.equal(entries[0]);
      expect(lines[2]).to.deep.equal(entries[2]);
      expect(lines[1]).to.deep.include({ batchId, lineNumber: 2, body: 'deep', attributes: {}, format: 'json', observedTimestamp: deep.observedTimestamp });
      expect(lines[1].parseError).to.match(/^entry not serialisable as JSON: .*call stack/);
    });

    it('writes every line exactly once when a call that failed part-way is retried', async () => {
      const batchId = 'b-retry';
      let bodyReads = 0;
      // The third entry's body throws the first time it is read: the first call fails after two entries were serialised.
      const flaky = entryFactory({ batchId, lineNumber: 3 });
      Object.defineProperty(flaky, 'body', {
        enumerable: true,
        get: () => {
          bodyReads++;
          if (bodyReads <= 2) throw new Error('transient');
          return 'recovered';
        },
      });
      const entries = [1, 2].map((lineNumber) => entryFactory({ batchId, lineNumber }));
      const chunk = [...entries, flaky, entryFactory({ batchId, lineNumber: 4 })];

      const failure = await repository.putEntries(chunk).then(
        () => undefined,
        (error: Error) => error,
      );
      await repository.putEntries(chunk);
      await repository.putEntries(chunk);
      const lines = await writtenLines();

      expect(failure?.message).to.equal('transient');
      expect(lines.map((entry) => entry.lineNumber)).to.deep.equal([1, 2, 3, 4]);
      expect(lines[2].body).to.equal('recovered');
    });

    it('writes an entry repeated within one call once', async () => {
      const entry = entryFactory({ batchId: 'b-twice', lineNumber: 7 });

      await repository.putEntries([entry, entry]);

      expect((await writtenLines()).map((line) => line.lineNumber)).to.deep.equal([7]);
    });
  });

  describe('close', () => {
    // /dev/full fails every write with ENOSPC, as a full disk does.
    const fullDevice = '/dev/full';

    it('rejects with the write error, naming the file, when a write still in flight at close fails', async function () {
      if (!existsSync(fullDevice)) this.skip();
      const full = new JsonlFileLogRepository(fullDevice);
      await full.putEntries([entryFactory({ batchId: 'b-full', lineNumber: 1 })]);

      const failure = await full.close().then(
        () => undefined,
        (error: Error) => error,
      );

      expect(failure?.message).to.equal(`${fullDevice}: ENOSPC: no space left on device, write`);
      expect((failure?.cause as NodeJS.ErrnoException | undefined)?.code).to.equal('ENOSPC');
    });

    it('rejects with the write error, not ERR_STREAM_DESTROYED, when the stream failed but has not reported it yet', async function () {
      if (!existsSync(fullDevice)) this.skip();
      const full = new JsonlFileLogRepository(fullDevice);
      await full.putEntries([entryFactory({ batchId: 'b-full', lineNumber: 1 })]);
      // The write fails; the stream is destroyed at once but emits 'error' only after its file descriptor is closed.
      const flushFailure = await full.flush().then(
        () => undefined,
        (error: Error) => error,
      );

      const closeFailure = await full.close().then(
        () => undefined,
        (error: Error) => error,
      );

      expect(closeFailure?.message).to.equal(`${fullDevice}: ENOSPC: no space left on device, write`);
      expect(flushFailure?.message).to.equal(`${fullDevice}: ENOSPC: no space left on device, write`);
    });

    it('rejects with the write error again when called a second time', async function () {
      if (!existsSync(fullDevice)) this.skip();
      const full = new JsonlFileLogRepository(fullDevice);
      await full.putEntries([entryFactory({ batchId: 'b-full', lineNumber: 1 })]);
      await full.close().catch(() => undefined);

      const failure = await full.close().then(
        () => undefined,
        (error: Error) => error,
      );

      expect(failure?.message).to.equal(`${fullDevice}: ENOSPC: no space left on device, write`);
    });

    it('resolves once every line is in the file', async () => {
      await repository.putEntries([1, 2, 3].map((lineNumber) => entryFactory({ batchId: 'b-close', lineNumber })));

      await repository.close();

      const lines = (await readFile(filePath, 'utf8')).split('\n').filter((line) => line !== '');
      expect(lines.map((line) => (JSON.parse(line) as LogEntry).lineNumber)).to.deep.equal([1, 2, 3]);
    });
  });
});
