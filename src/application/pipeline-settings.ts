import { DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MAX_CHUNK_LINES } from '../domain/chunk.js';
import { DEFAULT_MAX_EVENT_BYTES } from '../domain/chunk-packer.js';
import type { FormatOption } from '../domain/parsing/formats.js';
import type { FormatRule } from '../domain/parsing/key-rules.js';
import { type EventFilterSettings, NO_EVENT_FILTER } from '../domain/filtering/event-filter.js';
import { DEFAULT_REDACTION, type RedactionSettings } from '../domain/redaction/redactor.js';
import type { DeadLetterWorkerSettings } from './ports/dead-letter-store.port.js';

/** Tunables of the split and the processing, shared by every runtime (Lambda, local, tests). */
export interface PipelineSettings {
  /** Byte budget of one chunk message (≤ 1 MiB). @default 262144 */
  readonly maxChunkBytes: number;
  /** Physical lines per chunk at most. @default 5000 */
  readonly maxChunkLines: number;
  /** An event longer than this is stored truncated. @default 131072 */
  readonly maxEventBytes: number;
  /** `auto` detects per file. @default 'auto' */
  readonly format: FormatOption;
  /** Under `auto`, formats decided by the object key before its content is sniffed (first match wins). @default [] */
  readonly formatRules: readonly FormatRule[];
  /** Receives before a chunk is dead-lettered; equals the queue's redrive `maxReceiveCount`. @default 5 */
  readonly maxReceiveCount: number;
  /** Entries expire after this many days (DynamoDB TTL); 0 keeps them. @default 0 */
  readonly entryTtlDays: number;
  /** Which events the worker keeps (include/exclude on the raw event text, minimum parsed severity). @default keep all */
  readonly filters: EventFilterSettings;
  /** Which secrets the worker replaces before storing (docs/security.md). @default the default detectors, masked */
  readonly redaction: RedactionSettings;
}

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  maxChunkBytes: DEFAULT_MAX_CHUNK_BYTES,
  maxChunkLines: DEFAULT_MAX_CHUNK_LINES,
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
  format: 'auto',
  formatRules: [],
  maxReceiveCount: 5,
  entryTtlDays: 0,
  filters: NO_EVENT_FILTER,
  redaction: DEFAULT_REDACTION,
};

/** The part of the settings a dead letter keeps for a local redrive (never the HMAC key). */
export function deadLetterWorkerSettings(settings: Partial<PipelineSettings>): DeadLetterWorkerSettings {
  const { redact, replacement } = settings.redaction ?? DEFAULT_REDACTION;
  return { filters: settings.filters ?? NO_EVENT_FILTER, redaction: { redact, replacement } };
}
