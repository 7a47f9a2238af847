import type { Attributes, ParseResult } from '../log-entry.js';
import { FieldKind, parseUnsigned, scanFields, setAddressAndPort, setRequestLine, setText } from './fields.js';
import { severityFromHttpStatus } from './severity-mapping.js';
import { isoFromClfTimestamp } from './timestamp.js';

/**
 * Apache / Nginx access logs, shared by the `clf` and `combined` parsers:
 *
 * ```
 * [vhost[:port]] client ident authuser [time] "request" status size [request-time] ["referer" "user-agent" extra...]
 * ```
 *
 * `clf` stops after `size`; `combined` adds the quoted referer and user agent. Nginx and Apache variants
 * (a virtual host in front, `$request_time` after the size, extra quoted fields or text after the user agent) are
 * accepted. Returns the record and whether the line had the combined part, so each parser can label a line of the
 * other shape with the format it really is.
 */
export function parseAccessLogLine(line: string): { result: ParseResult; isCombined: boolean } {
  const scanned = scanFields(line);
  if (typeof scanned === 'string') return { result: { ok: false, error: scanned }, isCombined: false };
  const { values, kinds } = scanned;
  // The time is field 4, or field 5 when a virtual host comes first.
  let timeIndex = 3;
  if (kinds[3] !== FieldKind.BRACKETED) {
    if (kinds[4] !== FieldKind.BRACKETED) return failure('no [time] field in position 4 (or 5 after a virtual host)');
    timeIndex = 4;
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
  if (timeIndex === 4) setAddressAndPort(attributes, 'server', values[0]);
  const first = timeIndex - 3;
  attributes['client.address'] = values[first];
  setText(attributes, 'client.ident', values[first + 1]);
  setText(attributes, 'user.name', values[first + 2]);
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
  if (kinds[next] === FieldKind.QUOTED && kinds[next + 1] === FieldKind.QUOTED) {
    isCombined = true;
    setText(attributes, 'http.request.header.referer', values[next]);
    setText(attributes, 'user_agent.original', values[next + 1]);
    next += 2;
  }
  if (next < values.length) {
    if (!isCombined) return failure(`unexpected field "${values[next]}" after the size`);
    const extra: string[] = [];
    for (let index = next; index < values.length; index++) extra.push(values[index]);
    attributes['access_log.extra_fields'] = extra;
  }
  return {
    result: {
      ok: true,
      record: { timestamp, ...severityFromHttpStatus(status), body: line, attributes },
    },
    isCombined,
  };
}

function failure(error: string): { result: ParseResult; isCombined: boolean } {
  return { result: { ok: false, error }, isCombined: false };
}
