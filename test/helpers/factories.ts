import { randomUUID } from 'node:crypto';
import type { NewBatch } from '../../src/domain/batch.js';
import { deriveBatchId } from '../../src/domain/batch.js';
import type { ChunkMessage } from '../../src/domain/chunk.js';
import type { LogEntry } from '../../src/domain/log-entry.js';

/** A new batch record for a unique object. */
export function newBatchFactory(overrides: Partial<NewBatch> = {}): NewBatch {
  const source = { bucket: 'ingest', key: `logs/${randomUUID()}.log`, etag: `"${randomUUID()}"`, size: 1024 };
  return { batchId: deriveBatchId(source), source, createdAt: new Date().toISOString(), ...overrides };
}

/** A parsed entry with realistic fields. */
export function entryFactory(overrides: Partial<LogEntry> & Pick<LogEntry, 'batchId' | 'lineNumber'>): LogEntry {
  return {
    timestamp: '2026-11-26T09:00:00.123Z',
    observedTimestamp: '2026-11-26T09:00:05.000Z',
    severityText: 'INFO',
    severityNumber: 9,
    body: `request ${overrides.lineNumber} served`,
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 },
    format: 'json',
    ...overrides,
  };
}

/** Chunk 0 of batch `b1`, starting at line 1, holding the given lines in the given format. */
export function chunkMessageFactory(format: string, lines: Array<string | null>): ChunkMessage {
  return { v: 2, batchId: 'b1', chunk: 0, firstLine: 1, source: { bucket: 'ingest', key: 'k', etag: 'e' }, format, lines };
}
