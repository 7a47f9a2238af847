import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, rename, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { RunSummary } from '../local/run-summary.js';
import { UsageError } from './usage-error.js';

/** How a run names standard input, on the command line and in its summary. */
export const STDIN_NAME = '-';

/**
 * The modification time every copy gets: a local file's version is its size and this time, so the same input copied
 * twice is the same version, and a store that already holds it says `already processed`.
 */
const SPOOL_MTIME = new Date('2000-01-01T00:00:00Z');

/** Standard input copied to a file, so the run can read it as it reads any file (by position, with a version). */
export interface StdinSpool {
  /** The file that holds what standard input gave. */
  readonly file: string;
  /** Removes the file and its folder (also done when the process exits). */
  remove(): void;
}

/**
 * Copies standard input to a file under the temporary directory, streaming (memory stays flat whatever its size), to
 * its end. A run reads files by position and knows their version by size and time, which a pipe has neither of, so
 * `cmd | logbatch run -` runs the copy. The copy is named by the SHA-256 of its bytes
 * (`logbatch-stdin-<32 hex>/stdin`, when that folder is this user's own and private) and given a fixed time, so the
 * same input piped again is the same object of the same version: exactly once into a store, as a file run twice is. Refused when standard input is a terminal (nothing
 * piped: the run would wait for typing). The copy is removed by {@link StdinSpool.remove}, or when the process exits
 * (Ctrl-C included). `onBytes` is told the bytes copied so far after each piece (a progress line for a long pipe).
 */
export async function spoolStdin(
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
  onBytes: (bytes: number) => void = () => undefined,
): Promise<StdinSpool> {
  if (input.isTTY === true) throw new UsageError(`${STDIN_NAME}: standard input is a terminal; pipe a log into it (cmd | logbatch run -), or name a file`);
  const work = await mkdtemp(path.join(tmpdir(), 'logbatch-stdin-'));
  let folder = work;
  const remove = () => {
    rmSync(work, { recursive: true, force: true });
    rmSync(folder, { recursive: true, force: true });
  };
  process.once('exit', remove);
  try {
    const hash = createHash('sha256');
    const copy = path.join(work, 'stdin');
    let bytes = 0;
    await pipeline(
      input,
      async function* (source: AsyncIterable<Buffer | string>) {
        for await (const chunk of source) {
          hash.update(chunk);
          bytes += chunk.length;
          onBytes(bytes);
          yield chunk;
        }
      },
      createWriteStream(copy, { mode: 0o600 }),
    );
    const named = path.join(tmpdir(), `logbatch-stdin-${hash.digest('hex').slice(0, 32)}`);
    await mkdir(named, { recursive: true, mode: 0o700 });
    let file = copy;
    // The named folder is used only if it is this user's own, private folder: in a shared temporary directory another
    // user could have made it first (or a link by that name) and swap the copy. Otherwise the copy stays where it was
    // written, and only the dedupe of a repeated input is lost.
    if (await isPrivateFolder(named)) {
      folder = named;
      file = path.join(folder, 'stdin');
      await rename(copy, file);
      await rm(work, { recursive: true, force: true });
    }
    await utimes(file, SPOOL_MTIME, SPOOL_MTIME);
    return {
      file,
      remove: () => {
        process.removeListener('exit', remove);
        remove();
      },
    };
  } catch (error) {
    process.removeListener('exit', remove);
    remove();
    throw new UsageError(`${STDIN_NAME}: reading standard input failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** True for a real folder (not a link) that this process's user owns and nobody else may read or write. */
async function isPrivateFolder(folder: string): Promise<boolean> {
  const info = await lstat(folder).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) return false;
  return (process.getuid === undefined || info.uid === process.getuid()) && (info.mode & 0o077) === 0;
}

/**
 * A one-line count of what standard input gave so far, on a terminal, at most four times a second (`reading standard
 * input: 12.3 MB`), erased by `done` so the run's own progress takes its place.
 */
export function stdinProgressLine(stream: NodeJS.WriteStream): { onBytes: (bytes: number) => void; done: () => void } {
  let last = 0;
  let shown = false;
  return {
    onBytes: (bytes) => {
      const now = Date.now();
      if (now - last < 250) return;
      last = now;
      shown = true;
      stream.write(`\r\x1b[Kreading standard input: ${(bytes / 1e6).toFixed(1)} MB`);
    },
    done: () => {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

/** The summary with standard input's copy named as it was given (`-`): in each batch's source and reason. */
export function withStdinNamed<T extends RunSummary>(summary: T, rename: (text: string) => string): T {
  const named = <B extends { source: string; reason?: string }>(batch: B): B => ({
    ...batch,
    source: rename(batch.source),
    ...(batch.reason === undefined ? {} : { reason: rename(batch.reason) }),
  });
  // A run into a store also lists the inputs it found already processed.
  const { alreadyProcessed } = summary as { alreadyProcessed?: ReadonlyArray<{ source: string }> };
  return { ...summary, batches: summary.batches.map(named), ...(alreadyProcessed === undefined ? {} : { alreadyProcessed: alreadyProcessed.map(named) }) };
}
