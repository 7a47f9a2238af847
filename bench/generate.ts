import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** A small deterministic PRNG (mulberry32): the same seed gives the same file on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEVELS = ['debug', 'info', 'info', 'info', 'info', 'info', 'warn', 'error'];
const ROUTES = ['/api/orders', '/api/orders/{id}', '/api/cart', '/health', '/api/users/{id}/profile', '/api/search'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const MESSAGES = ['request served', 'cache miss', 'retrying upstream call', 'slow query', 'payment authorised', 'session refreshed'];

/**
 * One application log line of about 200 bytes, as JSON (what most services ship), with a blank line and a
 * malformed line now and then, as real files have.
 */
export function appLogLine(random: () => number, index: number, baseTime: number): string {
  const roll = random();
  if (roll < 0.002) return '';
  if (roll < 0.004) return `panic: runtime error at ${index}: index out of range [${Math.floor(random() * 10)}]`;
  const time = new Date(baseTime + index * 37).toISOString();
  const level = LEVELS[Math.floor(random() * LEVELS.length)];
  const route = ROUTES[Math.floor(random() * ROUTES.length)];
  return JSON.stringify({
    time,
    level,
    msg: MESSAGES[Math.floor(random() * MESSAGES.length)],
    'http.request.method': METHODS[Math.floor(random() * METHODS.length)],
    'url.path': route.replace('{id}', String(Math.floor(random() * 100000))),
    'http.response.status_code': level === 'error' ? 500 : 200,
    duration_ms: Math.round(random() * 2500) / 10,
    trace_id: Math.floor(random() * 2 ** 52).toString(16).padStart(16, '0'),
  });
}

const TEXT_LEVELS = ['DEBUG', 'INFO', 'INFO', 'INFO', 'WARN', 'ERROR'];
const TEXT_MESSAGES = [
  'HikariPool-1 - Pool stats (total=10, active=2, idle=8, waiting=0)',
  'Started OrderController in 3.2 seconds',
  'GET /actuator/health 200',
  'Connection reset by peer; reconnecting',
  'cache evicted 128 keys',
];

/**
 * A container's output: the application's JSON lines next to its libraries' plain text lines (a timestamp, a level,
 * a thread and a message), half and half, which detection calls `json+text`.
 */
export function mixedLogLine(random: () => number, index: number, baseTime: number): string {
  if (random() < 0.5) return appLogLine(random, index, baseTime);
  const time = new Date(baseTime + index * 37).toISOString().replace('T', ' ').replace('Z', '');
  const level = TEXT_LEVELS[Math.floor(random() * TEXT_LEVELS.length)];
  return `${time} ${level.padEnd(5)} [pool-${Math.floor(random() * 8)}-thread-${Math.floor(random() * 16)}] ${TEXT_MESSAGES[Math.floor(random() * TEXT_MESSAGES.length)]}`;
}

/** Makes one line of a generated file: a seeded random source, the line's index, the file's base time. */
export type LineGenerator = (random: () => number, index: number, baseTime: number) => string;

/** Writes a log file of `lines` lines (application JSON unless another generator is given); returns its size in bytes. */
export async function generateLogFile(path: string, lines: number, seed = 1, generate: LineGenerator = appLogLine): Promise<number> {
  const random = seededRandom(seed);
  const out = createWriteStream(path);
  const baseTime = Date.parse('2026-11-26T00:00:00.000Z');
  let bytes = 0;
  let buffer = '';
  for (let index = 0; index < lines; index++) {
    buffer += `${generate(random, index, baseTime)}\n`;
    if (buffer.length > 1 << 20) {
      bytes += Buffer.byteLength(buffer);
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  bytes += Buffer.byteLength(buffer);
  out.end(buffer);
  await once(out, 'finish');
  return bytes;
}
