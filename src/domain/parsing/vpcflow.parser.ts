import type { Attributes, ParseResult } from '../log-entry.js';
import { SeverityNumber } from '../severity.js';
import type { LineParser } from './parser.js';
import { isoFromEpoch } from './timestamp.js';

/** The version 2 default format, used when the file declares no header. */
export const VPC_FLOW_DEFAULT_FIELDS: readonly string[] = [
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets',
  'bytes', 'start', 'end', 'action', 'log-status',
];

/**
 * How a field's value is stored: TEXT as written; NUMBER (a value that is not one fails the line); PROTOCOL, the
 * IANA number plus `network.transport`; END and START, numbers that give the timestamp (START only without an END);
 * ACTION, where `REJECT` makes the record WARN; LOWER_CASE (`IPv4` → `ipv4`); DIRECTION (`ingress` → `receive`,
 * `egress` → `transmit`); and the four addresses, resolved together once the line is read.
 */
const Kind = {
  TEXT: 0, NUMBER: 1, PROTOCOL: 2, END: 3, START: 4, ACTION: 5, LOWER_CASE: 6, DIRECTION: 7,
  SOURCE: 8, DESTINATION: 9, PACKET_SOURCE: 10, PACKET_DESTINATION: 11,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface FieldRule {
  readonly kind: Kind;
  readonly attribute: string;
}

/**
 * Every field AWS documents for flow log records, versions 2 to 10
 * (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html), with the attribute it becomes: the
 * OpenTelemetry Collector's `awslogsencodingextension` name where it has one, `aws.vpc.flow.<field_name>` otherwise.
 */
const FIELD_RULES: Readonly<Record<string, FieldRule>> = {
  // version 2
  version: { kind: Kind.NUMBER, attribute: 'aws.vpc.flow.log.version' },
  'account-id': { kind: Kind.TEXT, attribute: 'cloud.account.id' },
  'interface-id': { kind: Kind.TEXT, attribute: 'network.interface.name' },
  srcaddr: { kind: Kind.SOURCE, attribute: 'source.address' },
  dstaddr: { kind: Kind.DESTINATION, attribute: 'destination.address' },
  srcport: { kind: Kind.NUMBER, attribute: 'source.port' },
  dstport: { kind: Kind.NUMBER, attribute: 'destination.port' },
  protocol: { kind: Kind.PROTOCOL, attribute: 'aws.vpc.flow.protocol' },
  packets: { kind: Kind.NUMBER, attribute: 'aws.vpc.flow.packets' },
  bytes: { kind: Kind.NUMBER, attribute: 'aws.vpc.flow.bytes' },
  start: { kind: Kind.START, attribute: 'aws.vpc.flow.start' },
  end: { kind: Kind.END, attribute: 'aws.vpc.flow.end' },
  action: { kind: Kind.ACTION, attribute: 'aws.vpc.flow.action' },
  'log-status': { kind: Kind.TEXT, attribute: 'aws.vpc.flow.status' },
  // version 3
  'vpc-id': { kind: Kind.TEXT, attribute: 'aws.vpc.id' },
  'subnet-id': { kind: Kind.TEXT, attribute: 'aws.vpc.subnet.id' },
  'instance-id': { kind: Kind.TEXT, attribute: 'host.id' },
  'tcp-flags': { kind: Kind.TEXT, attribute: 'network.tcp.flags' },
  type: { kind: Kind.LOWER_CASE, attribute: 'network.type' },
  'pkt-srcaddr': { kind: Kind.PACKET_SOURCE, attribute: 'source.address' },
  'pkt-dstaddr': { kind: Kind.PACKET_DESTINATION, attribute: 'destination.address' },
  // version 4
  region: { kind: Kind.TEXT, attribute: 'cloud.region' },
  'az-id': { kind: Kind.TEXT, attribute: 'aws.az.id' },
  'sublocation-type': { kind: Kind.TEXT, attribute: 'aws.sublocation.type' },
  'sublocation-id': { kind: Kind.TEXT, attribute: 'aws.sublocation.id' },
  // version 5
  'pkt-src-aws-service': { kind: Kind.TEXT, attribute: 'aws.vpc.flow.source.service' },
  'pkt-dst-aws-service': { kind: Kind.TEXT, attribute: 'aws.vpc.flow.destination.service' },
  'flow-direction': { kind: Kind.DIRECTION, attribute: 'network.io.direction' },
  'traffic-path': { kind: Kind.TEXT, attribute: 'aws.vpc.flow.traffic_path' },
  // version 7
  'ecs-cluster-arn': { kind: Kind.TEXT, attribute: 'aws.ecs.cluster.arn' },
  'ecs-cluster-name': { kind: Kind.TEXT, attribute: 'aws.ecs.cluster.name' },
  'ecs-container-instance-arn': { kind: Kind.TEXT, attribute: 'aws.ecs.container.instance.arn' },
  'ecs-container-instance-id': { kind: Kind.TEXT, attribute: 'aws.ecs.container.instance.id' },
  'ecs-container-id': { kind: Kind.TEXT, attribute: 'aws.ecs.container.id' },
  'ecs-second-container-id': { kind: Kind.TEXT, attribute: 'aws.ecs.second.container.id' },
  'ecs-service-name': { kind: Kind.TEXT, attribute: 'aws.ecs.service.name' },
  'ecs-task-definition-arn': { kind: Kind.TEXT, attribute: 'aws.ecs.task.definition.arn' },
  'ecs-task-arn': { kind: Kind.TEXT, attribute: 'aws.ecs.task.arn' },
  'ecs-task-id': { kind: Kind.TEXT, attribute: 'aws.ecs.task.id' },
  // version 8
  'reject-reason': { kind: Kind.TEXT, attribute: 'aws.vpc.flow.reject_reason' },
  // version 9
  'resource-id': { kind: Kind.TEXT, attribute: 'aws.vpc.flow.resource_id' },
  // version 10
  'encryption-status': { kind: Kind.NUMBER, attribute: 'aws.vpc.flow.encryption_status' },
};

/** IANA protocol numbers to `network.transport` values. */
const TRANSPORTS: Readonly<Record<string, string>> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmp' };

/** A field name as AWS spells them: lower-case words joined by `-` (`pkt-src-aws-service`). */
const FIELD_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

function isKnownField(name: string): boolean {
  return Object.hasOwn(FIELD_RULES, name);
}

/**
 * True for a header line: words shaped like field names, at least two of them documented ones and at least half
 * of them, so a header with fields AWS added after this list (or a typo) is still a header.
 */
function isHeaderWords(names: readonly string[]): boolean {
  if (names.length < 2) return false;
  let known = 0;
  for (const name of names) {
    if (!FIELD_NAME.test(name)) return false;
    if (isKnownField(name)) known++;
  }
  return known >= 2 && known * 2 >= names.length;
}

/** True when `line` is a VPC flow log header line (`version account-id interface-id ...`). */
export function isVpcFlowHeader(line: string): boolean {
  return isHeaderWords(line.trim().split(/\s+/));
}

/** The field list a header line declares (`version account-id ...`). */
export function vpcFlowHeaderFields(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** A field list turned into one rule per position, made once per list (a chunk's lines share theirs). */
let cachedFields: readonly string[] | undefined;
let cachedRules: readonly FieldRule[] = [];

function rulesFor(fields: readonly string[]): readonly FieldRule[] {
  if (fields === cachedFields) return cachedRules;
  cachedRules = fields.map(
    (field) => (isKnownField(field) ? FIELD_RULES[field] : { kind: Kind.TEXT, attribute: `aws.vpc.flow.${field.replace(/-/g, '_')}` }),
  );
  cachedFields = fields;
  return cachedRules;
}

/**
 * Amazon VPC flow logs: space-separated values in the order of the file's header line (captured by detection in
 * `formatContext.fields`; any documented fields in any order, and fields the list does not know kept as
 * `aws.vpc.flow.<field_name>`), or of the version 2 default format without one. The header line itself is an ok
 * record with `log.record.kind: "header"`. The timestamp is the flow's `end` (as the OpenTelemetry Collector does),
 * or its `start` without an `end`; `protocol` also gives `network.transport`; `pkt-srcaddr`/`pkt-dstaddr`, the
 * original packet's addresses, are `source.address`/`destination.address` when present, with an intermediate
 * `srcaddr`/`dstaddr` in `network.local.address` (the Collector's rule); `REJECT` is WARN, everything else INFO.
 * A line with a different number of values than the header declares is an error.
 */
export const parseVpcFlowLine: LineParser = (line, context): ParseResult => {
  const values = line.trim().split(/\s+/);
  const firstCode = values[0].charCodeAt(0);
  if (firstCode >= 97 && firstCode <= 122 && isHeaderWords(values)) {
    return { ok: true, record: { body: line, attributes: { 'log.record.kind': 'header' } } };
  }
  const fields = context.formatContext?.fields ?? VPC_FLOW_DEFAULT_FIELDS;
  if (values.length !== fields.length) {
    const comparison = values.length < fields.length ? 'too few' : 'too many';
    return { ok: false, error: `${comparison} fields: ${values.length} values for ${fields.length} declared fields` };
  }
  const rules = rulesFor(fields);
  const attributes: Attributes = {};
  let timestamp: string | undefined;
  let startTimestamp: string | undefined;
  let rejected = false;
  let source: string | undefined;
  let destination: string | undefined;
  let packetSource: string | undefined;
  let packetDestination: string | undefined;
  for (let index = 0; index < rules.length; index++) {
    const value = values[index];
    if (value === '-') continue;
    const rule = rules[index];
    switch (rule.kind) {
      case Kind.TEXT:
        attributes[rule.attribute] = value;
        break;
      case Kind.NUMBER:
      case Kind.PROTOCOL:
      case Kind.START:
      case Kind.END: {
        const number = Number(value);
        if (!Number.isFinite(number)) return { ok: false, error: `field "${fields[index]}" should be a number: "${value}"` };
        attributes[rule.attribute] = number;
        if (rule.kind === Kind.END) timestamp = isoFromEpoch(number);
        else if (rule.kind === Kind.START) startTimestamp = isoFromEpoch(number);
        else if (rule.kind === Kind.PROTOCOL && TRANSPORTS[value] !== undefined) attributes['network.transport'] = TRANSPORTS[value];
        break;
      }
      case Kind.ACTION:
        attributes[rule.attribute] = value;
        if (value === 'REJECT') rejected = true;
        break;
      case Kind.LOWER_CASE:
        attributes[rule.attribute] = value.toLowerCase();
        break;
      case Kind.DIRECTION:
        if (value === 'ingress') attributes[rule.attribute] = 'receive';
        else if (value === 'egress') attributes[rule.attribute] = 'transmit';
        else attributes['aws.vpc.flow.flow_direction'] = value;
        break;
      case Kind.SOURCE:
        source = value;
        break;
      case Kind.DESTINATION:
        destination = value;
        break;
      case Kind.PACKET_SOURCE:
        packetSource = value;
        break;
      case Kind.PACKET_DESTINATION:
        packetDestination = value;
        break;
    }
  }
  setAddresses(attributes, source, packetSource, destination, packetDestination);
  const severity = rejected
    ? { severityText: 'WARN', severityNumber: SeverityNumber.WARN }
    : { severityText: 'INFO', severityNumber: SeverityNumber.INFO };
  return { ok: true, record: { timestamp: timestamp ?? startTimestamp, ...severity, body: line, attributes } };
};

/**
 * The packet's own addresses are the flow's source and destination; an interface address that differs from them
 * (a NAT gateway's, a load balancer's) is the local address the flow passed through.
 */
function setAddresses(
  attributes: Attributes,
  source: string | undefined,
  packetSource: string | undefined,
  destination: string | undefined,
  packetDestination: string | undefined,
): void {
  const sourceAddress = packetSource ?? source;
  if (sourceAddress !== undefined) attributes['source.address'] = sourceAddress;
  const destinationAddress = packetDestination ?? destination;
  if (destinationAddress !== undefined) attributes['destination.address'] = destinationAddress;
  if (packetSource !== undefined && source !== undefined && source !== packetSource) {
    attributes['network.local.address'] = source;
  } else if (packetDestination !== undefined && destination !== undefined && destination !== packetDestination) {
    attributes['network.local.address'] = destination;
  }
}
