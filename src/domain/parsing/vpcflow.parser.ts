import type { Attributes, ParseResult } from '../log-entry.js';
import { SeverityNumber } from '../severity.js';
import type { LineParser } from './parser.js';
import { isoFromEpoch } from './timestamp.js';

/** The version 2 default format, used when the file declares no header. */
export const VPC_FLOW_DEFAULT_FIELDS: readonly string[] = [
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets',
  'bytes', 'start', 'end', 'action', 'log-status',
];

/** Field names AWS documents for VPC flow logs (versions 2-8); a header line is made of these. */
const KNOWN_FIELDS = new Set([
  ...VPC_FLOW_DEFAULT_FIELDS,
  'vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'pkt-srcaddr', 'pkt-dstaddr', 'region', 'az-id',
  'sublocation-type', 'sublocation-id', 'pkt-src-aws-service', 'pkt-dst-aws-service', 'flow-direction',
  'traffic-path', 'ecs-cluster-arn', 'ecs-cluster-name', 'ecs-container-instance-arn', 'ecs-container-instance-id',
  'ecs-container-id', 'ecs-second-container-id', 'ecs-service-name', 'ecs-task-definition-arn', 'ecs-task-arn',
  'ecs-task-id', 'reject-reason', 'resource-id', 'encryption-status',
]);

/** Attribute name per field; fields not listed become `aws.vpc.flow.<field_with_underscores>`. */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  version: 'aws.vpc.flow.log.version',
  'account-id': 'cloud.account.id',
  'interface-id': 'network.interface.name',
  srcaddr: 'source.address',
  dstaddr: 'destination.address',
  srcport: 'source.port',
  dstport: 'destination.port',
  protocol: 'aws.vpc.flow.protocol',
  'log-status': 'aws.vpc.flow.status',
  region: 'cloud.region',
};

const NUMERIC_FIELDS = new Set([
  'version', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'tcp-flags', 'traffic-path',
]);

/** IANA protocol numbers to `network.transport` values. */
const TRANSPORTS: Readonly<Record<string, string>> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmp' };

/** True when every space-separated word of `line` is a VPC flow log field name: the header line. */
export function isVpcFlowHeader(line: string): boolean {
  const names = line.trim().split(/\s+/);
  return names.length >= 2 && names.every((name) => KNOWN_FIELDS.has(name));
}

/** The field list a header line declares (`version account-id ...`). */
export function vpcFlowHeaderFields(line: string): string[] {
  return line.trim().split(/\s+/);
}

/**
 * Amazon VPC flow logs: space-separated values in the order of the file's header line (captured by detection in
 * `formatContext.fields`), or of the version 2 default format without one. The header line itself is an ok record
 * with `log.record.kind: "header"`. The timestamp is the flow's `end` (as the OpenTelemetry Collector does);
 * `protocol` also gives `network.transport`; `REJECT` is WARN, everything else INFO. A line with a different
 * number of values than the header declares is an error.
 */
export const parseVpcFlowLine: LineParser = (line, context): ParseResult => {
  const values = line.trim().split(/\s+/);
  if (values.every((value) => KNOWN_FIELDS.has(value))) {
    return { ok: true, record: { body: line, attributes: { 'log.record.kind': 'header' } } };
  }
  const fields = context.formatContext?.fields ?? VPC_FLOW_DEFAULT_FIELDS;
  if (values.length !== fields.length) {
    const comparison = values.length < fields.length ? 'too few' : 'too many';
    return { ok: false, error: `${comparison} fields: ${values.length} values for ${fields.length} declared fields` };
  }
  const attributes: Attributes = {};
  let timestamp: string | undefined;
  let rejected = false;
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index];
    const value = values[index];
    if (value === '-') continue;
    const name = ATTRIBUTE_NAMES[field] ?? `aws.vpc.flow.${field.replace(/-/g, '_')}`;
    if (NUMERIC_FIELDS.has(field)) {
      const number = Number(value);
      if (!Number.isFinite(number)) return { ok: false, error: `field "${field}" should be a number: "${value}"` };
      attributes[name] = number;
      if (field === 'end') timestamp = isoFromEpoch(number);
      if (field === 'protocol' && TRANSPORTS[value] !== undefined) attributes['network.transport'] = TRANSPORTS[value];
    } else {
      attributes[name] = value;
      if (field === 'action' && value === 'REJECT') rejected = true;
    }
  }
  const severity = rejected
    ? { severityText: 'WARN', severityNumber: SeverityNumber.WARN }
    : { severityText: 'INFO', severityNumber: SeverityNumber.INFO };
  return { ok: true, record: { timestamp, ...severity, body: line, attributes } };
};
