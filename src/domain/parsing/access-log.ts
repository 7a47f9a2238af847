import type { Attributes, ParseResult } from '../log-entry.js';
import {
  FieldKind,
  isAbsent,
  isForwardedForList,
  parseUnsigned,
  readForwardedFor,
  scanFields,
  setAddressAndPort,
  setRequestLine,
  setText,
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
 * address is the client; `$request_time` after the size; fields after the user agent (a quoted forwarded-for list,
 * nginx `main`, ingress upstream fields, text). Returns the record and whether the line had the combined part, so
 * each parser can label a line of the other shape with the format it really is.
 */
export function parseAccessLogLine(line: string): { result: ParseResult; isCombined: boolean } {
  const scanned = scanFields(line);
  if (typeof scanned === 'string') return { result: { ok: false, error: scanned }, isCombined: false };
  const { values, kinds } = scanned;
  // The time is field 4, or later when a virtual host or a forwarded-for chain written bare comes first.
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
  const identIndex = timeIndex - 2;
  if (identIndex === 1) {
    const client = values[0];
    // The common case, a plain address, without a call.
    if (kinds[0] === FieldKind.BARE && client.indexOf(',') < 0 && client.indexOf(':') < 0) {
      if (client !== '-') attributes['client.address'] = client;
    } else {
      setClient(attributes, client, kinds[0] === FieldKind.QUOTED);
    }
  } else {
    // Several fields before ident: a virtual host, then the client; or a bare chain (`a, b, c`) from the start.
    const chainStart = values[0].endsWith(',') ? 0 : 1;
    if (chainStart === 1) setAddressAndPort(attributes, 'server', values[0]);
    if (identIndex - chainStart === 1) {
      setClient(attributes, values[1], kinds[1] === FieldKind.QUOTED);
    } else {
      for (let index = chainStart; index < identIndex - 1; index++) {
        if (kinds[index] !== FieldKind.BARE || !values[index].endsWith(',')) {
          return failure(`unexpected field "${values[index]}" before the time`);
        }
      }
      setClient(attributes, values.slice(chainStart, identIndex).join(' '), true);
    }
  }
  setText(attributes, 'client.ident', values[identIndex]);
  setText(attributes, 'user.name', values[identIndex + 1]);
  setRequestLine(attributes, values[requestIndex]);
  if (status !== undefined) attributes['http.response.status_code'] = status;
  if (size !== undefined) attributes['http.response.body.size'] = size;

  let next = requestIndex + 3;
  // Nginx's `$request_time` (seconds) sometimes sits between the size and the referer.
  if (kinds[next] === FieldKind.BARE && /^\d+(?:\.\d+)?$/.test(values[next])) {
    attributes['http.server.request.duration'] = Number(values[next]);
    next++;
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
      const extra: string[] = [];
      for (let index = next; index < values.length; index++) extra.push(values[index]);
      attributes['access_log.extra_fields'] = extra;
    }
  }
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
/** A virtual host and a forwarded-for chain of up to 16 addresses may come before ident, user and the time. */
const MAX_TIME_INDEX = 19;

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
