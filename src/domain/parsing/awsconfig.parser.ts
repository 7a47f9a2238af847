import type { Attributes, AttributeValue, ParseResult } from '../log-entry.js';
import { SeverityNumber } from '../severity.js';
import { snakeCase } from './cloudtrail.parser.js';
import { setInputKey } from './fields.js';
import { jsonErrorMessage } from './json-text.js';
import type { LineParser } from './parser.js';
import { isoFromString } from './timestamp.js';

/** Configuration item fields with a conventional home; every other field becomes `aws.config.<snake_case>`. */
const MAPPED = new Set(['configurationItemCaptureTime', 'awsAccountId', 'awsRegion', 'resourceType', 'resourceId', 'configurationItemStatus', 'ARN', 'resourceName']);

/**
 * One AWS Config configuration item (from a snapshot or history file, split into items by the splitter).
 * `configurationItemCaptureTime` is the timestamp; the body is `resourceType resourceId configurationItemStatus`;
 * attributes: `cloud.provider`, `cloud.account.id`, `cloud.region`, `cloud.resource_id` (the ARN),
 * `aws.config.resource_type`, `aws.config.resource_id`, `aws.config.resource_name`, `aws.config.status`, and every
 * other field as `aws.config.<snake_case>` (objects kept). Severity INFO; `ResourceDeleted` and
 * `ResourceNotRecorded` WARN.
 */
export const parseAwsConfigLine: LineParser = (line): ParseResult => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, error: `AWS Config item is not valid JSON: ${jsonErrorMessage(error, line)}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'AWS Config item is not a JSON object' };
  const item = value as Record<string, AttributeValue>;
  if (typeof item.resourceType !== 'string' || typeof item.configurationItemCaptureTime !== 'string') {
    return { ok: false, error: 'not an AWS Config item: resourceType and configurationItemCaptureTime are required' };
  }
  const attributes: Attributes = { 'cloud.provider': 'aws' };
  const text = (name: string): string | undefined => (typeof item[name] === 'string' && item[name] !== '' ? (item[name] as string) : undefined);
  const put = (name: string, field: string) => {
    const found = text(field);
    if (found !== undefined) attributes[name] = found;
  };
  put('cloud.account.id', 'awsAccountId');
  put('cloud.region', 'awsRegion');
  put('cloud.resource_id', 'ARN');
  put('aws.config.resource_type', 'resourceType');
  put('aws.config.resource_id', 'resourceId');
  put('aws.config.resource_name', 'resourceName');
  put('aws.config.status', 'configurationItemStatus');
  for (const key of Object.keys(item)) {
    if (!MAPPED.has(key) && item[key] !== null && item[key] !== '') setInputKey(attributes, `aws.config.${snakeCase(key)}`, item[key]);
  }
  const status = text('configurationItemStatus');
  const warn = status === 'ResourceDeleted' || status === 'ResourceNotRecorded' || status === 'ResourceDeletedNotRecorded';
  return {
    ok: true,
    record: {
      timestamp: isoFromString(item.configurationItemCaptureTime),
      severityText: warn ? 'WARN' : 'INFO',
      severityNumber: warn ? SeverityNumber.WARN : SeverityNumber.INFO,
      body: [item.resourceType, text('resourceId'), status].filter((part) => part !== undefined).join(' '),
      attributes,
    },
  };
};
