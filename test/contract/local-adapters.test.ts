import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonlFileLogRepository } from '../../src/adapters/local/jsonl-file-log-repository.js';
import { LOCAL_BUCKET, LocalFileObjectStore } from '../../src/adapters/local/local-file-object-store.js';
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
