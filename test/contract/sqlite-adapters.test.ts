import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteLogRepository } from '../../src/adapters/sqlite/sqlite-log-repository.js';
import { SqliteStore } from '../../src/adapters/sqlite/sqlite-store.js';
import { describeLogRepositoryContract } from './log-repository.contract.js';

/** A fresh store file in its own directory, removed afterwards. */
export async function temporaryStore(): Promise<{ store: SqliteStore; file: string; cleanup: () => Promise<void> }> {
  const directory = await mkdtemp(path.join(tmpdir(), 'logbatch-sqlite-'));
  const file = path.join(directory, 'store.db');
  const store = SqliteStore.open(file);
  return {
    store,
    file,
    cleanup: async () => {
      store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

describeLogRepositoryContract('SqliteLogRepository', async () => {
  const { store, cleanup } = await temporaryStore();
  return { repository: new SqliteLogRepository(store), cleanup };
});
