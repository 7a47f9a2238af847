import type { Readable } from 'node:stream';

export interface ObjectInfo {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** ETag, or the version id where the store has versions: identifies the content for the batch id. */
  readonly etag: string;
}

/** Read access to the objects logs are uploaded as (S3, a local directory, memory). */
export interface ObjectStore {
  /** Size and identity of an object. Throws `ObjectNotFoundError` when it does not exist. */
  head(bucket: string, key: string): Promise<ObjectInfo>;
  /**
   * Streams an object's raw bytes, from `startByte` (a ranged read) to the end. Never buffers it whole.
   * Throws `ObjectNotFoundError` when it does not exist.
   */
  openStream(bucket: string, key: string, options?: { startByte?: number }): Promise<Readable>;
}
