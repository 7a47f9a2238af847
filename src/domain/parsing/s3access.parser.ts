import type { Attributes, ParseResult } from '../log-entry.js';
import { FieldKind, isAbsent, parseUnsigned, scanFields, setAddressAndPort, setNumber, setRequestLine, setText } from './fields.js';
import type { LineParser } from './parser.js';
import { severityFromHttpStatus } from './severity-mapping.js';
import { isoFromClfTimestamp } from './timestamp.js';

/**
 * Attribute names of the S3 server access log fields after the request line, in order
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html); `undefined` marks a field handled
 * separately. Names follow the OpenTelemetry Collector's S3 access log decoding where it has one.
 */
const FIELDS_AFTER_REQUEST: readonly (string | undefined)[] = [
  undefined, // HTTP status
  'aws.s3.error_code',
  'http.response.body.size',
  'aws.s3.object.size',
  'aws.s3.total_time',
  'aws.s3.turn_around_time',
  'http.request.header.referer',
  'user_agent.original',
  'aws.s3.version_id',
  'aws.extended_request_id',
  'aws.signature.version',
  'tls.cipher',
  'aws.s3.auth_type',
  'http.request.header.host',
  'tls.protocol.version',
  'aws.s3.access_point.arn',
  undefined, // ACL required
  'aws.s3.source_region',
];

const NUMERIC = new Set(['http.response.body.size', 'aws.s3.object.size', 'aws.s3.total_time', 'aws.s3.turn_around_time']);
const REQUEST_INDEX = 8;
/** Logs written before 2017 end at the version id; later ones add fields up to the source region. */
const MIN_FIELDS = REQUEST_INDEX + 10;
const MAX_FIELDS = REQUEST_INDEX + 1 + FIELDS_AFTER_REQUEST.length;

/**
 * Amazon S3 server access logs: `owner bucket [time] remote-ip requester request-id operation key "request-uri"
 * status error-code bytes-sent object-size total-time turn-around-time "referer" "user-agent" version-id host-id
 * signature-version cipher-suite auth-type host-header tls-version access-point-arn acl-required [source-region]`.
 * A line with fewer than 18 or more than 27 fields is rejected. Severity follows the HTTP status.
 */
export const parseS3AccessLine: LineParser = (line): ParseResult => {
  const scanned = scanFields(line);
  if (typeof scanned === 'string') return { ok: false, error: scanned };
  const { values, kinds } = scanned;
  if (values.length < MIN_FIELDS) {
    return { ok: false, error: `S3 access log line has ${values.length} fields, expected at least ${MIN_FIELDS}` };
  }
  if (values.length > MAX_FIELDS) {
    return { ok: false, error: `S3 access log line has ${values.length} fields, expected at most ${MAX_FIELDS}` };
  }
  if (kinds[2] !== FieldKind.BRACKETED) return { ok: false, error: 'no [time] in field 3' };
  const timestamp = isoFromClfTimestamp(values[2]);
  if (timestamp === undefined) return { ok: false, error: `invalid time [${values[2]}]` };
  if (kinds[REQUEST_INDEX] !== FieldKind.QUOTED) return { ok: false, error: 'no quoted request URI in field 9' };
  const statusText = values[REQUEST_INDEX + 1];
  const status = parseUnsigned(statusText);
  if (statusText !== '-' && status === undefined) return { ok: false, error: `invalid HTTP status "${statusText}"` };

  const attributes: Attributes = {};
  setText(attributes, 'aws.s3.owner', values[0]);
  setText(attributes, 'aws.s3.bucket', values[1]);
  setAddressAndPort(attributes, 'client', values[3], 'when-decimal');
  setText(attributes, 'user.id', values[4]);
  setText(attributes, 'aws.request_id', values[5]);
  setText(attributes, 'rpc.method', values[6]);
  setText(attributes, 'aws.s3.key', values[7]);
  setRequestLine(attributes, values[REQUEST_INDEX]);
  if (status !== undefined) attributes['http.response.status_code'] = status;
  for (let offset = 1; offset < FIELDS_AFTER_REQUEST.length; offset++) {
    const index = REQUEST_INDEX + 1 + offset;
    if (index >= values.length) break;
    const name = FIELDS_AFTER_REQUEST[offset];
    const value = values[index];
    if (name === undefined) {
      if (!isAbsent(value)) attributes['aws.s3.acl_required'] = value === 'Yes';
    } else if (NUMERIC.has(name)) {
      setNumber(attributes, name, value);
    } else {
      setText(attributes, name, value);
    }
  }
  return { ok: true, record: { timestamp, ...severityFromHttpStatus(status), body: line, attributes } };
};
