import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { BatchNotFoundForHistogramError, InvalidHistogramError } from '../application/batch-histogram.use-case.js';
import { InvalidQueryError, type QueryRequest } from '../application/query-entries.use-case.js';
import { LogBatchError } from '../domain/errors.js';
import { exportedEntry } from '../domain/log-entry.js';
import type {
  BatchesResponse,
  BatchResponse,
  DeadLettersResponse,
  EntriesResponse,
  EntryResponse,
  ErrorResponse,
  HistogramResponse,
  RedriveResponse,
} from './api-types.js';
import type { ClientAssets } from './client-assets.js';
import type { UiBackend } from './ui-backend.js';

/** Every response: scripts and styles from this origin only (no inline script), never framed, no referrer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * The access token's cookie on the server listening on `port`. Cookies ignore ports, so one name for every server
 * would let a second `logbatch ui` on the same host overwrite the first one's token in the browser (and send it to
 * the other): each port has its own.
 */
export function tokenCookie(port: number): string {
  return `logbatch_ui_token_${port}`;
}
const MAX_ENTRY_PAGE = 1000;
const MAX_BATCHES = 1000;

export interface UiServerOptions {
  readonly backend: UiBackend;
  readonly assets: ClientAssets;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Required on every request when set: `Authorization: Bearer`, the cookie, or `?token=` on a page (sets the cookie). */
  readonly token?: string;
}

export interface RunningUiServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** Loopback names a browser may send as `Host` when the server listens on loopback (anything else: DNS rebinding). */
export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `0.0.0.0`, `::`: every interface of the machine, an address no browser can open. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '0:0:0:0:0:0:0:0';
}

/**
 * An address of this machine that other machines can reach (the first non-internal IPv4 address of its interfaces),
 * for the URL of a server listening on every interface; 127.0.0.1 when it has none.
 */
function externalAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (!address.internal && address.family === 'IPv4') return address.address;
  }
  return '127.0.0.1';
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The page's HTTP server on `node:http`: the client bundle, the page URLs (each serves the same shell; the client
 * routes), and the JSON API over the backend's use cases. Listens before it resolves; a port in use rejects with
 * the listen error (`EADDRINUSE`).
 */
export async function startUiServer(options: UiServerOptions): Promise<RunningUiServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    handle(request, response, options, host).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: error instanceof Error ? error.message : String(error) } satisfies ErrorResponse);
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const reachable = isWildcardHost(host) ? externalAddress() : host;
  const shownHost = reachable.includes(':') ? `[${reachable}]` : reachable;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, options: UiServerOptions, boundHost: string): Promise<void> {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  const url = new URL(request.url ?? '/', 'http://placeholder');
  const method = request.method ?? 'GET';

  // Bound to loopback without a token, the Host header is what keeps another site's page (DNS rebinding) out.
  const hostHeader = request.headers.host ?? '';
  if (isLoopbackHost(boundHost) && options.token === undefined && !isLoopbackHost(hostName(hostHeader))) {
    return sendText(response, 403, 'forbidden host\n');
  }
  if (options.token !== undefined) {
    const given = url.searchParams.get('token');
    if (given !== null && method === 'GET' && !url.pathname.startsWith('/api/') && sameSecret(given, options.token)) {
      // Once in the URL that was printed; from then on in a cookie the page cannot read, and out of the address bar.
      url.searchParams.delete('token');
      response.setHeader('Set-Cookie', `${tokenCookie(request.socket.localPort ?? 0)}=${encodeURIComponent(options.token)}; HttpOnly; SameSite=Strict; Path=/`);
      response.setHeader('Location', `${url.pathname}${url.search}`);
      response.writeHead(303).end();
      return;
    }
    if (!hasToken(request, options.token)) {
      return url.pathname.startsWith('/api/') ? sendJson(response, 401, { error: 'access token required' }) : sendText(response, 401, 'access token required: open the URL logbatch ui printed\n');
    }
  }

  if (method === 'POST') {
    // Mutations: same origin only (no CORS, so a cross-origin page gets no answer either), JSON bodies only.
    const origin = request.headers.origin;
    if (origin === undefined || origin !== `http://${hostHeader}`) return sendJson(response, 403, { error: 'cross-origin request refused' });
    if (!(request.headers['content-type'] ?? '').startsWith('application/json')) return sendJson(response, 415, { error: 'expected application/json' });
    request.resume();
    if (url.pathname === '/api/dlq/redrive') {
      try {
        options.backend.assertCurrent?.();
        return sendJson(response, 200, await redrive(options.backend));
      } catch (error) {
        if (error instanceof HttpError) return sendJson(response, error.status, { error: error.message });
        throw error;
      }
    }
    return sendJson(response, 404, { error: 'no such endpoint' });
  }
  if (method !== 'GET' && method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD, POST');
    return sendJson(response, 405, { error: `${method} not allowed` });
  }

  if (url.pathname.startsWith('/api/')) {
    try {
      options.backend.assertCurrent?.();
      return sendJson(response, 200, await api(url, options.backend));
    } catch (error) {
      if (error instanceof HttpError) return sendJson(response, error.status, { error: error.message });
      if (error instanceof InvalidQueryError || error instanceof InvalidHistogramError) return sendJson(response, 400, { error: apiWording(error.message), code: error.code });
      if (error instanceof BatchNotFoundForHistogramError) return sendJson(response, 404, { error: error.message, code: error.code });
      if (error instanceof LogBatchError && error.code === 'SCAN_REFUSED') return sendJson(response, 400, { error: apiWording(error.message), code: error.code });
      throw error;
    }
  }
  const asset = url.pathname.startsWith('/assets/') ? options.assets.files.get(url.pathname.slice('/assets/'.length)) : undefined;
  if (asset !== undefined) {
    response.setHeader('Content-Type', asset.contentType);
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('ETag', asset.etag);
    if (request.headers['if-none-match'] === asset.etag) return void response.writeHead(304).end();
    response.writeHead(200, { 'Content-Length': asset.body.length });
    return void response.end(method === 'HEAD' ? undefined : asset.body);
  }
  if (url.pathname === '/favicon.ico') return void response.writeHead(204).end();
  if (isPage(url.pathname)) {
    response.setHeader('Content-Type', 'text/html; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache');
    return void response.writeHead(200).end(method === 'HEAD' ? undefined : options.assets.indexHtml);
  }
  return sendText(response, 404, 'not found\n');
}

