import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { inject, injectable } from 'inversify';
import type { ListObjectsOptions, ObjectInfo, ObjectStore, OpenStreamOptions } from '../../application/ports/object-store.port.js';
import { ObjectChangedError, ObjectNotFoundError, TransientFailureError } from '../../domain/errors.js';
import { AWS_TOKENS } from '../../di/aws.tokens.js';
import { backoffDelayMs, isTransientAwsError, type RetryPolicy, retryPolicy, withTransientRetries } from './retry.js';

/** Errors S3 answers for an object (or its bucket) that is not there. */
const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);

/**
 * {@link ObjectStore} on Amazon S3. `openStream` streams `GetObject` (a ranged GET from `startByte`), never
 * buffering the object; when the connection breaks mid-body it re-GETs the rest (`Range: bytes=<next>-`,
 * `If-Match` on the ETag so the content cannot change underneath) with bounded backoff, invisibly to the reader.
 * With `ifMatch` the first GET carries `If-Match` too; S3's 412 becomes {@link ObjectChangedError}.
 */
@injectable()
export class S3ObjectStore implements ObjectStore {
  private readonly retry: RetryPolicy;

  constructor(
    @inject(AWS_TOKENS.S3Client) private readonly s3: S3Client,
    @inject(AWS_TOKENS.RetryPolicy) retry: Partial<RetryPolicy> = {},
  ) {
    this.retry = retryPolicy(retry);
  }

  async head(bucket: string, key: string): Promise<ObjectInfo> {
    try {
      const response = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        bucket,
        key,
        size: response.ContentLength ?? 0,
        etag: unquoteEtag(response.ETag ?? ''),
        ...(response.LastModified === undefined ? {} : { lastModified: response.LastModified.toISOString() }),
      };
    } catch (error) {
      throw translateNotFound(error, bucket, key);
    }
  }

  /** ListObjectsV2, a page (up to 1,000 keys) at a time, each page retried on throttling and 5xx. */
  async *list(bucket: string, options?: ListObjectsOptions): AsyncIterable<ObjectInfo> {
    let continuationToken: string | undefined;
    do {
      const token = continuationToken;
      const page = await withTransientRetries(
        () => this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: options?.prefix, ContinuationToken: token })),
        this.retry,
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          bucket,
          key: object.Key,
          size: object.Size ?? 0,
          etag: unquoteEtag(object.ETag ?? ''),
          ...(object.LastModified === undefined ? {} : { lastModified: object.LastModified.toISOString() }),
        };
      }
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async openStream(bucket: string, key: string, options?: OpenStreamOptions): Promise<Readable> {
    const startByte = options?.startByte ?? 0;
    const ifMatch = options?.ifMatch === undefined ? undefined : quoteEtag(options.ifMatch);
    // The first GET happens here, so a missing or changed object is reported by openStream itself, not by the stream.
    const first = await this.get(bucket, key, startByte, ifMatch);
    if (first === undefined) return Readable.from([]);
    return Readable.from(this.resumingBody(bucket, key, startByte, first, ifMatch), { objectMode: false });
  }

  /** Yields the body; after a transient break, continues from the next undelivered byte with a new ranged GET. */
  private async *resumingBody(
    bucket: string,
    key: string,
    startByte: number,
    first: OpenedBody,
    ifMatch: string | undefined,
  ): AsyncGenerator<Buffer> {
    // Resumes must read the version the first GET delivered.
    const etag = ifMatch ?? first.etag;
    let body: OpenedBody | undefined = first;
    let nextByte = startByte;
    let failuresInARow = 0;
    const recover = async (error: unknown): Promise<void> => {
      if (!isTransientAwsError(error)) throw error;
      failuresInARow += 1;
      if (failuresInARow >= this.retry.maxAttempts) {
        throw new TransientFailureError(
          `reading s3://${bucket}/${key} failed ${failuresInARow} time(s) in a row at byte ${nextByte}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      await this.retry.sleep(backoffDelayMs(failuresInARow - 1, this.retry));
    };
    try {
      for (;;) {
        if (body === undefined) {
          try {
            body = await this.get(bucket, key, nextByte, etag);
            if (body === undefined) return;
          } catch (error) {
            await recover(error);
            continue;
          }
        }
        try {
          for await (const piece of body.stream) {
            const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
            nextByte += bytes.length;
            failuresInARow = 0;
            yield bytes;
          }
          if (body.endByte === undefined || nextByte >= body.endByte) return;
          throw new PrematureEndError(`body ended at byte ${nextByte} of ${body.endByte}`);
        } catch (error) {
          body.stream.destroy();
          body = undefined;
          await recover(error);
        }
      }
    } finally {
      // Also reached when the reader stops early (the stream is destroyed): release the connection.
      if (body !== undefined && !body.stream.destroyed) body.stream.destroy();
    }
  }

  /** One GET from `fromByte`; undefined when there is nothing from there on (416 on a range past the end). */
  private async get(bucket: string, key: string, fromByte: number, ifMatch?: string): Promise<OpenedBody | undefined> {
    try {
      const response = await this.s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          Range: fromByte > 0 ? `bytes=${fromByte}-` : undefined,
          IfMatch: ifMatch,
        }),
      );
      if (!(response.Body instanceof Readable)) {
        throw new TypeError(`GetObject s3://${bucket}/${key} returned a body that is not a Node.js stream`);
      }
      const endByte = response.ContentLength === undefined ? undefined : fromByte + response.ContentLength;
      return { stream: response.Body, etag: response.ETag, endByte };
    } catch (error) {
      if (fromByte > 0 && isRangeNotSatisfiable(error)) return undefined;
      if (ifMatch !== undefined && isPreconditionFailed(error)) {
        throw new ObjectChangedError(
          { bucket, key, expectedEtag: unquoteEtag(ifMatch), actualEtag: await this.currentEtag(bucket, key) },
          { cause: error },
        );
      }
      throw translateNotFound(error, bucket, key);
    }
  }

  /** The object's ETag now, for the message of an {@link ObjectChangedError}; undefined when it cannot be read. */
  private async currentEtag(bucket: string, key: string): Promise<string | undefined> {
    try {
      return (await this.head(bucket, key)).etag || undefined;
    } catch {
      return undefined;
    }
  }
}

