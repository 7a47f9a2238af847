/**
 * The JSON the page's API answers with: one definition for the server (src/ui/ui-server.ts) and the browser client
 * (src/ui/client/), so both sides are type-checked against the same shapes. Type-only: nothing here runs.
 */
import type { Histogram } from '../application/batch-histogram.use-case.js';
import type { Batch } from '../domain/batch.js';
import type { LogEntry } from '../domain/log-entry.js';

export type { Batch, Histogram, LogEntry };

/** `GET /api/batches` */
export interface BatchesResponse {
  readonly batches: readonly Batch[];
  /** Files are still being run by this process: more batches may appear. */
  readonly live: boolean;
  /** What the page shows: `memory`, `store /path/x.db`, `DynamoDB table t`. */
  readonly backend: string;
}

/** `GET /api/batches/:id` */
export interface BatchResponse {
  readonly batch: Batch;
}

/** `GET /api/batches/:id/entries` */
export interface EntriesResponse {
  readonly items: readonly LogEntry[];
  /** Pass back as `cursor=` for the next page; absent on the last page. */
  readonly cursor?: string;
  /** Items the backend read to find these (client-side filtering on DynamoDB). */
  readonly itemsRead?: number;
}

/** `GET /api/batches/:id/entries/:lineNumber` */
export interface EntryResponse {
  readonly entry: LogEntry;
  /** First and last physical line of the entry in its file. */
  readonly lines: { readonly first: number; readonly last: number };
}

/** `GET /api/batches/:id/histogram` */
export type HistogramResponse = Histogram;

/** One dead-lettered chunk. */
export interface DeadLetterItem {
  readonly messageId: string;
  readonly batchId?: string;
  readonly chunk?: number;
  readonly reason: string;
  readonly receiveCount?: number;
  readonly batchStatus?: string;
}

/** `GET /api/dlq` */
export interface DeadLettersResponse {
  readonly deadLetters: readonly DeadLetterItem[];
}

/** `POST /api/dlq/redrive` */
export interface RedriveResponse {
  readonly moved: number;
  /** The redriven chunks' batches after processing (local runs and stores process at once). */
  readonly batches?: readonly Batch[];
  readonly stillDeadLettered?: number;
}

/** Every error: 400 for a bad request, 403, 404, 500. */
export interface ErrorResponse {
  readonly error: string;
  readonly code?: string;
}
