import type { Attributes, AttributeValue, ParseResult } from '../log-entry.js';
import { SeverityNumber } from '../severity.js';
import { setInputKey } from './fields.js';
import { jsonErrorMessage } from './json-text.js';
import type { LineParser } from './parser.js';
import { isoFromString } from './timestamp.js';

/** Record fields with a semantic-convention home; every other field becomes `aws.cloudtrail.<snake_case>`. */
const MAPPED_FIELDS = new Set([
  'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent', 'errorCode',
  'recipientAccountId', 'requestID',
]);

/** Error codes that mean the service failed, rather than the caller. */
const SERVER_ERROR = /Internal|ServiceUnavailable|ServerException|ServiceFailure|Unavailable/;

/**
 * One CloudTrail record as a compact JSON line (see `WrappedRecordReader`). `eventTime` is the timestamp; the body
 * is `eventSource eventName` (for Insights events, the source and name they are about). Attributes:
 * `rpc.system` (`aws-api`), `rpc.service` (eventSource), `rpc.method` (eventName), `cloud.provider`,
 * `cloud.region`, `cloud.account.id` (recipientAccountId), `client.address` (sourceIPAddress, which may be a
 * service name), `user_agent.original`, `aws.request_id`, `error.type` (errorCode), `user.name`/`user.id` from
 * userIdentity, and every other field under `aws.cloudtrail.*` (nested objects kept as maps).
 * Severity: INFO without errorCode; WARN for an errorCode (the caller's error, e.g. AccessDenied); ERROR for a
 * service-side errorCode (InternalError, ServiceUnavailable...).
 */
export const parseCloudTrailLine: LineParser = (line): ParseResult => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, error: `CloudTrail record is not valid JSON: ${jsonErrorMessage(error, line)}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'CloudTrail record is not a JSON object' };
  }
  const record = value as Record<string, AttributeValue>;
  if (typeof record.eventVersion !== 'string' || typeof record.eventTime !== 'string') {
    return { ok: false, error: 'not a CloudTrail record: eventVersion and eventTime are required' };
  }
  const timestamp = isoFromString(record.eventTime);
  if (timestamp === undefined) return { ok: false, error: `invalid eventTime "${record.eventTime}"` };

  const attributes: Attributes = { 'cloud.provider': 'aws', 'rpc.system': 'aws-api' };
  const insight = record.insightDetails as Record<string, AttributeValue> | undefined;
  const eventSource = stringOf(record.eventSource) ?? stringOf(insight?.eventSource);
  const eventName = stringOf(record.eventName) ?? stringOf(insight?.eventName);
  if (eventSource !== undefined) attributes['rpc.service'] = eventSource;
  if (eventName !== undefined) attributes['rpc.method'] = eventName;
  setString(attributes, 'cloud.region', record.awsRegion);
  setString(attributes, 'cloud.account.id', record.recipientAccountId);
  setString(attributes, 'client.address', record.sourceIPAddress);
  setString(attributes, 'user_agent.original', record.userAgent);
  setString(attributes, 'aws.request_id', record.requestID);
  const errorCode = stringOf(record.errorCode);
  if (errorCode !== undefined) attributes['error.type'] = errorCode;
  const identity = record.userIdentity;
  if (identity !== null && typeof identity === 'object' && !Array.isArray(identity)) {
    setString(attributes, 'user.name', identity.userName);
    setString(attributes, 'user.id', identity.arn);
  }
  for (const key in record) {
    if (!MAPPED_FIELDS.has(key)) setInputKey(attributes, `aws.cloudtrail.${snakeCase(key)}`, record[key]);
  }

  const severity =
    errorCode === undefined
      ? { severityText: 'INFO', severityNumber: SeverityNumber.INFO }
      : SERVER_ERROR.test(errorCode)
        ? { severityText: 'ERROR', severityNumber: SeverityNumber.ERROR }
        : { severityText: 'WARN', severityNumber: SeverityNumber.WARN };
  const body = [eventSource, eventName].filter((part) => part !== undefined).join(' ') || stringOf(record.eventType) || line;
  return { ok: true, record: { timestamp, ...severity, body, attributes } };
};

function stringOf(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function setString(attributes: Attributes, key: string, value: AttributeValue | undefined): void {
  const text = stringOf(value);
  if (text !== undefined) attributes[key] = text;
}

const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
const LOWER_A = 0x61;
const LOWER_Z = 0x7a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * camelCase or PascalCase to snake_case: `sourceIPAddress` → `source_ip_address`, `requestID` → `request_id`,
 * `TLSVersion` → `tls_version`. An underscore goes before a run of capitals (A-Z) that follows a lowercase letter or
 * digit, and before the last capital of a run of two or more that a lowercase letter follows (an acronym, then a
 * word); then everything is lower-cased.
 *
 * One pass over the key, so linear in its length: keys come from uploaded JSON, and the regular-expression version
 * (`([A-Z]+)([A-Z][a-z])`) backtracks quadratically on a long run of capitals — seconds for a 64 KB key.
 */
export function snakeCase(key: string): string {
  const parts: string[] = [];
  let copiedTo = 0;
  let index = 0;
  while (index < key.length) {
    if (!isUpper(key.charCodeAt(index))) {
      index++;
      continue;
    }
    let runEnd = index + 1;
    while (runEnd < key.length && isUpper(key.charCodeAt(runEnd))) runEnd++;
    if (index > 0 && isLowerOrDigit(key.charCodeAt(index - 1))) {
      parts.push(key.slice(copiedTo, index), '_');
      copiedTo = index;
    }
    if (runEnd - index >= 2 && runEnd < key.length && isLower(key.charCodeAt(runEnd))) {
      parts.push(key.slice(copiedTo, runEnd - 1), '_');
      copiedTo = runEnd - 1;
    }
    index = runEnd;
  }
  parts.push(key.slice(copiedTo));
  return parts.join('').toLowerCase();
}

function isUpper(code: number): boolean {
  return code >= UPPER_A && code <= UPPER_Z;
}

function isLower(code: number): boolean {
  return code >= LOWER_A && code <= LOWER_Z;
}

function isLowerOrDigit(code: number): boolean {
  return isLower(code) || (code >= DIGIT_0 && code <= DIGIT_9);
}
