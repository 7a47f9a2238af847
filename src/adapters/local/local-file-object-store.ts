import { isUtf8 } from 'node:buffer';
import { type BigIntStats, constants, fstatSync } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ListObjectsOptions, ObjectInfo, ObjectStore, OpenStreamOptions } from '../../application/ports/object-store.port.js';
import { ObjectChangedError, ObjectNotFoundError } from '../../domain/errors.js';

/** The "bucket" name under which local files are addressed; keys are absolute paths. */
export const LOCAL_BUCKET = 'local';

/** Bytes asked of the file per read; each read is followed by a check that the file is still the pinned version. */
const READ_BYTES = 256 * 1024;

/** Opening a FIFO for reading would wait for a writer: non-blocking, it opens at once and is refused as not a file. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Something under a listed directory that `list` leaves out because no key can name it. */
export interface UnlistedEntry {
  /** Its path, with the bytes of its name that are not UTF-8 written as `\xNN` (see {@link printableFileName}). */
  readonly path: string;
  /** A folder is left out with everything under it. */
  readonly kind: 'file' | 'folder';
  readonly reason: string;
}

export interface LocalFileObjectStoreOptions {
  /**
   * Told of each file or folder under a listed directory whose name is not UTF-8. Keys are strings, and Node.js
   * encodes a string path as UTF-8, so no key can name such a file: `list` leaves it out and says so here.
   * @default such entries are left out silently
   */
  readonly onUnlisted?: (entry: UnlistedEntry) => void;
}

/**
 * Reads the user's files in place: the key is the file's absolute path. The ETag is derived from size and
 * modification time, so re-running an unchanged file finds the same batch id and an edited one a new one.
 *
 * A read is pinned to the version of the file it opened, as S3 pins a GET to an object version: it delivers at most
 * the size that version had, and after every read it checks the open file's size and modification time. A file
 * rewritten, truncated or appended to while it is read fails the stream with {@link ObjectChangedError} before any
 * byte read after the change is delivered (a change within the file system's timestamp granularity that keeps the
 * size cannot be seen). A file replaced by another one (renamed over it, as editors and log rotation do) is not a
 * change of the open file: the read delivers the version it opened, whole.
 */
export class LocalFileObjectStore implements ObjectStore {
  constructor(private readonly options: LocalFileObjectStoreOptions = {}) {}

