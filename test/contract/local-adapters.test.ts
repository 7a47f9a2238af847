import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, open, rename, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { JsonlFileLogRepository } from '../../src/adapters/local/jsonl-file-log-repository.js';
import { LOCAL_BUCKET, LocalFileObjectStore } from '../../src/adapters/local/local-file-object-store.js';
import { InMemoryChunkQueue } from '../../src/adapters/memory/in-memory-chunk-queue.js';
import { InMemoryLogRepository } from '../../src/adapters/memory/in-memory-log-repository.js';
import { InMemorySplitContinuations } from '../../src/adapters/memory/in-memory-split-continuations.js';
import type { ObjectStore } from '../../src/application/ports/object-store.port.js';
import type { SplitLogObject } from '../../src/application/split-log-object.use-case.js';
import { adaptersModule } from '../../src/di/adapters.module.js';
import { createContainer } from '../../src/di/container.js';
import { TOKENS } from '../../src/di/tokens.js';
import { decodeChunk } from '../../src/domain/chunk.js';
import { ObjectChangedError } from '../../src/domain/errors.js';
import { describeLogRepositoryContract } from './log-repository.contract.js';
import { describeObjectStoreContract } from './object-store.contract.js';

describeObjectStoreContract('LocalFileObjectStore', async () => {
  const directory = await mkdtemp(path.join(tmpdir(), 'logbatch-store-'));
  return {
    store: new LocalFileObjectStore(),
    bucket: LOCAL_BUCKET,
    put: async (name, content) => {
      const file = path.join(directory, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      return file;
    },
    missingKey: () => path.join(directory, 'missing.log'),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
});

describeLogRepositoryContract('JsonlFileLogRepository', async () => {
  const directory = await mkdtemp(path.join(tmpdir(), 'logbatch-jsonl-'));
  const repository = new JsonlFileLogRepository(path.join(directory, 'entries.jsonl'));
  return {
    repository,
    cleanup: async () => {
      await repository.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
});

describe('LocalFileObjectStore', () => {
  let directory: string;
  const store = new LocalFileObjectStore();
  /** 2 MiB of numbered lines: eight reads, so a change after the first is seen before the end. */
  const version = (label: string) => Buffer.from(Array.from({ length: 2 * 1024 * 1024 / 32 }, (_, index) => `${label} line ${String(index).padStart(12, '0')}\n`.padStart(32, ' ')).join(''));

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-local-store-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  /** A file last modified long ago, so that any write now moves its modification time, however coarse the clock. */
  async function oldFile(name: string, content: Buffer): Promise<string> {
    const file = path.join(directory, name);
    await writeFile(file, content);
    await utimes(file, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    return file;
  }

  /** Reads the stream pinned to the file's ETag, calling `change` once the first buffer is delivered. */
  async function readChangingAfterFirstBuffer(file: string, change: () => Promise<void>): Promise<{ delivered: Buffer; error: unknown }> {
    const { etag } = await store.head(LOCAL_BUCKET, file);
    const stream = await store.openStream(LOCAL_BUCKET, file, { ifMatch: etag });
    const parts: Buffer[] = [];
    try {
      for await (const part of stream) {
        parts.push(part as Buffer);
        if (parts.length === 1) await change();
      }
      return { delivered: Buffer.concat(parts), error: undefined };
    } catch (error) {
      return { delivered: Buffer.concat(parts), error };
    }
  }

  describe('openStream', () => {
    it('fails with ObjectChangedError, delivering none of the new bytes, when the file is rewritten in place while it is read', async () => {
      const before = version('old');
      const file = await oldFile('rewritten.log', before);

      const { delivered, error } = await readChangingAfterFirstBuffer(file, async () => {
        const handle = await open(file, 'r+');
        await handle.write(version('new'), 0, before.length, 0);
        await handle.close();
      });

      expect(error).to.be.instanceOf(ObjectChangedError);
      expect((error as ObjectChangedError).message).to.include(file).and.include('changed while it was read').and.include('rewritten');
      expect(delivered.length).to.be.below(before.length);
      expect(delivered.equals(before.subarray(0, delivered.length)), 'only bytes of the version opened').to.equal(true);
    });

    it('fails with ObjectChangedError when the file is truncated while it is read, having delivered a prefix of the version opened', async () => {
      const before = version('old');
      const file = await oldFile('truncated.log', before);

      const { delivered, error } = await readChangingAfterFirstBuffer(file, () => truncate(file, 1_000_003));

      expect(error).to.be.instanceOf(ObjectChangedError);
      expect((error as ObjectChangedError).message).to.include(`truncated from ${before.length} to 1000003 bytes`);
      expect(delivered.equals(before.subarray(0, delivered.length))).to.equal(true);
    });

    it('fails with ObjectChangedError when the file grows while it is read, and delivers nothing past the size it was opened at', async () => {
      const before = version('old');
      const file = await oldFile('growing.log', before);

      const { delivered, error } = await readChangingAfterFirstBuffer(file, () => appendFile(file, version('appended')));

      expect(error).to.be.instanceOf(ObjectChangedError);
      expect((error as ObjectChangedError).message).to.include(`grown from ${before.length} to ${2 * before.length} bytes`);
      expect(delivered.equals(before.subarray(0, delivered.length))).to.equal(true);
    });

    it('fails a ranged read of a file that changes while it is read too', async () => {
      const before = version('old');
      const file = await oldFile('ranged.log', before);
      const { etag } = await store.head(LOCAL_BUCKET, file);
      const stream = await store.openStream(LOCAL_BUCKET, file, { startByte: 1000, ifMatch: etag });
      const iterator = stream[Symbol.asyncIterator]();
      await iterator.next();

      await truncate(file, 500_000);
      const error = await (async () => {
        for (;;) if ((await iterator.next()).done === true) return undefined;
      })().catch((caught: unknown) => caught);

      expect(error).to.be.instanceOf(ObjectChangedError);
    });

    it('delivers the version it opened, whole, when another file is renamed over it while it is read', async () => {
      const before = version('old');
      const file = await oldFile('rotated.log', before);
      const replacement = path.join(directory, 'replacement.log');
      await writeFile(replacement, version('new'));

      const { delivered, error } = await readChangingAfterFirstBuffer(file, () => rename(replacement, file));

      expect(error).to.equal(undefined);
      expect(delivered.equals(before)).to.equal(true);
    });
  });

  describe('SplitLogObject reading a local file', () => {
    for (const gzip of [false, true]) {
      it(`fails the batch OBJECT_CHANGED, with a reason saying so, when a ${gzip ? 'gzip' : 'plain'} file is truncated while it is split, and sends only whole lines of the version opened`, async () => {
        // Random text, so that the gzip file too spans several reads.
        const lines = Array.from({ length: 100_000 }, (_, index) => `old line ${index + 1} ${randomBytes(16).toString('hex')}`);
        const content = Buffer.from(`${lines.join('\n')}\n`);
        const file = await oldFile('split.log', gzip ? gzipSync(content) : content);
        const objectStore = changingAfterFirstBuffer(store, () => truncate(file, 1_000_003));
        const queue = new InMemoryChunkQueue();
        const container = createContainer({
          adapters: adaptersModule({ objectStore, chunkQueue: queue, logRepository: new InMemoryLogRepository(), continuations: new InMemorySplitContinuations() }),
          settings: { maxChunkLines: 1000 },
        });

        const outcome = await container.get<SplitLogObject>(TOKENS.SplitLogObject).execute({ bucket: LOCAL_BUCKET, key: file });

        expect(outcome.kind).to.equal('failed');
        const batch = outcome.kind === 'failed' ? outcome.batch : undefined;
        expect(batch).to.deep.include({ status: 'FAILED', failureCode: 'OBJECT_CHANGED' });
        expect(batch?.reason).to.include('changed while it was read');
        const sent: string[] = [];
        for (let received = await queue.receive(10); received.length > 0; received = await queue.receive(10)) {
          for (const message of received) sent.push(...decodeChunk(message.body).lines.filter((line): line is string => line !== null));
        }
        expect(sent.length).to.be.greaterThan(0).and.below(lines.length);
        expect(sent).to.deep.equal(lines.slice(0, sent.length));
      });
    }
  });
});

/** The store, with `change` made once the first buffer of the first stream it opens has been delivered. */
function changingAfterFirstBuffer(inner: ObjectStore, change: () => Promise<void>): ObjectStore {
  let changed = false;
  return {
    head: (bucket, key) => inner.head(bucket, key),
    list: (bucket, options) => inner.list(bucket, options),
    async openStream(bucket, key, options) {
      const stream = await inner.openStream(bucket, key, options);
      return Readable.from(
        (async function* () {
          for await (const part of stream) {
            yield part as Buffer;
            if (!changed) {
              changed = true;
              await change();
            }
          }
        })(),
        { objectMode: false },
      );
    },
  };
}