/** The API's parameter for each `logbatch query` flag a shared error message names. */
const PARAMETER_OF_FLAG: Readonly<Record<string, string>> = { 'from-line': 'fromLine' };

/**
 * A query error as the API's caller gave the request: the use case words it for `logbatch query` (`--severity "x":
 * unknown severity`), the page and the API take parameters (`severity "x": unknown severity`).
 */
export function apiWording(message: string): string {
  // Quoted values (JSON strings) are left as given: `--severity "--loud"` keeps its `"--loud"`.
  return message
    .replace(/"(?:[^"\\]|\\.)*"|(?<![\w-])--(severity|since|until|grep|where|limit|cursor|batch|from-line)(?![\w-])/g, (text, name?: string) =>
      name === undefined ? text : (PARAMETER_OF_FLAG[name] ?? name),
    )
    .replace('a cursor this command printed', 'a cursor an earlier page returned');
}

/** The page URLs, as the client routes them: `/`, `/dlq`, `/batches/<id>`, `/batches/<id>/entries/<line>` (each but `/` with or without a final `/`). */
function isPage(pathname: string): boolean {
  return pathname === '/' || /^\/dlq\/?$/.test(pathname) || /^\/batches\/[^/]+(\/entries\/\d+)?\/?$/.test(pathname);
}

