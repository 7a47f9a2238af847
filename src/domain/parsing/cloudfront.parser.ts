import type { Attributes, ParseResult } from '../log-entry.js';
import { isAbsent, parseUnsigned, splitAddressAndPort } from './fields.js';
import type { LineParser } from './parser.js';
import { severityFromHttpStatus } from './severity-mapping.js';
import { isoFromString } from './timestamp.js';

/** The standard log fields in AWS's documented order, used when the file has no `#Fields` header. */
export const CLOUDFRONT_DEFAULT_FIELDS: readonly string[] = [
  'date', 'time', 'x-edge-location', 'sc-bytes', 'c-ip', 'cs-method', 'cs(Host)', 'cs-uri-stem', 'sc-status',
  'cs(Referer)', 'cs(User-Agent)', 'cs-uri-query', 'cs(Cookie)', 'x-edge-result-type', 'x-edge-request-id',
  'x-host-header', 'cs-protocol', 'cs-bytes', 'time-taken', 'x-forwarded-for', 'ssl-protocol', 'ssl-cipher',
  'x-edge-response-result-type', 'cs-protocol-version', 'fle-status', 'fle-encrypted-fields', 'c-port',
  'time-to-first-byte', 'x-edge-detailed-result-type', 'sc-content-type', 'sc-content-len', 'sc-range-start',
  'sc-range-end',
];

/** Attribute name per field; unlisted fields become `aws.cloudfront.<field_with_underscores>`. */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  'x-edge-location': 'aws.cloudfront.edge_location',
  'sc-bytes': 'http.response.size',
  'c-ip': 'client.address',
  'cs-method': 'http.request.method',
  'cs(Host)': 'server.address',
  'cs-uri-stem': 'url.path',
  'sc-status': 'http.response.status_code',
  'cs(Referer)': 'http.request.header.referer',
  'cs(User-Agent)': 'user_agent.original',
  'cs-uri-query': 'url.query',
  'cs(Cookie)': 'http.request.header.cookie',
  'x-edge-result-type': 'aws.cloudfront.edge_result_type',
  'x-edge-request-id': 'aws.cloudfront.edge_request_id',
  'x-host-header': 'http.request.header.host',
  'cs-protocol': 'url.scheme',
  'cs-bytes': 'http.request.size',
  'time-taken': 'aws.cloudfront.time_taken',
  'x-forwarded-for': 'http.request.header.x-forwarded-for',
  'ssl-protocol': 'tls.protocol.version',
  'ssl-cipher': 'tls.cipher',
  'x-edge-response-result-type': 'aws.cloudfront.edge_response_result_type',
  'cs-protocol-version': 'network.protocol.version',
  'c-port': 'client.port',
  'time-to-first-byte': 'aws.cloudfront.time_to_first_byte',
  'x-edge-detailed-result-type': 'aws.cloudfront.edge_detailed_result_type',
  'sc-content-type': 'http.response.header.content-type',
  'sc-content-len': 'http.response.body.size',
  'sc-range-start': 'aws.cloudfront.range_start',
  'sc-range-end': 'aws.cloudfront.range_end',
};

const NUMERIC_FIELDS = new Set([
  'sc-bytes', 'sc-status', 'cs-bytes', 'time-taken', 'c-port', 'time-to-first-byte', 'sc-content-len',
  'sc-range-start', 'sc-range-end',
]);

/** Fewer fields than this is not a CloudFront line (date, time, edge, bytes, ip, method, host, uri, status...). */
const MIN_FIELDS = 12;

/** The field names of a `#Fields:` header line, or undefined for any other line. */
export function cloudFrontHeaderFields(line: string): string[] | undefined {
  if (!line.startsWith('#Fields:')) return undefined;
  return line.slice('#Fields:'.length).trim().split(/\s+/);
}

/**
 * Amazon CloudFront standard (access) logs: tab-separated values in the order of the file's `#Fields` header
 * (captured by detection in `formatContext.fields`), or of AWS's documented field list without one. `#Version` and
 * `#Fields` lines are ok records with `log.record.kind: "header"`. `date` + `time` (UTC) give the timestamp; the
 * URL-encoded user agent is decoded once; severity follows `sc-status`.
 */
export const parseCloudFrontLine: LineParser = (line, context): ParseResult => {
  if (line.charCodeAt(0) === 35 /* # */) {
    return { ok: true, record: { body: line, attributes: { 'log.record.kind': 'header' } } };
  }
  const values = line.split('\t');
  const declared = context.formatContext?.fields;
  const fields = declared ?? CLOUDFRONT_DEFAULT_FIELDS;
  if (values.length < MIN_FIELDS) {
    return { ok: false, error: `CloudFront line has ${values.length} tab-separated fields, expected at least ${MIN_FIELDS}` };
  }
  if (declared !== undefined && values.length !== declared.length) {
    return { ok: false, error: `CloudFront line has ${values.length} fields, the #Fields header declares ${declared.length}` };
  }
  const attributes: Attributes = {};
  let date: string | undefined;
  let time: string | undefined;
  let status: number | undefined;
  const known = Math.min(values.length, fields.length);
  for (let index = 0; index < known; index++) {
    const field = fields[index];
    const value = values[index];
    if (field === 'date') date = value;
    else if (field === 'time') time = value;
    if (field === 'date' || field === 'time' || isAbsent(value)) continue;
    const name = ATTRIBUTE_NAMES[field] ?? `aws.cloudfront.${field.replace(/[-()]/g, '_').replace(/_+$/, '')}`;
    if (NUMERIC_FIELDS.has(field)) {
      const number = Number(value);
      if (!Number.isFinite(number)) return { ok: false, error: `field "${field}" should be a number: "${value}"` };
      attributes[name] = number;
      if (field === 'sc-status') status = parseUnsigned(value);
    } else if (field === 'c-ip' && value.indexOf(':') >= 0) {
      const client = splitAddressAndPort(value, 'when-decimal');
      attributes[name] = client.address;
      if (client.port !== undefined && attributes['client.port'] === undefined) attributes['client.port'] = client.port;
    } else if (field === 'cs(User-Agent)') {
      attributes[name] = decodeOnce(value);
    } else if (field === 'cs-protocol-version') {
      attributes[name] = value.startsWith('HTTP/') ? value.slice(5) : value;
    } else {
      attributes[name] = value;
    }
  }
  if (values.length > fields.length) attributes['aws.cloudfront.extra_fields'] = values.slice(fields.length);
  if (date === undefined || time === undefined) return { ok: false, error: 'CloudFront line has no date and time' };
  const timestamp = isoFromString(`${date}T${time}Z`);
  if (timestamp === undefined) return { ok: false, error: `invalid date and time "${date} ${time}"` };
  return { ok: true, record: { timestamp, ...severityFromHttpStatus(status), body: line, attributes } };
};

function decodeOnce(value: string): string {
  if (value.indexOf('%') < 0) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