interface OpenedBody {
  readonly stream: Readable;
  readonly etag?: string;
  /** Offset just past the last byte this response promised (from `Content-Length`). */
  readonly endByte?: number;
}

/** A body that ended cleanly but short of its `Content-Length`: treated like a connection reset. */
class PrematureEndError extends Error {
  override readonly name = 'PrematureEndError';
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';
}

/**
 * S3 returns ETags quoted (`"abc"`) from HEAD/GET but unquoted in event notifications; logbatch keys batches by the
 * unquoted form so both paths derive the same batch id.
 */
export function unquoteEtag(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1');
}

/** `If-Match` takes an entity tag, which HTTP quotes; batches keep ETags unquoted (see {@link unquoteEtag}). */
function quoteEtag(etag: string): string {
  return `"${unquoteEtag(etag)}"`;
}

function isPreconditionFailed(error: unknown): boolean {
  const name = (error as { name?: unknown }).name;
  return name === 'PreconditionFailed' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412;
}

function translateNotFound(error: unknown, bucket: string, key: string): unknown {
  const name = (error as { name?: unknown }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if ((typeof name === 'string' && NOT_FOUND_NAMES.has(name)) || status === 404) {
    return new ObjectNotFoundError(`no object s3://${bucket}/${key}`, { cause: error });
  }
  return error;
}

function isRangeNotSatisfiable(error: unknown): boolean {
  const name = (error as { name?: unknown }).name;
  return name === 'InvalidRange' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416;
}
