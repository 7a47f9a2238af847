import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ListObjectsOptions, ObjectInfo, ObjectStore, OpenStreamOptions } from '../../application/ports/object-store.port.js';
import { ObjectChangedError, ObjectNotFoundError } from '../../domain/errors.js';

/** Objects held in memory; streamed in slices, like a network read, so consumers never see one big buffer. */
export class InMemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, { content: Buffer; etag: string; lastModified: string }>();

  constructor(private readonly sliceBytes = 64 * 1024) {}

  /**
   * Stores an object; its ETag is the MD5 of the content, as S3 gives for single-part uploads (and for what
   * `CopyObject` writes). With `partBytes`, the object is stored as a multipart upload of parts that size would be:
   * its ETag is S3's multipart ETag, the MD5 of the parts' MD5s followed by `-<part count>`.
   */
  put(bucket: string, key: string, content: Buffer | string, options?: { partBytes?: number; lastModified?: string }): ObjectInfo {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const etag = options?.partBytes === undefined ? `"${md5(bytes).toString('hex')}"` : multipartEtag(bytes, options.partBytes);
    const lastModified = options?.lastModified ?? new Date().toISOString();
    this.objects.set(this.id(bucket, key), { content: bytes, etag, lastModified });
    return { bucket, key, size: bytes.length, etag, lastModified };
  }

  delete(bucket: string, key: string): void {
    this.objects.delete(this.id(bucket, key));
  }

  async head(bucket: string, key: string): Promise<ObjectInfo> {
    const object = this.get(bucket, key);
    return { bucket, key, size: object.content.length, etag: object.etag, lastModified: object.lastModified };
  }

  async *list(bucket: string, options?: ListObjectsOptions): AsyncIterable<ObjectInfo> {
    const prefix = `${bucket}\u0000${options?.prefix ?? ''}`;
    // S3 lists in UTF-8 byte order, which is not JavaScript's UTF-16 order for characters beyond the BMP.
    const ids = [...this.objects.keys()].filter((id) => id.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const id of ids) {
      const object = this.objects.get(id);
      if (object === undefined) continue; // deleted while listing
      const key = id.slice(bucket.length + 1);
      yield { bucket, key, size: object.content.length, etag: object.etag, lastModified: object.lastModified };
    }
  }

  async openStream(bucket: string, key: string, options?: OpenStreamOptions): Promise<Readable> {
    // The stream reads the buffer it opened; a later put replaces the entry, not these bytes (like one S3 GET).
    const { content, etag } = this.get(bucket, key);
    if (options?.ifMatch !== undefined && unquote(options.ifMatch) !== unquote(etag)) {
      throw new ObjectChangedError({ bucket, key, expectedEtag: unquote(options.ifMatch), actualEtag: unquote(etag) });
    }
    const start = Math.min(options?.startByte ?? 0, content.length);
    const sliceBytes = this.sliceBytes;
    return Readable.from(
      (function* () {
        for (let offset = start; offset < content.length; offset += sliceBytes) {
          yield content.subarray(offset, Math.min(offset + sliceBytes, content.length));
        }
      })(),
    );
  }

  private get(bucket: string, key: string): { content: Buffer; etag: string; lastModified: string } {
    const object = this.objects.get(this.id(bucket, key));
    if (object === undefined) throw new ObjectNotFoundError(`no object s3://${bucket}/${key}`);
    return object;
  }

  private id(bucket: string, key: string): string {
    return `${bucket}\u0000${key}`;
  }
}

function unquote(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1');
}

function md5(bytes: Buffer): Buffer {
  return createHash('md5').update(bytes).digest();
}

function multipartEtag(bytes: Buffer, partBytes: number): string {
  const digests: Buffer[] = [];
  for (let offset = 0; offset < Math.max(bytes.length, 1); offset += partBytes) digests.push(md5(bytes.subarray(offset, offset + partBytes)));
  return `"${md5(Buffer.concat(digests)).toString('hex')}-${digests.length}"`;
}
