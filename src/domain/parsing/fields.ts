import type { Attributes } from '../log-entry.js';

/**
 * Shared scanning for the space-separated web and AWS access-log formats: fields separated by single or repeated
 * spaces, `"quoted"` fields that may contain spaces and backslash escapes, and `[bracketed]` fields
 * (CLF timestamps).
 */

const SPACE = 32;
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/** How a field was written: bare, in double quotes, or in square brackets. */
export const FieldKind = { BARE: 0, QUOTED: 1, BRACKETED: 2 } as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

/** The fields of one line; `kinds[i]` says how field `i` was written (so `"-"` can differ from `-`). */
export interface ScannedFields {
  readonly values: string[];
  readonly kinds: FieldKind[];
}

/**
 * Splits a line into fields. Returns an error message for an unterminated quote or bracket; a quoted field's
 * `\"` and `\\` escapes are undone.
 */
export function scanFields(line: string): ScannedFields | string {
  const values: string[] = [];
  const kinds: FieldKind[] = [];
  const length = line.length;
  let index = 0;
  while (index < length) {
    const code = line.charCodeAt(index);
    if (code === SPACE || code === 9) {
      index++;
      continue;
    }
    if (code === QUOTE) {
      const end = findClosingQuote(line, index + 1);
      if (end < 0) return `unterminated quoted field ${values.length + 1}`;
      values.push(unescapeQuoted(line, index + 1, end));
      kinds.push(FieldKind.QUOTED);
      index = end + 1;
    } else if (code === OPEN_BRACKET && isBracketedField(line, index)) {
      const end = line.indexOf(']', index + 1);
      values.push(line.slice(index + 1, end));
      kinds.push(FieldKind.BRACKETED);
      index = end + 1;
    } else {
      let end = index + 1;
      while (end < length) {
        const next = line.charCodeAt(end);
        if (next === SPACE || next === 9) break;
        end++;
      }
      values.push(line.slice(index, end));
      kinds.push(FieldKind.BARE);
      index = end;
    }
  }
  return { values, kinds };
}

/**
 * A `[` opens a bracketed field (`[10/Oct/2000:13:55:36 -0700]`) when its `]` ends the field; `[::1]:443` is a
 * bare field that happens to start with a bracket.
 */
function isBracketedField(line: string, open: number): boolean {
  const close = line.indexOf(']', open + 1);
  if (close < 0) return false;
  const after = line.charCodeAt(close + 1);
  return Number.isNaN(after) || after === SPACE || after === 9;
}

