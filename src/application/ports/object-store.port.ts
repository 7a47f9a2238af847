import type { Readable } from 'node:stream';

export interface ObjectInfo {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** ETag, or the version id where the store has versions: identifies the content for the batch id. */
  readonly etag: string;
  /** When the object was last written (ISO 8601), where the store knows: the year of year-less timestamps. */
  readonly lastModified?: string;
}

export interface OpenStreamOptions {
  /** Start of a ranged read: the first byte to deliver. @default 0 */
  readonly startByte?: number;
  /**
   * Pins the read to one version of the object: the ETag it must have (an {@link ObjectInfo.etag}, quoted or not;
   * the batch's `source.etag`). When the object has another one, `openStream` throws `ObjectChangedError` rather
   * than deliver bytes of another version. S3 pins every GET of the read (a resume after a reset fails the stream
   * with that error); memory streams the version it opened; a local file is read
   * as the version it opened, never past its size then, and checked after every read (a change fails the read).
   */
  readonly ifMatch?: string;
}

export interface ListObjectsOptions {
  /** Only keys that start with this. @default every key */
  readonly prefix?: string;
}

/** Read access to the objects logs are uploaded as (S3, a local directory, memory). */
export interface ObjectStore {
  /**
   * Every object of a bucket whose key starts with `prefix`, in key order (UTF-8 binary order, as S3 lists), each
   * with the same size, ETag and last-modified time `head` gives. Pages through the store lazily: a bucket of any size
   * is listed in constant memory. A local store lists the regular files under a directory (`prefix` is its path).
   */
  list(bucket: string, options?: ListObjectsOptions): AsyncIterable<ObjectInfo>;
  /** Size and identity of an object. Throws `ObjectNotFoundError` when it does not exist. */
  head(bucket: string, key: string): Promise<ObjectInfo>;
  /**
   * Streams an object's raw bytes, from `startByte` (a ranged read) to the end. Never buffers it whole.
   * Throws `ObjectNotFoundError` when it does not exist, `ObjectChangedError` when `ifMatch` is not its ETag.
   */
  openStream(bucket: string, key: string, options?: OpenStreamOptions): Promise<Readable>;
}
