import type {
  BatchesResponse,
  BatchResponse,
  DeadLettersResponse,
  EntriesResponse,
  EntryResponse,
  ErrorResponse,
  HistogramResponse,
  RedriveResponse,
} from '../api-types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { headers: { Accept: 'application/json' }, signal, credentials: 'same-origin' });
  const body = (await response.json()) as T | ErrorResponse;
  if (!response.ok) throw new ApiError(response.status, (body as ErrorResponse).error ?? response.statusText);
  return body as T;
}

const id = encodeURIComponent;

export const api = {
  batches: (signal?: AbortSignal, limit?: number) => getJson<BatchesResponse>(limit === undefined ? '/api/batches' : `/api/batches?limit=${limit}`, signal),
  batch: (batchId: string, signal?: AbortSignal) => getJson<BatchResponse>(`/api/batches/${id(batchId)}`, signal),
  entries: (batchId: string, query: URLSearchParams, signal?: AbortSignal) =>
    getJson<EntriesResponse>(`/api/batches/${id(batchId)}/entries?${query.toString()}`, signal),
  entry: (batchId: string, lineNumber: number, signal?: AbortSignal) => getJson<EntryResponse>(`/api/batches/${id(batchId)}/entries/${lineNumber}`, signal),
  histogram: (batchId: string, buckets: number, signal?: AbortSignal) => getJson<HistogramResponse>(`/api/batches/${id(batchId)}/histogram?buckets=${buckets}`, signal),
  deadLetters: (signal?: AbortSignal) => getJson<DeadLettersResponse>('/api/dlq', signal),
  async redrive(): Promise<RedriveResponse> {
    const response = await fetch('/api/dlq/redrive', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: '{}', credentials: 'same-origin' });
    const body = (await response.json()) as RedriveResponse | ErrorResponse;
    if (!response.ok) throw new ApiError(response.status, (body as ErrorResponse).error ?? response.statusText);
    return body as RedriveResponse;
  },
};
