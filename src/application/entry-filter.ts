import type { AttributeEquals, EntryFilter } from './ports/entry-query.port.js';
import type { LogEntry } from '../domain/log-entry.js';

/** The one definition of a filter match, for adapters that filter client-side (and as the reference in tests). */
export function matchesEntryFilter(entry: LogEntry, filter: EntryFilter): boolean {
  if (filter.batchId !== undefined && entry.batchId !== filter.batchId) return false;
  if (filter.minSeverityNumber !== undefined && (entry.severityNumber === undefined || entry.severityNumber < filter.minSeverityNumber)) return false;
  if (filter.since !== undefined && (entry.timestamp === undefined || entry.timestamp < filter.since)) return false;
  if (filter.until !== undefined && (entry.timestamp === undefined || entry.timestamp >= filter.until)) return false;
  if (filter.grep !== undefined && !entry.body.includes(filter.grep)) return false;
  if (filter.unparsed === true && entry.parseError === undefined) return false;
  if (filter.fromLine !== undefined && entry.lineNumber < filter.fromLine) return false;
  return (filter.where ?? []).every((condition) => attributeEquals(entry, condition));
}

/** A string, number or boolean attribute whose text is the value; objects, arrays and null never match. */
export function attributeEquals(entry: LogEntry, condition: AttributeEquals): boolean {
  const value = entry.attributes[condition.key];
  return (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') && String(value) === condition.value;
}

/** Severity name of an OpenTelemetry number's range; UNSPECIFIED when absent. */
export function severityBucket(severityNumber: number | undefined): string {
  if (severityNumber === undefined || severityNumber < 1) return 'UNSPECIFIED';
  return (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const)[Math.min(5, Math.floor((severityNumber - 1) / 4))];
}
