import type { Attributes, ParseResult } from '../log-entry.js';
import {
  FieldKind,
  isAbsent,
  isForwardedForList,
  isIpv4Address,
  isIpv6Address,
  parseUnsigned,
  readForwardedFor,
  scanFields,
  setAddressAndPort,
  setRequestLine,
  setText,
  splitAddressAndPort,
} from './fields.js';
import { severityFromHttpStatus } from './severity-mapping.js';
import { isoFromClfTimestamp } from './timestamp.js';

/**
 * Apache / Nginx access logs, shared by the `clf` and `combined` parsers:
 *
 * ```
 * [vhost[:port]] client ident authuser [time] "request" status size [request-time] [referer user-agent [extra...]]
 * ```
 *
 * `clf` stops after `size`; `combined` adds the referer and user agent, quoted or a bare `-`. The variants seen in
 * the wild are accepted: a virtual host in front; an `X-Forwarded-For` chain in the client position, bare or quoted
 * (`10.0.0.2, 10.0.0.1, 203.0.113.9 - - [...]`, nginx with `$http_x_forwarded_for` first), whose first public
 * address is the client; a user name with spaces (`John Doe`); `$request_time` after the size (a number with a
 * decimal point; an integer there is Apache's or Tomcat's `%D`, in a unit the line does not say, and is kept as an
 * extra field); fields after the user agent (a quoted forwarded-for list, nginx `main`, ingress upstream fields,
 * text). Returns the record and whether the line had the combined part, so each parser can label a line of the
 * other shape with the format it really is.
 */
export function parseAccessLogLine(line: string): { result: ParseResult; isCombined: boolean } {
  const scanned = scanFields(line);
  if (typeof scanned === 'string') return { result: { ok: false, error: scanned }, isCombined: false };
  const { values, kinds } = scanned;
  // The time is field 4, or later after a virtual host, a forwarded-for chain written bare, or a user name with spaces.
  let timeIndex = 3;
  if (kinds[3] !== FieldKind.BRACKETED) {
    timeIndex = -1;
    const last = Math.min(values.length, MAX_TIME_INDEX + 1);
    for (let index = 4; index < last; index++) {
      if (kinds[index] === FieldKind.BRACKETED) {
        timeIndex = index;
        break;
      }
    }
    if (timeIndex < 0) return failure('no [time] field in position 4 (or after a virtual host or forwarded-for chain)');
  }
  const timestamp = isoFromClfTimestamp(values[timeIndex]);
  if (timestamp === undefined) return failure(`invalid time [${values[timeIndex]}]`);
  const requestIndex = timeIndex + 1;
  if (kinds[requestIndex] !== FieldKind.QUOTED) return failure('no quoted request after the time');
  const statusText = values[requestIndex + 1];
  const sizeText = values[requestIndex + 2];
  if (statusText === undefined || sizeText === undefined) return failure('missing status or size after the request');
  const status = parseUnsigned(statusText);
  if (statusText !== '-' && (status === undefined || statusText.length !== 3)) {
    return failure(`invalid status "${statusText}"`);
  }
  const size = parseUnsigned(sizeText);
  if (sizeText !== '-' && size === undefined) return failure(`invalid size "${sizeText}"`);

  const attributes: Attributes = {};
  if (timeIndex === 3) {
    const client = values[0];
    // The common case, a plain address, without a call.
    if (kinds[0] === FieldKind.BARE && client.indexOf(',') < 0 && client.indexOf(':') < 0) {
      if (client !== '-') attributes['client.address'] = client;
    } else {
      setClient(attributes, client, kinds[0] === FieldKind.QUOTED);
    }
    setText(attributes, 'client.ident', values[1]);
    setText(attributes, 'user.name', values[2]);
  } else {
    const error = readLeadingFields(attributes, values, kinds, timeIndex);
    if (error !== undefined) return failure(error);
  }
  setRequestLineOrOriginal(attributes, values[requestIndex]);
  if (status !== undefined) attributes['http.response.status_code'] = status;
  if (size !== undefined) attributes['http.response.body.size'] = size;

  let next = requestIndex + 3;
  // A number between the size and the referer: nginx's `$request_time`, always written in seconds with a decimal
  // point (`0.202`), or an integer, Apache's or Tomcat's `%D` (ms or µs, the line cannot say which): that one is
  // kept first among the extra fields rather than read as seconds.
  let extra: string[] | undefined;
  if (kinds[next] === FieldKind.BARE) {
    const value = values[next];
    if (/^\d+\.\d+$/.test(value)) {
      attributes['http.server.request.duration'] = Number(value);
      next++;
    } else if (parseUnsigned(value) !== undefined) {
      extra = [value];
      next++;
    }
  }
  let isCombined = false;
  const refererKind = kinds[next];
  const agentKind = kinds[next + 1];
  if (
    (refererKind === FieldKind.QUOTED || (refererKind === FieldKind.BARE && values[next] === '-')) &&
    (agentKind === FieldKind.QUOTED || (agentKind === FieldKind.BARE && values[next + 1] === '-'))
  ) {
    isCombined = true;
    setText(attributes, 'http.request.header.referer', values[next]);
    setText(attributes, 'user_agent.original', values[next + 1]);
    next += 2;
  }
  if (next < values.length) {
    if (!isCombined) return failure(`unexpected field "${values[next]}" after the size`);
    // Nginx's `main` format ends with "$http_x_forwarded_for".
    if (kinds[next] === FieldKind.QUOTED && isForwardedForList(values[next])) {
      attributes[FORWARDED_FOR] = values[next];
      next++;
    }
    if (next < values.length) {
      extra ??= [];
      for (let index = next; index < values.length; index++) extra.push(values[index]);
    }
  }
  if (extra !== undefined) attributes['access_log.extra_fields'] = extra;
  return {
    result: {
      ok: true,
      record: { timestamp, ...severityFromHttpStatus(status), body: line, attributes },
    },
    isCombined,
  };
}

