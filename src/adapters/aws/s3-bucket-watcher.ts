import { setTimeout as delay } from 'node:timers/promises';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectCreated } from '../../local/aws-events.js';

/**
 * Plays S3 event notifications where none are delivered (the emulated bucket): lists the bucket every
 * `intervalMs` and yields each object version it has not seen, until `signal` aborts. With `skipExisting`, what the
 * first listing finds is only remembered, as S3 notifies nobody of objects written before the notification was
 * configured (`logbatch backfill` is for those).
 */
export async function* watchBucket(
  s3: S3Client,
  bucket: string,
  options: { intervalMs?: number; signal?: AbortSignal; skipExisting?: boolean } = {},
): AsyncGenerator<ObjectCreated> {
  const seen = new Set<string>();
  let remembering = options.skipExisting === true;
  const intervalMs = options.intervalMs ?? 1000;
  while (options.signal?.aborted !== true) {
    let continuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: continuationToken }));
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        const etag = (object.ETag ?? '').replace(/"/g, '');
        const identity = `${object.Key}\u0000${etag}`;
        if (seen.has(identity)) continue;
        seen.add(identity);
        if (remembering) continue;
        yield { bucket, key: object.Key, etag, size: object.Size ?? 0 };
      }
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
    remembering = false;
    await delay(intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
