import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * What a folder holds, to compare before and after a command: each entry's size and SHA-256 (and, with `withOwner`,
 * its owner's uid), or `directory`.
 */
export async function snapshotOf(directory: string, options: { withOwner?: boolean } = {}): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  for (const name of (await readdir(directory)).sort()) {
    const file = path.join(directory, name);
    const info = await stat(file);
    const owner = options.withOwner === true ? ` ${info.uid}` : '';
    state[name] = info.isFile() ? `${info.size}${owner} ${createHash('sha256').update(await readFile(file)).digest('hex')}` : 'directory';
  }
  return state;
}

/** A SQLite file's journal mode (`delete`, `wal`), read without changing it. */
export function journalMode(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('journal_mode', { simple: true }) as string;
  } finally {
    db.close();
  }
}