/** Index of the `"` that closes a quoted field starting at `from`, skipping backslash escapes; -1 if none. */
export function findClosingQuote(line: string, from: number): number {
  let index = from;
  for (;;) {
    const quote = line.indexOf('"', index);
    if (quote < 0) return -1;
    // Count the backslashes right before the quote: an odd number escapes it.
    let backslashes = 0;
    for (let back = quote - 1; back >= from && line.charCodeAt(back) === BACKSLASH; back--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    index = quote + 1;
  }
}

/** The text between `start` and `end`, with `\"` → `"` and `\\` → `\` (other escapes are kept as written). */
export function unescapeQuoted(line: string, start: number, end: number): string {
  const raw = line.slice(start, end);
  if (raw.indexOf('\\') < 0) return raw;
  return raw.replace(/\\(["\\])/g, '$1');
}

/** True for a field that carries no value: `-`, or an empty quoted string. */
export function isAbsent(value: string | undefined): value is undefined {
  return value === undefined || value === '-' || value === '';
}

/** Sets `attributes[key]` to `value` unless it is absent (`-` or empty). */
export function setText(attributes: Attributes, key: string, value: string | undefined): void {
  if (!isAbsent(value)) attributes[key] = value;
}

/** Sets `attributes[key]` to the number in `value` unless it is absent or not a number. */
export function setNumber(attributes: Attributes, key: string, value: string | undefined): void {
  if (isAbsent(value)) return;
  const number = Number(value);
  if (Number.isFinite(number)) attributes[key] = number;
}

/** A non-negative decimal integer (`0`, `200`, `8080`), or undefined. */
export function parseUnsigned(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 15) return undefined;
  let value = 0;
  for (let index = 0; index < text.length; index++) {
    const digit = text.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * How an unbracketed IPv6 value with a port is read. `never`: every colon is the address's (`2001:db8::1`).
 * `always`: the last group is the port, as in a field documented as `address:port` (ALB/ELB `client:port`).
 * `when-decimal`: the last group is the port when it is decimal and what comes before it is a whole IPv6 address
 * (`2001:db8::1:443` → `2001:db8::1` port 443), as S3 and CloudFront may write an address with its port; an
 * address whose last group follows `::` or has hex letters (`2001:db8::1`, `fe80::b3ff:fe1e:83a9`) is left whole.
 */
export type BareIpv6Port = 'never' | 'always' | 'when-decimal';

/** An address and, when one was written, its port. */
export interface AddressAndPort {
  readonly address: string;
  readonly port?: number;
}

/** Splits `address:port`, `[v6]:port`, `[v6]` or a bare address; see {@link BareIpv6Port} for `v6:port`. */
export function splitAddressAndPort(value: string, bareIpv6Port: BareIpv6Port = 'never'): AddressAndPort {
  if (value.charCodeAt(0) === OPEN_BRACKET) {
    const close = value.indexOf(']');
    if (close > 0) {
      const address = value.slice(1, close);
      const port = value.charCodeAt(close + 1) === 58 ? parsePort(value.slice(close + 2)) : undefined;
      return port === undefined ? { address } : { address, port };
    }
    return { address: value };
  }
  const colon = value.lastIndexOf(':');
  if (colon <= 0) return { address: value };
  if (value.indexOf(':') === colon) {
    // One colon: host:port.
    const port = parsePort(value.slice(colon + 1));
    return port === undefined ? { address: value } : { address: value.slice(0, colon), port };
  }
  // Several colons without brackets: an IPv6 address, perhaps with a port after it.
  if (bareIpv6Port === 'never') return { address: value };
  const port = parsePort(value.slice(colon + 1));
  if (port === undefined) return { address: value };
  const address = value.slice(0, colon);
  if (bareIpv6Port === 'when-decimal' && !isIpv6Address(address)) return { address: value };
  return { address, port };
}

function parsePort(text: string): number | undefined {
  const port = parseUnsigned(text);
  return port !== undefined && port <= 65535 && text.length <= 5 ? port : undefined;
}

/**
 * Splits `address:port`, `[v6]:port` or a bare address into `<prefix>.address` / `<prefix>.port` attributes.
 * `-` sets nothing.
 */
export function setAddressAndPort(attributes: Attributes, prefix: string, value: string | undefined, bareIpv6Port: BareIpv6Port = 'never'): void {
  if (isAbsent(value)) return;
  const keys = ADDRESS_KEYS.get(prefix) ?? addressKeys(prefix);
  const colon = value.lastIndexOf(':');
  // The common shapes without an object per call: `address` and `address:port`.
  if (colon < 0) {
    attributes[keys[0]] = value;
    return;
  }
  if (colon > 0 && value.charCodeAt(0) !== OPEN_BRACKET && value.indexOf(':') === colon) {
    const port = parsePort(value.slice(colon + 1));
    if (port === undefined) {
      attributes[keys[0]] = value;
    } else {
      attributes[keys[0]] = value.slice(0, colon);
      attributes[keys[1]] = port;
    }
    return;
  }
  const { address, port } = splitAddressAndPort(value, bareIpv6Port);
  attributes[keys[0]] = address;
  if (port !== undefined) attributes[keys[1]] = port;
}

/** `<prefix>.address` and `<prefix>.port`, built once per prefix rather than per line. */
const ADDRESS_KEYS = new Map<string, readonly [string, string]>();

function addressKeys(prefix: string): readonly [string, string] {
  const keys = [`${prefix}.address`, `${prefix}.port`] as const;
  ADDRESS_KEYS.set(prefix, keys);
  return keys;
}

/** True for a dotted-quad IPv4 address (`192.0.2.1`). */
export function isIpv4Address(text: string): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (const part of parts) {
    const value = parseUnsigned(part);
    if (value === undefined || value > 255 || part.length > 3) return false;
  }
  return true;
}

/** True for an IPv6 address as RFC 4291 writes it: eight groups, or fewer around one `::`, an IPv4 tail allowed. */
export function isIpv6Address(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  const zone = text.indexOf('%');
  const address = zone < 0 ? text : text.slice(0, zone);
  const compressed = address.indexOf('::');
  if (compressed >= 0 && address.indexOf('::', compressed + 1) >= 0) return false;
  const groups = address.split(':');
  let count = 0;
  for (let index = 0; index < groups.length; index++) {
    const group = groups[index];
    if (group.length === 0) {
      // Empty groups only where `::` is (at most two: `::x`, `x::`, `::`).
      if (compressed < 0) return false;
      continue;
    }
    if (index === groups.length - 1 && group.indexOf('.') > 0) {
      if (!isIpv4Address(group)) return false;
      count += 2;
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return false;
    count++;
  }
  return compressed >= 0 ? count <= 7 : count === 8;
}

/**
 * False for addresses that do not reach the internet: RFC 1918 private, loopback, link-local, carrier-grade NAT
 * (100.64/10), unspecified, multicast and reserved IPv4; IPv6 loopback, unspecified, unique-local (fc00::/7),
 * link-local (fe80::/10), and IPv4-mapped private addresses. Documentation ranges (192.0.2/24, 2001:db8::/32)
 * count as public. Anything that is not an address is not public.
 */
export function isPublicAddress(address: string): boolean {
  if (isIpv4Address(address)) {
    const dot = address.indexOf('.');
    const first = Number(address.slice(0, dot));
    const second = Number(address.slice(dot + 1, address.indexOf('.', dot + 1)));
    if (first === 0 || first === 10 || first === 127 || first >= 224) return false;
    if (first === 172 && second >= 16 && second <= 31) return false;
    if (first === 192 && second === 168) return false;
    if (first === 169 && second === 254) return false;
    if (first === 100 && second >= 64 && second <= 127) return false;
    return true;
  }
  if (!isIpv6Address(address)) return false;
  const lower = address.toLowerCase();
  if (lower === '::1' || lower === '::') return false;
  if (lower.startsWith('::ffff:') && lower.indexOf('.') > 0) return isPublicAddress(lower.slice(7));
  const firstGroup = parseInt(lower.slice(0, lower.indexOf(':')) || '0', 16);
  if ((firstGroup & 0xfe00) === 0xfc00) return false; // fc00::/7
  if ((firstGroup & 0xffc0) === 0xfe80) return false; // fe80::/10
  if ((firstGroup & 0xff00) === 0xff00) return false; // multicast
  return true;
}

/**
 * An `X-Forwarded-For` chain (`client, proxy1, proxy2`, as nginx writes `$http_x_forwarded_for`): its entries
 * (trimmed, `unknown` and `-` dropped, ports and brackets removed) and the client they name: the first public
 * address, or the first address when none is public. Undefined when no entry is an address.
 */
export function readForwardedFor(chain: string): { readonly client: AddressAndPort } | undefined {
  let first: AddressAndPort | undefined;
  let start = 0;
  while (start <= chain.length) {
    let end = chain.indexOf(',', start);
    if (end < 0) end = chain.length;
    const entry = chain.slice(start, end).trim();
    start = end + 1;
    if (entry === '' || entry === '-' || entry.toLowerCase() === 'unknown') continue;
    const candidate = splitAddressAndPort(entry, 'when-decimal');
    if (!isIpv4Address(candidate.address) && !isIpv6Address(candidate.address)) continue;
    if (isPublicAddress(candidate.address)) return { client: candidate };
    first ??= candidate;
  }
  return first === undefined ? undefined : { client: first };
}

/** True for a forwarded-for list: addresses (with or without ports), `unknown` or `-`, separated by commas. */
export function isForwardedForList(text: string): boolean {
  if (text.length === 0 || text.length > 2000) return false;
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry.toLowerCase() === 'unknown') continue;
    const { address } = splitAddressAndPort(entry, 'when-decimal');
    if (!isIpv4Address(address) && !isIpv6Address(address)) return false;
  }
  return true;
}

/**
 * Puts an HTTP request target into `url.*` attributes: an absolute URL (`https://host:443/p?q`, as proxies and
 * load balancers log it) gives `url.full`, `url.scheme`, `server.address`, `server.port` (the host, without a
 * `user:password@` before it); every target gives
 * `url.path` and, when there is one, `url.query` (without the `?`).
 */
export function setUrlTarget(attributes: Attributes, target: string): void {
  let pathStart = 0;
  const schemeEnd = target.indexOf('://');
  if (schemeEnd > 0 && schemeEnd < 10) {
    attributes['url.full'] = target;
    attributes['url.scheme'] = target.slice(0, schemeEnd);
    const authorityStart = schemeEnd + 3;
    let authorityEnd = authorityStart;
    while (authorityEnd < target.length) {
      const code = target.charCodeAt(authorityEnd);
      if (code === 47 /* / */ || code === 63 /* ? */ || code === 35 /* # */) break;
      authorityEnd++;
    }
    // `user:password@host`: the server is the host. The credentials stay in `url.full` only, where the url-password
    // detector finds them with their scheme; `server.address` would have kept them where nothing recognises them.
    const userinfoEnd = target.lastIndexOf('@', authorityEnd - 1);
    setAddressAndPort(attributes, 'server', target.slice(userinfoEnd >= authorityStart ? userinfoEnd + 1 : authorityStart, authorityEnd));
    pathStart = authorityEnd;
    if (pathStart === target.length) {
      attributes['url.path'] = '/';
      return;
    }
  }
  const question = target.indexOf('?', pathStart);
  if (question < 0) {
    attributes['url.path'] = pathStart === 0 ? target : target.slice(pathStart);
  } else {
    attributes['url.path'] = target.slice(pathStart, question);
    if (question + 1 < target.length) attributes['url.query'] = target.slice(question + 1);
  }
}

/**
 * Puts an HTTP request line (`GET /path?q HTTP/1.1`) into `http.request.method`, `url.*`,
 * `network.protocol.name` and `network.protocol.version`. A request line that does not have that shape
 * (`-`, garbage from scanners) is kept whole in `url.original`.
 */
export function setRequestLine(attributes: Attributes, request: string): void {
  if (isAbsent(request)) return;
  const firstSpace = request.indexOf(' ');
  const lastSpace = request.lastIndexOf(' ');
  if (firstSpace <= 0 || !isMethod(request, firstSpace)) {
    attributes['url.original'] = request;
    return;
  }
  attributes['http.request.method'] = request.slice(0, firstSpace);
  let target: string;
  if (lastSpace > firstSpace && request.startsWith('HTTP/', lastSpace + 1)) {
    target = request.slice(firstSpace + 1, lastSpace);
    attributes['network.protocol.name'] = 'http';
    attributes['network.protocol.version'] = request.slice(lastSpace + 6);
  } else {
    // HTTP/0.9 style `GET /path`, or a target containing spaces with no protocol.
    target = request.slice(firstSpace + 1);
  }
  if (target.length > 0) setUrlTarget(attributes, target);
}

/** An HTTP method token: upper-case letters, `-` or `_` (WebDAV's `VERSION-CONTROL`), at most 20 of them. */
/** A method token (`GET`, `M-SEARCH`, `VERSION-CONTROL`): upper-case letters, `-` and `_`, with at least one letter. */
function isMethod(request: string, end: number): boolean {
  if (end > 20) return false;
  let letters = 0;
  for (let index = 0; index < end; index++) {
    const code = request.charCodeAt(index);
    if (code >= 65 && code <= 90) letters++;
    else if (code !== 45 && code !== 95) return false;
  }
  return letters > 0;
}

/**
 * Sets an attribute whose key comes from the input (JSON, logfmt): a key named `__proto__` becomes an ordinary
 * property instead of replacing the object's prototype.
 */
export function setInputKey(attributes: Attributes, key: string, value: Attributes[string]): void {
  if (key === '__proto__') {
    Object.defineProperty(attributes, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    attributes[key] = value;
  }
}