async function api(url: URL, backend: UiBackend): Promise<unknown> {
  const parts = url.pathname.split('/').slice(2).map(pathSegment);
  const params = url.searchParams;
  if (parts.length === 1 && parts[0] === 'batches') {
    const limit = integerParam(params, 'limit', 100, MAX_BATCHES);
    return { batches: await backend.repository.listBatches({ limit }), live: backend.isLive(), backend: backend.description } satisfies BatchesResponse;
  }
  if (parts[0] === 'batches' && parts.length >= 2) {
    const batchId = parts[1];
    if (parts.length === 2) return { batch: await batchOr404(backend, batchId) } satisfies BatchResponse;
    if (parts.length === 3 && parts[2] === 'histogram') {
      return (await backend.histogram.of(batchId, { buckets: integerParam(params, 'buckets', 60, 500) })) satisfies HistogramResponse;
    }
    if (parts.length === 3 && parts[2] === 'entries') {
      await batchOr404(backend, batchId);
      const request: QueryRequest = {
        batch: batchId,
        severity: stringParam(params, 'severity'),
        since: stringParam(params, 'since'),
        until: stringParam(params, 'until'),
        grep: stringParam(params, 'grep'),
        where: params.getAll('where').filter((value) => value !== ''),
        unparsed: params.get('unparsed') === '1' || params.get('unparsed') === 'true',
        fromLine: params.has('fromLine') ? integerParam(params, 'fromLine', 1, Number.MAX_SAFE_INTEGER) : undefined,
        limit: integerParam(params, 'limit', 100, MAX_ENTRY_PAGE),
        cursor: stringParam(params, 'cursor'),
      };
      const page = await backend.entries.find(request);
      // The table shows no raw line; leaving it out halves a page of JSON entries. The entry page asks for it.
      return { items: page.items.map(exportedEntry), ...(page.cursor === undefined ? {} : { cursor: page.cursor }), ...(page.itemsRead === undefined ? {} : { itemsRead: page.itemsRead }) } satisfies EntriesResponse;
    }
    if (parts.length === 4 && parts[2] === 'entries' && /^\d+$/.test(parts[3])) {
      const lineNumber = Number(parts[3]);
      // Line 0, or one past any line a batch can have, is a line no entry starts at (not a bad --from-line).
      if (!Number.isSafeInteger(lineNumber) || lineNumber < 1) throw new HttpError(404, `no entry starts at line ${parts[3]} of batch ${batchId}`);
      const page = await backend.entries.find({ batch: batchId, fromLine: lineNumber, limit: 1 });
      const entry = page.items[0];
      if (entry === undefined || entry.lineNumber !== lineNumber) throw new HttpError(404, `no entry starts at line ${lineNumber} of batch ${batchId}`);
      return { entry, lines: { first: entry.lineNumber, last: entry.lineNumber + (entry.lineCount ?? 1) - 1 } } satisfies EntryResponse;
    }
  }
  if (parts.length === 1 && parts[0] === 'dlq') {
    const reports = await backend.deadLetters.list({ limit: integerParam(params, 'limit', 1000, 10_000) });
    return {
      deadLetters: reports.map((report) => ({
        messageId: report.messageId,
        reason: report.reason,
        ...(report.batchId === undefined ? {} : { batchId: report.batchId }),
        ...(report.chunk === undefined ? {} : { chunk: report.chunk }),
        ...(report.receiveCount === undefined ? {} : { receiveCount: report.receiveCount }),
        ...(report.batchStatus === undefined ? {} : { batchStatus: report.batchStatus }),
      })),
    } satisfies DeadLettersResponse;
  }
  throw new HttpError(404, 'no such endpoint');
}

const redrives = new WeakMap<UiBackend, Promise<RedriveResponse>>();

/** One redrive at a time per backend; a second click while one runs waits for the same result. */
async function redrive(backend: UiBackend): Promise<RedriveResponse> {
  let running = redrives.get(backend);
  if (running === undefined) {
    running = backend.redrive().finally(() => redrives.delete(backend));
    redrives.set(backend, running);
  }
  return running;
}

async function batchOr404(backend: UiBackend, batchId: string) {
  const batch = await backend.repository.getBatch(batchId);
  if (batch === undefined) throw new HttpError(404, `no batch ${batchId}`);
  return batch;
}

/** A path segment, percent-decoded; one whose encoding is malformed (`%E0%A4%A`, `%ZZ`) is a bad request. */
function pathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in the path: ${JSON.stringify(segment)}`);
  }
}

function stringParam(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name);
  return value === null || value === '' ? undefined : value;
}

function integerParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const value = params.get(name);
  if (value === null || value === '') return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1 || parsed > max) throw new HttpError(400, `${name} must be an integer between 1 and ${max}`);
  return parsed;
}

function hostName(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']'));
  const colon = hostHeader.lastIndexOf(':');
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}

function hasToken(request: IncomingMessage, token: string): boolean {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ') === true && sameSecret(authorization.slice('Bearer '.length), token)) return true;
  for (const cookie of (request.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = cookie.trim().split('=');
    const value = name === tokenCookie(request.socket.localPort ?? 0) ? cookieValue(rest.join('=')) : undefined;
    if (value !== undefined && sameSecret(value, token)) return true;
  }
  return false;
}

/** A cookie's value, percent-decoded as the server set it; undefined when its encoding is malformed (no token, then). */
function cookieValue(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(text);
}
