import type { Attributes, ParseResult } from '../log-entry.js';
import { jsonErrorMessage } from './json-text.js';
import type { LineParser } from './parser.js';
import { isoFromEpoch } from './timestamp.js';

/** The prefix of a CloudWatch Logs format: `cloudwatch/<format of the messages>` (`cloudwatch/json`, ...). */
export const CLOUDWATCH_PREFIX = 'cloudwatch/';

interface CloudWatchRecord {
  readonly logGroup?: unknown;
  readonly logStream?: unknown;
  readonly owner?: unknown;
  readonly id?: unknown;
  readonly timestamp?: unknown;
  readonly message?: unknown;
}

/**
 * A parser for one CloudWatch Logs event as the splitter writes it (`{logGroup, logStream, owner, id, timestamp,
 * message}`, see `WrappedRecordReader`): the message is parsed by `parseMessage` (the format detected from the
 * file's messages), then the event's own fields are added — `timestamp` is the event's (milliseconds since the
 * epoch), `aws.log.group.names` / `aws.log.stream.names` (one-element lists, as the semantic conventions name
 * them), `cloud.account.id` (owner), `log.record.uid` (the event id), `cloud.provider: aws`. A message its
 * format cannot parse makes the entry unparsed, with the reason.
 */
export function cloudWatchParser(parseMessage: LineParser): LineParser {
  return (line, context): ParseResult => {
    let record: CloudWatchRecord;
    try {
      record = JSON.parse(line) as CloudWatchRecord;
    } catch (error) {
      return { ok: false, error: `CloudWatch Logs event is not valid JSON: ${jsonErrorMessage(error, line)}` };
    }
    if (record === null || typeof record !== 'object' || typeof record.message !== 'string') {
      return { ok: false, error: 'not a CloudWatch Logs event: a string "message" is required' };
    }
    const inner = parseMessage(record.message, context);
    if (!inner.ok) return { ok: false, error: `CloudWatch Logs message: ${inner.error}` };
    const attributes: Attributes = { ...inner.record.attributes, 'cloud.provider': 'aws' };
    if (typeof record.logGroup === 'string' && record.logGroup !== '') attributes['aws.log.group.names'] = [record.logGroup];
    if (typeof record.logStream === 'string' && record.logStream !== '') attributes['aws.log.stream.names'] = [record.logStream];
    if (typeof record.owner === 'string' && record.owner !== '') attributes['cloud.account.id'] = record.owner;
    if (typeof record.id === 'string' && record.id !== '') attributes['log.record.uid'] = record.id;
    const timestamp = typeof record.timestamp === 'number' ? isoFromEpoch(record.timestamp) : undefined;
    return {
      ok: true,
      record: { ...inner.record, timestamp: timestamp ?? inner.record.timestamp, attributes },
      format: inner.format === undefined ? undefined : `${CLOUDWATCH_PREFIX}${inner.format}`,
    };
  };
}
