import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { JsonlFileWriteError } from '../adapters/local/jsonl-file-log-repository.js';
import { RequestCounter } from '../adapters/instrumentation/request-counter.js';
import { estimateCostUsd } from '../adapters/aws/pricing.js';
import { estimateLambdaCompute } from '../adapters/aws/lambda-cost.js';
import { deriveBatchId } from '../domain/batch.js';
import { exportedEntry } from '../domain/log-entry.js';
import { adaptersModule } from '../di/adapters.module.js';
import { createAwsAdapters } from '../di/aws.module.js';
import { createContainer } from '../di/container.js';
import type { ChunkQueue } from '../application/ports/chunk-queue.port.js';
import { startEmulatorStack } from './emulator-stack.js';
import { createLocalHandlers } from './local-handlers.js';
import { LocalRuntime } from './local-runtime.js';
import type { ObjectCreated } from './aws-events.js';
import type { LocalRunOptions } from './run-pipeline.js';
import { type BatchSummary, type RunSummary, summarizeBatch, totalsOf } from './run-summary.js';

/**
 * What an emulator run is doing, for a progress display. The emulated queue holds every chunk the splitter sends (it
 * has no capacity to hold the splitter back, as the memory backend's has), so bytes read say little about how far
 * the run is: while processing, progress is chunks processed of chunks split, a total that is final once `splitDone`.
 */
export type EmulatorProgress =
  | { readonly phase: 'starting' }
  | { readonly phase: 'uploading'; readonly bytesUploaded: number; readonly totalBytes: number }
  | { readonly phase: 'processing'; readonly chunksQueued: number; readonly chunksProcessed: number; readonly splitDone: boolean }
  | { readonly phase: 'reading-back'; readonly entriesRead: number; readonly totalEntries: number }
  | { readonly phase: 'stopping' };

/**
 * The emulated bucket's key for the `index`-th file of a run: `uploads/<n>` and the file's absolute path, so two files
 * of one name stay apart, and `--format-rule` globs and AWS's delivery layouts (`…/AWSLogs/<account>/…`) see the path
 * as on the memory backend. Until 2026-12-04 the key held the file name alone, and a relative `--format-rule` glob
 * never matched on the emulator.
 */
export function emulatorObjectKey(index: number, file: string): string {
  return `uploads/${index + 1}${path.resolve(file)}`;
}

export interface EmulatorRunOptions extends Omit<LocalRunOptions, 'onProgress'> {
  readonly onProgress?: (progress: EmulatorProgress) => void;
}

/**
 * Runs files through the real handlers against emulated AWS: starts fauxqs (S3, SQS) and DynamoDB Local, uploads
 * the files to the emulated bucket, plays S3 events and the SQS event source against them (visibility timeout,
 * receive counts and redrive are the emulator's), reads the results back from DynamoDB, and stops everything.
 * `requests` counts the real SDK calls per operation, with billed units and an estimated cost.
 */
export async function runEmulatorPipeline(options: EmulatorRunOptions): Promise<RunSummary> {
  const report = options.onProgress ?? (() => undefined);
  report({ phase: 'starting' });
  const stack = await startEmulatorStack({ fastStartup: options.fastStartup ?? true });
  try {
    const started = performance.now();
    const files = options.files.map((file) => path.resolve(file));
    const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
    const totalBytes = sizes.reduce((a, b) => a + b, 0);
    // Upload first, with the clients not yet instrumented: the upload is the user's, not the pipeline's cost.
    const uploads = [];
    let bytesUploaded = 0;
    report({ phase: 'uploading', bytesUploaded, totalBytes });
    for (const [index, file] of files.entries()) {
      const key = emulatorObjectKey(index, file);
      const etag = await uploadFile(stack.clients.s3, stack.names.bucket, key, file, sizes[index], (bytes) => {
        bytesUploaded += bytes;
        report({ phase: 'uploading', bytesUploaded, totalBytes });
      });
      uploads.push({ bucket: stack.names.bucket, key, size: sizes[index], etag, file });
    }

    const counter = new RequestCounter();
    const adapters = createAwsAdapters(stack.config, { clients: stack.clients, counter });
    let chunksQueued = 0;
    let chunksProcessed = 0;
    let splitDone = false;
    const reportProcessing = () => report({ phase: 'processing', chunksQueued, chunksProcessed, splitDone });
    // The chunk queue as the splitter sees it counts the chunks sent: the total that processing works towards.
    const chunkQueue = countingChunksSent(adapters.chunkQueue, (count) => {
      chunksQueued += count;
      reportProcessing();
    });
    const container = createContainer({
      adapters: adaptersModule({ ...adapters, chunkQueue }),
      settings: { ...stack.config.pipeline, ...options.settings },
    });
    const { splitter, worker } = createLocalHandlers(container);
    const runtime = new LocalRuntime({
      splitter,
      worker,
      queue: adapters.queueConsumer,
      continuations: adapters.continuations,
      workerConcurrency: options.workerConcurrency ?? 4,
      splitterTimeoutMs: options.splitterTimeoutMs,
      pollWaitMs: 100,
      onWorkerInvocation: ({ messages, failed }) => {
        chunksProcessed += messages - failed;
        reportProcessing();
      },
    });
    reportProcessing();
    const runReport = await runtime.run(
      whenConsumed(uploads, () => {
        splitDone = true;
        reportProcessing();
      }),
    );

    const batches: BatchSummary[] = [];
    for (const upload of uploads) {
      const batch = await adapters.logRepository.getBatch(deriveBatchId(upload));
      if (batch !== undefined) batches.push(summarizeBatch(batch, upload.file));
    }
    if (options.outPath !== undefined) {
      const totalEntries = batches.reduce((sum, batch) => sum + batch.entries, 0);
      report({ phase: 'reading-back', entriesRead: 0, totalEntries });
      await writeEntries(options.outPath, batches, adapters.logRepository, (entriesRead) => report({ phase: 'reading-back', entriesRead, totalEntries }));
    }
    const depth = await adapters.queueConsumer.depth();
    const elapsedMs = Math.round(performance.now() - started);
    const totals = totalsOf(batches, depth.deadLettered);
    const counted = counter.snapshot();
    const lambda = estimateLambdaCompute({
      splitterInvocations: runReport.splitterInvocations,
      workerInvocations: runReport.workerInvocations,
      linesByFormat: linesByFormat(batches),
      requests: counted,
    });
    const requests = { ...counted, lambdaInvocations: lambda.invocations, lambdaGbSeconds: Number(lambda.gbSeconds.toFixed(3)) };
    return {
      backend: 'emulator',
      totals,
      batches,
      elapsedMs,
      linesPerSecond: elapsedMs === 0 ? totals.lines : Math.round((totals.lines * 1000) / elapsedMs),
      bytesRead: totalBytes,
      requests: { ...requests, estimatedCostUsd: Number(estimateCostUsd(requests).toFixed(6)) },
      costAssumptions: lambda.assumptions,
    };
  } finally {
    report({ phase: 'stopping' });
    await stack.stop();
  }
}