/** Where the forwarded-for chain is kept, as the request header it came from. */
const FORWARDED_FOR = 'http.request.header.x-forwarded-for';
/** A virtual host, a forwarded-for chain of up to 16 addresses, ident and a user (of several words) come before the time. */
const MAX_TIME_INDEX = 19;

/**
 * The fields before the time when there are more than client, ident and user: a virtual host first
 * (`server.address`), a bare forwarded-for chain as the client (`10.0.0.2, 203.0.113.9`), a user name with spaces
 * (`John Doe`), or several of them. Sets the client, ident and user attributes; returns a failure message if the
 * fields have none of those shapes.
 */
function readLeadingFields(attributes: Attributes, values: readonly string[], kinds: readonly FieldKind[], timeIndex: number): string | undefined {
  let clientStart = 0;
  if (!values[0].endsWith(',') && hasVirtualHost(values, kinds)) {
    setAddressAndPort(attributes, 'server', values[0]);
    clientStart = 1;
  }
  // The client is one field, or a bare chain whose entries but the last end with a comma; ident and user follow.
  let clientEnd = clientStart + 1;
  while (clientEnd < timeIndex - 2 && kinds[clientEnd - 1] === FieldKind.BARE && values[clientEnd - 1].endsWith(',')) clientEnd++;
  const identIndex = clientEnd;
  const userIndex = identIndex + 1;
  let user = values[userIndex];
  if (userIndex < timeIndex - 1) {
    // A user name with spaces: its words are bare, and none is `-` (which would be an ident or user of its own).
    for (let index = userIndex; index < timeIndex; index++) {
      if (kinds[index] !== FieldKind.BARE || values[index] === '-') return `unexpected field "${values[identIndex]}" before the time`;
    }
    user = values.slice(userIndex, timeIndex).join(' ');
  }
  if (clientEnd - clientStart === 1) {
    setClient(attributes, values[clientStart], kinds[clientStart] === FieldKind.QUOTED);
  } else {
    setClient(attributes, values.slice(clientStart, clientEnd).join(' '), true);
  }
  setText(attributes, 'client.ident', values[identIndex]);
  setText(attributes, 'user.name', user);
  return undefined;
}

/**
 * Whether the first of more than three fields before the time is a virtual host (`vhost:80 1.2.3.4 - - [...]`)
 * rather than the client of a user name with spaces (`1.2.3.4 - John Doe [...]`): it is when a forwarded-for chain
 * follows it, when the third field is `-` (ident after a client, almost always `-`; a user's first word otherwise),
 * or when the second field is an address (a client, not an ident). A `-` second is an ident: a client is never `-`.
 */
function hasVirtualHost(values: readonly string[], kinds: readonly FieldKind[]): boolean {
  const second = values[1];
  if (kinds[1] === FieldKind.QUOTED || second.endsWith(',') || values[2] === '-') return true;
  if (second === '-') return false;
  const { address } = splitAddressAndPort(second);
  return isIpv4Address(address) || isIpv6Address(address);
}

/**
 * Puts a request line into `http.request.method`, `url.*` and `network.protocol.*` as `setRequestLine` does, except
 * that a first word without a letter is no method: `- - - ` and `- http://my-lb:80- -`, as load balancers log a
 * request they could not read, are kept whole in `url.original`. (A method is a token such as `GET`, `M-SEARCH`,
 * `VERSION-CONTROL`; `setRequestLine` alone also takes `-` and `_` for one.)
 */
export function setRequestLineOrOriginal(attributes: Attributes, request: string): void {
  const length = request.length;
  for (let index = 0; index < length; index++) {
    const code = request.charCodeAt(index);
    // The usual request starts with a letter and leaves at the first character.
    if (code >= 65 && code <= 90) {
      setRequestLine(attributes, request);
      return;
    }
    if (code === 32) break;
  }
  if (!isAbsent(request)) attributes['url.original'] = request;
}

/**
 * The client field: an address (a port after it goes to `client.port`), or a forwarded-for chain (quoted, or with
 * commas), kept whole in `http.request.header.x-forwarded-for` with its first public address as the client.
 */
function setClient(attributes: Attributes, value: string, quoted: boolean): void {
  if (!quoted && value.indexOf(',') < 0) {
    if (value.indexOf(':') < 0) {
      if (!isAbsent(value)) attributes['client.address'] = value;
    } else {
      setAddressAndPort(attributes, 'client', value);
    }
    return;
  }
  if (isAbsent(value)) return;
  attributes[FORWARDED_FOR] = value;
  const forwarded = readForwardedFor(value);
  if (forwarded === undefined) return;
  attributes['client.address'] = forwarded.client.address;
  if (forwarded.client.port !== undefined) attributes['client.port'] = forwarded.client.port;
}

function failure(error: string): { result: ParseResult; isCombined: boolean } {
  return { result: { ok: false, error }, isCombined: false };
}
