import type { Attributes, AttributeValue, ParseResult } from '../log-entry.js';
import { severityFromNumber, severityFromText } from '../severity.js';
import { setInputKey } from './fields.js';
import type { LineParser } from './parser.js';
import { isoFromEpoch, isoFromString } from './timestamp.js';

/** Field names tried, in order, for the timestamp, the level and the message. */
const TIMESTAMP_KEYS = ['@timestamp', 'timestamp', 'time', 'ts', 'datetime', 'date', 't', 'eventTime'];
const LEVEL_KEYS = ['level', 'severity', 'lvl', 'loglevel', 'log.level', 'severityText', 'levelname', 'log_level'];
const MESSAGE_KEYS = ['message', 'msg', 'body', 'log', 'text', 'event'];

function takeTimestamp(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') {
    return isoFromString(value) ?? (/^\d+(?:\.\d+)?$/.test(value) ? isoFromEpoch(Number(value)) : undefined);
  }
  if (typeof value === 'number') return isoFromEpoch(value);
  return undefined;
}

function takeSeverity(value: AttributeValue | undefined): { severityText: string; severityNumber: number } | undefined {
  if (typeof value === 'string') return severityFromText(value.trim());
  if (typeof value === 'number') return severityFromNumber(value);
  return undefined;
}

/**
 * JSON lines. Any JSON value parses: an object's timestamp, level and message are taken from their common names
 * (`@timestamp`/`timestamp`/`time`/`ts`..., `level`/`severity`/`lvl`..., `message`/`msg`...; numeric levels as
 * bunyan/pino or OpenTelemetry numbers, numeric times as epoch seconds/ms/µs/ns) and every other field becomes
 * an attribute, nested values kept as maps and lists. A value that is not an object (a string, number, array...)
 * is kept in `log.json.value` with the line as the body. Invalid JSON is an error with the parser's reason.
 */
export const parseJsonLine: LineParser = (line): ParseResult => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, error: `invalid JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: true, record: { body: line, attributes: { 'log.json.value': value as AttributeValue } } };
  }
  const object = value as Record<string, AttributeValue>;
  let timestampKey: string | undefined;
  let timestamp: string | undefined;
  for (const key of TIMESTAMP_KEYS) {
    if (!Object.hasOwn(object, key)) continue;
    timestamp = takeTimestamp(object[key]);
    if (timestamp !== undefined) {
      timestampKey = key;
      break;
    }
  }
  let levelKey: string | undefined;
  let severity: { severityText: string; severityNumber: number } | undefined;
  for (const key of LEVEL_KEYS) {
    if (!Object.hasOwn(object, key)) continue;
    severity = takeSeverity(object[key]);
    if (severity !== undefined) {
      levelKey = key;
      break;
    }
  }
  let messageKey: string | undefined;
  for (const key of MESSAGE_KEYS) {
    if (Object.hasOwn(object, key) && typeof object[key] === 'string') {
      messageKey = key;
      break;
    }
  }
  // Copy the remaining fields instead of deleting from the parsed object (deletes make V8 objects slow).
  const attributes: Attributes = {};
  for (const key in object) {
    if (key !== timestampKey && key !== levelKey && key !== messageKey) setInputKey(attributes, key, object[key]);
  }
  const body = messageKey === undefined ? line : (object[messageKey] as string);
  return { ok: true, record: { timestamp, ...severity, body, attributes } };
};