  async head(bucket: string, key: string): Promise<ObjectInfo> {
    const file = this.resolve(key);
    let info: BigIntStats;
    try {
      info = await stat(file, { bigint: true });
    } catch (error) {
      throw new ObjectNotFoundError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
    if (!info.isFile()) throw new ObjectNotFoundError(`${file} is not a regular file`);
    return objectInfo(bucket, key, info);
  }

  /**
   * The regular files under the directory named by `prefix` (the working directory without one), recursively, in
   * key order; keys are absolute paths. Symbolic links are not followed, so a link loop cannot make it endless.
   * The paths are gathered first (a directory tree's names fit in memory), each file's details as it is yielded.
   * A file or folder whose name is not UTF-8 cannot be a key: it is left out and reported to `onUnlisted`. A file or
   * folder that disappears while the tree is listed is left out; a folder that cannot be read fails the listing
   * with its error (`code`, `path`).
   */
  async *list(bucket: string, options?: ListObjectsOptions): AsyncIterable<ObjectInfo> {
    const files: string[] = [];
    const walk = async (directory: string): Promise<void> => {
      // Names as bytes: a name that is not UTF-8 would otherwise be decoded lossily into a path that names nothing.
      for (const entry of await readdir(directory, { encoding: 'buffer', withFileTypes: true })) {
        const kind = entry.isDirectory() ? 'folder' : entry.isFile() ? 'file' : undefined;
        if (kind === undefined) continue;
        if (!isUtf8(entry.name)) {
          this.options.onUnlisted?.({
            path: path.join(directory, printableFileName(entry.name)),
            kind,
            reason: 'its name is not UTF-8',
          });
          continue;
        }
        const file = path.join(directory, entry.name.toString('utf8'));
        if (kind === 'file') {
          files.push(file);
          continue;
        }
        try {
          await walk(file);
        } catch (error) {
          // Removed while the tree is listed: there is nothing under it to list.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || (error as NodeJS.ErrnoException).path !== file) throw error;
        }
      }
    };
    try {
      await walk(this.resolve(options?.prefix ?? '.'));
    } catch (error) {
      // Like a prefix S3 has no object under: nothing to list.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && (error as NodeJS.ErrnoException).path === this.resolve(options?.prefix ?? '.')) return;
      throw error;
    }
    files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const file of files) {
      try {
        yield await this.head(bucket, file);
      } catch (error) {
        // Deleted since it was listed, as S3 lists only what is there.
        if (error instanceof ObjectNotFoundError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') continue;
        throw error;
      }
    }
  }

  async openStream(bucket: string, key: string, options?: OpenStreamOptions): Promise<Readable> {
    const file = this.resolve(key);
    let handle: FileHandle;
    try {
      handle = await open(file, OPEN_FLAGS);
    } catch (error) {
      throw new ObjectNotFoundError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
    try {
      // The version is the open file's, not the path's: a file renamed over the path from now on is another file.
      const opened = await handle.stat({ bigint: true });
      if (!opened.isFile()) throw new ObjectNotFoundError(`${file} is not a regular file`);
      const etag = etagOf(opened);
      const expectedEtag = options?.ifMatch?.replace(/^"(.*)"$/, '$1');
      if (expectedEtag !== undefined && expectedEtag !== etag) {
        throw new ObjectChangedError({ bucket, key, expectedEtag, actualEtag: etag, name: file });
      }
      const pinned = { bucket, key, file, etag, size: opened.size, mtimeNs: opened.mtimeNs };
      return Readable.from(pinnedBytes(handle, pinned, options?.startByte ?? 0), { objectMode: false });
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  private resolve(key: string): string {
    return path.resolve(key);
  }
}

/** The version of a file a read delivers: the one it opened. */
interface PinnedVersion {
  readonly bucket: string;
  readonly key: string;
  readonly file: string;
  readonly etag: string;
  readonly size: bigint;
  readonly mtimeNs: bigint;
}

/**
 * The bytes of the pinned version from `startByte` to the size it had when opened, never past it. Each read is
 * checked after it returns: a file whose size or modification time differs from the pinned version's now may have
 * changed before the read, so the read's bytes are not delivered and the stream fails with ObjectChangedError.
 * Closes the file at the end, on failure, and when the reader stops early (the stream is destroyed).
 */
async function* pinnedBytes(handle: FileHandle, pinned: PinnedVersion, startByte: number): AsyncGenerator<Buffer> {
  try {
    const end = Number(pinned.size);
    let position = startByte;
    while (position < end) {
      const wanted = Math.min(READ_BYTES, end - position);
      const buffer = Buffer.allocUnsafe(wanted);
      const { bytesRead } = await handle.read(buffer, 0, wanted, position);
      // fstat(2) on the open file, synchronously: about a microsecond. Through libuv's thread pool it cost as much as
      // the read itself (measured reading 1 GB: +80% time that way, within the noise this way).
      const now = fstatSync(handle.fd, { bigint: true });
      if (bytesRead === 0 || now.size !== pinned.size || now.mtimeNs !== pinned.mtimeNs) {
        throw new FileChangedWhileReadError(pinned, now, position);
      }
      position += bytesRead;
      yield bytesRead === wanted ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** {@link ObjectChangedError} (`OBJECT_CHANGED`) for a file that changed while it was read, saying how and where. */
export class FileChangedWhileReadError extends ObjectChangedError {
  constructor(pinned: PinnedVersion, now: BigIntStats, atByte: number) {
    super({ bucket: pinned.bucket, key: pinned.key, expectedEtag: pinned.etag, actualEtag: etagOf(now), name: pinned.file });
    this.message =
      `${pinned.file} changed while it was read: ${describeChange(pinned, now)} (seen reading byte ${atByte}); the read is pinned to ` +
      `the version it began with (ETag ${pinned.etag}), and nothing read after the change was used`;
  }
}

function describeChange(pinned: PinnedVersion, now: BigIntStats): string {
  if (now.size < pinned.size) return `truncated from ${pinned.size} to ${now.size} bytes`;
  if (now.size > pinned.size) return `grown from ${pinned.size} to ${now.size} bytes`;
  return `rewritten at ${now.mtime.toISOString()}`;
}

function objectInfo(bucket: string, key: string, info: BigIntStats): ObjectInfo {
  return { bucket, key, size: Number(info.size), etag: etagOf(info), lastModified: info.mtime.toISOString() };
}

/** Size and modification time (whole milliseconds): what identifies a local file's version. */
function etagOf(info: BigIntStats): string {
  return `${info.size}-${info.mtimeMs}`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A file name's bytes as text for a message: UTF-8 characters as they are, every byte that is not part of one (and
 * control characters, and `\` itself) escaped as `\xNN` (`\\`), so the name prints on one line and reads unambiguously.
 */
export function printableFileName(name: Uint8Array): string {
  let printable = '';
  let index = 0;
  while (index < name.length) {
    const lead = name[index];
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    const character = length === 0 || index + length > name.length ? undefined : decodeStrictly(name.subarray(index, index + length));
    if (character === undefined || lead < 0x20 || lead === 0x7f) {
      printable += `\\x${lead.toString(16).padStart(2, '0')}`;
      index += 1;
    } else {
      printable += character === '\\' ? '\\\\' : character;
      index += length;
    }
  }
  return printable;
}

function decodeStrictly(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * When `file` names nothing because the name the user typed was not UTF-8 (Node.js decodes such an argument with
 * U+FFFD for each bad byte, and the decoded name is another name): the file's real name, printable, if its folder
 * holds exactly that. Undefined otherwise.
 */
export async function findNonUtf8Name(file: string): Promise<string | undefined> {
  const base = path.basename(file);
  if (!base.includes('\uFFFD')) return undefined;
  const directory = path.dirname(path.resolve(file));
  const names = await readdir(directory, { encoding: 'buffer' }).catch(() => [] as Buffer[]);
  const match = names.find((name) => !isUtf8(name) && name.toString('utf8') === base);
  return match === undefined ? undefined : path.join(path.dirname(file), printableFileName(match));
}
