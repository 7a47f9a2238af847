import type { Attributes, ParseResult } from '../log-entry.js';
import { setRequestLineOrOriginal } from './access-log.js';
import { isAbsent, parseUnsigned, scanFields, setAddressAndPort, setNumber, setText } from './fields.js';
import type { LineParser } from './parser.js';
import { severityFromHttpStatus } from './severity-mapping.js';
import { isoFromString } from './timestamp.js';

/** How one positional field is stored. */
type FieldRule =
  | { readonly kind: 'text' | 'number' | 'time'; readonly attribute: string }
  | { readonly kind: 'address'; readonly prefix: string }
  | { readonly kind: 'list'; readonly attribute: string }
  | { readonly kind: 'request' | 'timestamp' | 'status' };

/**
 * Application Load Balancer access log fields, in order
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html).
 */
const ALB_FIELDS: readonly FieldRule[] = [
  { kind: 'text', attribute: 'aws.elb.type' },
  { kind: 'timestamp' },
  { kind: 'text', attribute: 'aws.elb.name' },
  { kind: 'address', prefix: 'client' },
  { kind: 'address', prefix: 'aws.elb.target' },
  { kind: 'number', attribute: 'aws.elb.request_processing_time' },
  { kind: 'number', attribute: 'aws.elb.target_processing_time' },
  { kind: 'number', attribute: 'aws.elb.response_processing_time' },
  { kind: 'status' },
  { kind: 'number', attribute: 'aws.elb.target.status_code' },
  { kind: 'number', attribute: 'http.request.size' },
  { kind: 'number', attribute: 'http.response.size' },
  { kind: 'request' },
  { kind: 'text', attribute: 'user_agent.original' },
  { kind: 'text', attribute: 'tls.cipher' },
  { kind: 'text', attribute: 'tls.protocol.version' },
  { kind: 'text', attribute: 'aws.elb.target_group.arn' },
  { kind: 'text', attribute: 'aws.elb.trace_id' },
  { kind: 'text', attribute: 'tls.server.name' },
  { kind: 'text', attribute: 'aws.elb.chosen_cert.arn' },
  { kind: 'number', attribute: 'aws.elb.matched_rule_priority' },
  { kind: 'time', attribute: 'aws.elb.request_creation_time' },
  { kind: 'list', attribute: 'aws.elb.actions_executed' },
  { kind: 'text', attribute: 'aws.elb.redirect_url' },
  { kind: 'text', attribute: 'aws.elb.error_reason' },
  { kind: 'list', attribute: 'aws.elb.target.port_list' },
  { kind: 'list', attribute: 'aws.elb.target.status_code_list' },
  { kind: 'text', attribute: 'aws.elb.classification' },
  { kind: 'text', attribute: 'aws.elb.classification_reason' },
  { kind: 'text', attribute: 'aws.elb.conn_trace_id' },
  { kind: 'text', attribute: 'aws.elb.transformed_host' },
  { kind: 'text', attribute: 'aws.elb.transformed_uri' },
  { kind: 'text', attribute: 'aws.elb.request_transform_status' },
];

/**
 * Classic Load Balancer access log fields: the ALB's from the time through the TLS protocol, without the leading
 * type (https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html).
 */
const CLASSIC_ELB_FIELDS: readonly FieldRule[] = ALB_FIELDS.slice(1, 16);

const ALB_TYPES = new Set(['http', 'https', 'h2', 'grpcs', 'ws', 'wss']);
/** Both layouts must reach the request field; later fields were added over the years and may be missing. */
const ALB_MIN_FIELDS = 13;
const CLASSIC_MIN_FIELDS = 12;

/**
 * AWS Application Load Balancer access logs, and Classic Load Balancer logs (recognised by a line starting with
 * the time instead of the request type). Fields map to `client.*`, `http.*`, `url.*`, `tls.*`, `user_agent.original`
 * and `aws.elb.*`; fields AWS adds after the known ones are kept in `aws.elb.extra_fields`.
 * Severity follows the load balancer's status code.
 */
export const parseAlbLine: LineParser = (line): ParseResult => {
  const scanned = scanFields(line);
  if (typeof scanned === 'string') return { ok: false, error: scanned };
  const values = scanned.values;
  const isClassic = values.length > 0 && /^\d{4}-\d{2}-\d{2}T/.test(values[0]);
  if (!isClassic && !ALB_TYPES.has(values[0] ?? '')) {
    return { ok: false, error: `unknown load balancer request type "${values[0] ?? ''}"` };
  }
  const rules = isClassic ? CLASSIC_ELB_FIELDS : ALB_FIELDS;
  const minimum = isClassic ? CLASSIC_MIN_FIELDS : ALB_MIN_FIELDS;
  if (values.length < minimum) {
    return { ok: false, error: `load balancer log line has ${values.length} fields, expected at least ${minimum}` };
  }
  const attributes: Attributes = {};
  let timestamp: string | undefined;
  let status: number | undefined;
  const known = Math.min(values.length, rules.length);
  for (let index = 0; index < known; index++) {
    const value = values[index];
    const rule = rules[index];
    switch (rule.kind) {
      case 'timestamp':
        timestamp = isoFromString(value);
        if (timestamp === undefined) return { ok: false, error: `invalid time "${value}"` };
        break;
      case 'status':
        if (value !== '-') {
          status = parseUnsigned(value);
          if (status === undefined) return { ok: false, error: `invalid status code "${value}"` };
          attributes['http.response.status_code'] = status;
        }
        break;
      case 'request':
        // A request the load balancer could not read (`- - - `, `- http://lb:80- -`) stays whole in `url.original`.
        setRequestLineOrOriginal(attributes, value);
        break;
      case 'address':
        // `client:port` and `target:port` always end with the port, also after an unbracketed IPv6 address.
        setAddressAndPort(attributes, rule.prefix, value, 'always');
        break;
      case 'number':
        if (!isAbsent(value) && !Number.isFinite(Number(value))) {
          return { ok: false, error: `field ${index + 1} should be a number: "${value}"` };
        }
        setNumber(attributes, rule.attribute, value);
        break;
      case 'time':
        if (!isAbsent(value)) attributes[rule.attribute] = isoFromString(value) ?? value;
        break;
      case 'list':
        if (!isAbsent(value)) attributes[rule.attribute] = value.split(/[ ,]+/);
        break;
      case 'text':
        setText(attributes, rule.attribute, value);
        break;
    }
  }
  if (values.length > rules.length) attributes['aws.elb.extra_fields'] = values.slice(rules.length);
  return { ok: true, record: { timestamp, ...severityFromHttpStatus(status), body: line, attributes } };
};