/** The chunk queue, calling `onSent` with the number of chunks of each batch it accepted. */
function countingChunksSent(queue: ChunkQueue, onSent: (count: number) => void): ChunkQueue {
  return {
    sendBatch: async (chunks) => {
      await queue.sendBatch(chunks);
      onSent(chunks.length);
    },
    deadLetter: (body, reason, receiveCount) => queue.deadLetter(body, reason, receiveCount),
  };
}

/**
 * The uploads, one at a time; `onDone` is called when the runtime asks for the next after the last: every file has
 * been split by then (its continuations included), so the count of chunks sent is final.
 */
async function* whenConsumed(uploads: readonly ObjectCreated[], onDone: () => void): AsyncGenerator<ObjectCreated> {
  yield* uploads;
  onDone();
}

/** Lines per format over the run's batches (the Lambda estimate prices CPU per line by format). */
function linesByFormat(batches: readonly BatchSummary[]): Record<string, number> {
  const lines: Record<string, number> = {};
  for (const batch of batches) lines[batch.format ?? 'unknown'] = (lines[batch.format ?? 'unknown'] ?? 0) + batch.totalLines;
  return lines;
}

/**
 * Reads every entry of the batches back from the store, in line order, into a JSON Lines file. A write that fails
 * (a full disk, a file size limit, a pipe whose reader went away) rejects with a {@link JsonlFileWriteError} naming
 * the file, as `--out` on the memory backend does, instead of an unhandled stream 'error'. `onProgress` gets the
 * number of entries read so far after each page.
 */
export async function writeEntries(
  outPath: string,
  batches: readonly BatchSummary[],
  repository: Pick<ReturnType<typeof createAwsAdapters>['logRepository'], 'listEntries'>,
  onProgress?: (entriesRead: number) => void,
): Promise<void> {
  let readFailed = false;
  let entriesRead = 0;
  async function* pages(): AsyncGenerator<string> {
    try {
      for (const batch of batches) {
        let cursor: string | undefined;
        do {
          const page = await repository.listEntries(batch.batchId, { limit: 1000, cursor });
          const text = page.items.map((entry) => JSON.stringify(exportedEntry(entry))).join('\n');
          entriesRead += page.items.length;
          onProgress?.(entriesRead);
          if (text !== '') yield `${text}\n`;
          cursor = page.cursor;
        } while (cursor !== undefined);
      }
    } catch (error) {
      readFailed = true;
      throw error;
    }
  }
  try {
    await pipeline(pages, createWriteStream(outPath));
  } catch (error) {
    throw readFailed ? error : new JsonlFileWriteError(outPath, error as Error);
  }
}

/** Parts of a multipart upload; fauxqs takes at most ~11 MiB per request, as S3 takes at most 5 GiB per PUT. */
const UPLOAD_PART_BYTES = 8 * 1024 * 1024;

/** Uploads a file, in parts when it is larger than one part; returns the ETag without quotes. `onUploaded` gets each part's bytes. */
async function uploadFile(s3: S3Client, bucket: string, key: string, file: string, size: number, onUploaded: (bytes: number) => void): Promise<string> {
  if (size <= UPLOAD_PART_BYTES) {
    const response = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: size }));
    onUploaded(size);
    return (response.ETag ?? '').replace(/"/g, '');
  }
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const parts: { ETag?: string; PartNumber: number }[] = [];
  for (let start = 0, partNumber = 1; start < size; start += UPLOAD_PART_BYTES, partNumber++) {
    const end = Math.min(size, start + UPLOAD_PART_BYTES);
    const response = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: partNumber,
        Body: createReadStream(file, { start, end: end - 1 }),
        ContentLength: end - start,
      }),
    );
    parts.push({ ETag: response.ETag, PartNumber: partNumber });
    onUploaded(end - start);
  }
  const response = await s3.send(
    new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }),
  );
  return (response.ETag ?? '').replace(/"/g, '');
}
