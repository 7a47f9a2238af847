import { createReadStream } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ListObjectsOptions, ObjectInfo, ObjectStore, OpenStreamOptions } from '../../application/ports/object-store.port.js';
import { ObjectChangedError, ObjectNotFoundError } from '../../domain/errors.js';

/** The "bucket" name under which local files are addressed; keys are absolute paths. */
export const LOCAL_BUCKET = 'local';

/**
 * Reads the user's files in place: the key is the file's absolute path. The ETag is derived from size and
 * modification time, so re-running an unchanged file finds the same batch id and an edited one a new one.
 */
export class LocalFileObjectStore implements ObjectStore {
  async head(bucket: string, key: string): Promise<ObjectInfo> {
    const file = this.resolve(key);
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new ObjectNotFoundError(`${file} is not a regular file`);
      return { bucket, key, size: info.size, etag: `${info.size}-${Math.trunc(info.mtimeMs)}`, lastModified: info.mtime.toISOString() };
    } catch (error) {
      if (error instanceof ObjectNotFoundError) throw error;
      throw new ObjectNotFoundError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
  }

  /**
   * The regular files under the directory named by `prefix` (the working directory without one), recursively, in
   * key order; keys are absolute paths. Symbolic links are not followed, so a link loop cannot make it endless.
   * The paths are gathered first (a directory tree's names fit in memory), each file's details as it is yielded.
   */
  async *list(bucket: string, options?: ListObjectsOptions): AsyncIterable<ObjectInfo> {
    const files: string[] = [];
    const walk = async (directory: string): Promise<void> => {
      for await (const entry of await opendir(directory)) {
        const file = path.join(directory, entry.name);
        if (entry.isDirectory()) await walk(file);
        else if (entry.isFile()) files.push(file);
      }
    };
    try {
      await walk(this.resolve(options?.prefix ?? '.'));
    } catch (error) {
      // Like a prefix S3 has no object under: nothing to list.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const file of files) yield await this.head(bucket, file);
  }

  async openStream(bucket: string, key: string, options?: OpenStreamOptions): Promise<Readable> {
    const file = this.resolve(key);
    const { etag } = await this.head(LOCAL_BUCKET, key);
    const expectedEtag = options?.ifMatch?.replace(/^"(.*)"$/, '$1');
    if (expectedEtag !== undefined && expectedEtag !== etag) {
      throw new ObjectChangedError({ bucket, key, expectedEtag, actualEtag: etag, name: file });
    }
    return createReadStream(file, { start: options?.startByte ?? 0, highWaterMark: 256 * 1024 });
  }

  private resolve(key: string): string {
    return path.resolve(key);
  }
}
